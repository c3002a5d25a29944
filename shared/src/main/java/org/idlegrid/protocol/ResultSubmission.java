package org.idlegrid.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code POST /api/v1/assignments/{id}/result}: one output object per input record, in input
 * order, signed by the device's enrolled key (signature over the RFC 8785 form without the
 * {@code signature} field). {@code energyJ} may be null.
 */
public record ResultSubmission(
    String assignmentId, List<JsonNode> outputs, long elapsedMs, Double energyJ, String signature) {

  public ResultSubmission withSignature(String signature) {
    return new ResultSubmission(assignmentId, outputs, elapsedMs, energyJ, signature);
  }
}
