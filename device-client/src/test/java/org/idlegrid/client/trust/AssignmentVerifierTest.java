package org.idlegrid.client.trust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.signing.Ed25519;
import org.junit.jupiter.api.Test;

class AssignmentVerifierTest {
  final Ed25519.KeyPair coordinator = Ed25519.generate();
  final AssignmentVerifier verifier = new AssignmentVerifier(coordinator.publicKey());

  ObjectNode signed(Ed25519.KeyPair by, String keyId) {
    Assignment a = new Assignment("a-1", "u-1", "j-1",
        new ModelRef("sha256:" + "ab".repeat(32), "/api/v1/blobs/" + "ab".repeat(32), "OnnxRuntime", 10),
        List.of(Json.tree("{\"pixels\":[0.5,0.25]}")), null, "2030-01-01T00:00:00Z", keyId, null);
    ObjectNode tree = Json.toTree(a);
    tree.put("signature", by.privateKey().signJson(tree));
    return tree;
  }

  String refusal(ObjectNode tree) {
    return assertThrows(AssignmentRejectedException.class, () -> verifier.verify(tree)).getMessage();
  }

  @Test
  void assignmentSignedByTheCoordinatorKeyIsAccepted() throws Exception {
    Assignment a = verifier.verify(signed(coordinator, coordinator.keyId()));
    assertEquals("a-1", a.assignmentId());
    assertEquals(10, a.model().bytes());
  }

  @Test
  void verifiesTheTreeAsReceivedEvenWithUnknownFieldsAndOddNumberForms() throws Exception {
    ObjectNode tree = signed(coordinator, coordinator.keyId());
    tree.remove("signature");
    tree.put("future", "field");
    String wire = Json.write(tree).replace("0.25", "2.5E-1"); // same number, other spelling
    ObjectNode received = (ObjectNode) Json.tree(wire);
    received.put("signature", coordinator.privateKey().signJson(received));
    verifier.verify((ObjectNode) Json.tree(Json.write(received)));
  }

  @Test
  void assignmentSignedByAnotherKeyIsRefused() {
    assertTrue(refusal(signed(Ed25519.generate(), coordinator.keyId())).startsWith("bad signature"));
  }

  @Test
  void assignmentNamingAnotherKeyIdIsRefused() {
    Ed25519.KeyPair other = Ed25519.generate();
    assertTrue(refusal(signed(other, other.keyId())).startsWith("signed with unknown key"));
  }

  @Test
  void tamperedFieldsAreRefused() {
    ObjectNode records = signed(coordinator, coordinator.keyId());
    ((ObjectNode) records.get("records").get(0)).putArray("pixels").add(1);
    assertTrue(refusal(records).startsWith("bad signature"));

    ObjectNode model = signed(coordinator, coordinator.keyId());
    ((ObjectNode) model.get("model")).put("bytes", 11);
    assertTrue(refusal(model).startsWith("bad signature"));

    ObjectNode deadline = signed(coordinator, coordinator.keyId());
    deadline.put("deadline", "2031-01-01T00:00:00Z");
    assertTrue(refusal(deadline).startsWith("bad signature"));
  }

  @Test
  void missingOrMalformedSignatureIsRefused() {
    ObjectNode none = signed(coordinator, coordinator.keyId());
    none.remove("signature");
    assertTrue(refusal(none).startsWith("bad signature"));
    ObjectNode garbage = signed(coordinator, coordinator.keyId());
    garbage.put("signature", "not base64!");
    assertTrue(refusal(garbage).startsWith("bad signature"));
  }

  @Test
  void assignmentIdThatIsNoSafeFileNameIsRefusedBeforeAnythingElse() {
    ObjectNode tree = signed(coordinator, coordinator.keyId());
    tree.put("assignmentId", "../../etc/passwd");
    tree.put("signature", coordinator.privateKey().signJson(tree));
    AssignmentRejectedException e = assertThrows(AssignmentRejectedException.class, () -> verifier.verify(tree));
    assertEquals(null, e.assignmentId());
    assertTrue(e.getMessage().startsWith("malformed assignment id"));
  }

  @Test
  void signedButUnsupportedEngineIsRefused() {
    ObjectNode tree = signed(coordinator, coordinator.keyId());
    ((ObjectNode) tree.get("model")).put("engine", "PyTorch");
    tree.put("signature", coordinator.privateKey().signJson(tree));
    assertTrue(refusal(tree).contains("PyTorch"));
  }
}
