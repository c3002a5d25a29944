package org.idlegrid.client.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.idlegrid.json.Canonical;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.ResultSubmission;
import org.idlegrid.signing.Ed25519;

/** Signs a result with the device key: the bytes it returns are what is stored and sent. */
public final class ResultSigner {
  private final Ed25519.PrivateKey key;

  public ResultSigner(Ed25519.PrivateKey key) {
    this.key = key;
  }

  public byte[] sign(String assignmentId, List<JsonNode> outputs, long elapsedMs, Double energyJ) {
    ObjectNode tree = Json.toTree(new ResultSubmission(assignmentId, outputs, elapsedMs, energyJ, null));
    tree.put(Canonical.SIGNATURE_FIELD, key.signJson(tree));
    return Json.writeBytes(tree);
  }
}
