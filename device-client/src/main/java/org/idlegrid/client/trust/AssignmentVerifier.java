package org.idlegrid.client.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.idlegrid.client.outbox.Outbox;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.Engines;
import org.idlegrid.signing.Ed25519;

/**
 * Checks an assignment BEFORE anything in it is used: it must be signed by the coordinator key
 * received at enrollment (signature verified on the JSON tree as received, never on a
 * re-serialised copy), name that key's id, and be well formed (a usable assignment id, a sha256
 * model id with a positive size, an engine this client has, input records or an input URL, an
 * ISO-8601 deadline). The model's bytes are checked later against the signed id and size.
 */
public final class AssignmentVerifier {
  private final Ed25519.PublicKey coordinatorKey;
  private final String keyId;

  public AssignmentVerifier(Ed25519.PublicKey coordinatorKey) {
    this.coordinatorKey = coordinatorKey;
    this.keyId = coordinatorKey.keyId();
  }

  public Assignment verify(JsonNode node) throws AssignmentRejectedException {
    if (!(node instanceof ObjectNode tree)) {
      throw new AssignmentRejectedException(null, "an assignment must be a JSON object");
    }
    String id = tree.path("assignmentId").isTextual() ? tree.get("assignmentId").asText() : null;
    if (id == null || !Outbox.SAFE_ID.matcher(id).matches()) {
      throw new AssignmentRejectedException(null, "malformed assignment id: " + tree.get("assignmentId"));
    }
    JsonNode kid = tree.get("keyId");
    if (kid == null || !kid.isTextual() || !keyId.equals(kid.asText())) {
      throw new AssignmentRejectedException(id, "signed with unknown key " + kid + ", expected " + keyId);
    }
    if (!coordinatorKey.verifyJson(tree)) {
      throw new AssignmentRejectedException(id, "bad signature: not signed by the coordinator key " + keyId);
    }
    Assignment a;
    try {
      a = Json.convert(tree, Assignment.class);
    } catch (Json.JsonException e) {
      throw new AssignmentRejectedException(id, "malformed assignment: " + e.getMessage());
    }
    if (a.model() == null || !Hashes.isContentId(a.model().id())) {
      throw new AssignmentRejectedException(id, "malformed model id: " + (a.model() == null ? null : a.model().id()));
    }
    if (a.model().bytes() <= 0) {
      throw new AssignmentRejectedException(id, "model size must be positive, got " + a.model().bytes());
    }
    if (a.model().engine() != null && !Engines.ONNX_RUNTIME.equals(a.model().engine())) {
      throw new AssignmentRejectedException(id, "engine " + a.model().engine() + " is not supported by this client");
    }
    if (a.records() == null && (a.inputUrl() == null || a.inputUrl().isBlank())) {
      throw new AssignmentRejectedException(id, "the assignment has neither records nor an inputUrl");
    }
    if (a.deadline() != null) {
      try {
        Instant.parse(a.deadline());
      } catch (DateTimeParseException e) {
        throw new AssignmentRejectedException(id, "malformed deadline: " + a.deadline());
      }
    }
    return a;
  }
}
