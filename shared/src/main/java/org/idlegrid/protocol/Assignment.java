package org.idlegrid.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * One replica of one unit, issued to one device. Either {@code records} (inline input records)
 * or {@code inputUrl} is set. {@code deadline} is an ISO-8601 instant. {@code signature} is the
 * coordinator's Ed25519 signature over the RFC 8785 form of this object without the signature;
 * {@code keyId} names the key that made it.
 */
public record Assignment(
    String assignmentId,
    String unitId,
    String jobId,
    ModelRef model,
    List<JsonNode> records,
    String inputUrl,
    String deadline,
    String keyId,
    String signature) {

  public Assignment withSignature(String keyId, String signature) {
    return new Assignment(assignmentId, unitId, jobId, model, records, inputUrl, deadline, keyId, signature);
  }
}
