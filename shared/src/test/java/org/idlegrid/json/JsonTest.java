package org.idlegrid.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.CompareSpec;
import org.idlegrid.protocol.EnrollRequest;
import org.idlegrid.protocol.JobRequest;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.protocol.Platform;
import org.idlegrid.protocol.ResultSubmission;
import org.idlegrid.protocol.Verification;
import org.idlegrid.protocol.WorkResponse;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void malformedDocumentThrowsJsonExceptionWithLocation() {
    Json.JsonException e = assertThrows(Json.JsonException.class,
        () -> Json.read("{\"slots\": 1,\n \"waitMs\": }", org.idlegrid.protocol.WorkRequest.class));
    assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    assertTrue(e.getMessage().contains("column"), e.getMessage());
  }

  @Test
  void malformedTreeThrowsJsonException() {
    Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.tree("[1, 2"));
    assertTrue(e.getMessage().contains("end-of-input"), e.getMessage());
  }

  @Test
  void emptyBodyIsAJsonExceptionNotNull() {
    assertThrows(Json.JsonException.class, () -> Json.tree(new byte[0]));
    assertThrows(Json.JsonException.class, () -> Json.tree("   "));
    Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.read("", Platform.class));
    assertTrue(e.getMessage().contains("end-of-input"), e.getMessage());
  }

  @Test
  void literalNullDocumentIsRejectedWhereARecordIsExpected() {
    Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.read("null", ModelRef.class));
    assertTrue(e.getMessage().contains("ModelRef"), e.getMessage());
  }

  @Test
  void trailingGarbageIsRejected() {
    assertThrows(Json.JsonException.class, () -> Json.read("{\"reason\":\"x\"} {}", org.idlegrid.protocol.AbortRequest.class));
    assertThrows(Json.JsonException.class, () -> Json.tree("{} x"));
  }

  @Test
  void duplicateKeysAreRejectedSoSignedAndReadFormsCannotDiffer() {
    Json.JsonException e = assertThrows(Json.JsonException.class,
        () -> Json.tree("{\"assignmentId\":\"a\",\"assignmentId\":\"b\"}"));
    assertTrue(e.getMessage().contains("assignmentId"), e.getMessage());
  }

  @Test
  void wrongFieldTypeNamesTheFieldPath() {
    Json.JsonException e = assertThrows(Json.JsonException.class,
        () -> Json.read("{\"model\":{\"id\":\"sha256:x\",\"bytes\":\"many\"}}", Assignment.class));
    assertTrue(e.getMessage().startsWith("at model.bytes:"), e.getMessage());
  }

  @Test
  void nullForAPrimitiveIsRejected() {
    Json.JsonException e = assertThrows(Json.JsonException.class,
        () -> Json.read("{\"slots\":null,\"waitMs\":5}", org.idlegrid.protocol.WorkRequest.class));
    assertTrue(e.getMessage().contains("slots"), e.getMessage());
  }

  @Test
  void unknownFieldsAreIgnored() {
    ModelRef ref = Json.read(
        "{\"id\":\"sha256:ab\",\"url\":\"/b\",\"engine\":\"OnnxRuntime\",\"bytes\":12,\"future\":{\"x\":[1]}}",
        ModelRef.class);
    assertEquals(new ModelRef("sha256:ab", "/b", "OnnxRuntime", 12), ref);
  }

  @Test
  void nullsAreOmittedOnOutput() {
    ResultSubmission r = new ResultSubmission("a1", List.of(), 5, null, null);
    String json = Json.write(r);
    assertFalse(json.contains("energyJ"), json);
    assertFalse(json.contains("signature"), json);
    assertFalse(json.contains("null"), json);
    assertArrayEquals(Canonical.bytes(Json.tree(json)), Canonical.bytes(Json.toTree(r)));
    ObjectNode tree = Json.toTree(r);
    assertFalse(tree.has("energyJ"), "toTree must omit nulls like write does: " + tree);
  }

  @Test
  void nullNodesInsideATreeAreKept() {
    // a tree as received is written as received: an explicit null stays (it is part of what was signed)
    JsonNode tree = Json.tree("{\"a\":null,\"b\":[null,1]}");
    assertEquals("{\"a\":null,\"b\":[null,1]}", Json.write(tree));
  }

  @Test
  void assignmentWithJsonNodeRecordsRoundTrips() {
    List<JsonNode> records = List.of(
        Json.tree("{\"pixels\":[0.0,1.5,16.0]}"),
        Json.tree("{\"text\":\"h\u00e9llo \\\"world\\\"\",\"nested\":{\"shape\":[2],\"data\":[\"NaN\",-1e-7]}}"));
    Assignment a = new Assignment("as-1", "u-1", "j-1",
        new ModelRef("sha256:" + "a".repeat(64), "/api/v1/blobs/" + "a".repeat(64), "OnnxRuntime", 1234),
        records, null, "2030-01-01T00:00:00Z", "0123456789abcdef", "c2ln");
    byte[] wire = Json.writeBytes(a);
    Assignment back = Json.read(wire, Assignment.class);
    assertEquals(a, back);
    assertEquals(a, Json.convert(Json.tree(wire), Assignment.class));
    assertNull(back.inputUrl());
    assertArrayEquals(Canonical.bytes(Json.tree(wire)), Canonical.bytes(Json.toTree(back)));
  }

  @Test
  void nestedRecordsRoundTrip() {
    EnrollRequest e = new EnrollRequest("AAAA", "laptop", "ann",
        new Platform("linux", "amd64", 8, 16000, null), List.of("OnnxRuntime"),
        Map.of("OnnxRuntime", "1.21.0"), null);
    assertEquals(e, Json.read(Json.write(e), EnrollRequest.class));
    JobRequest j = new JobRequest("j", "digits", null, List.of(Json.tree("{\"pixels\":[1,2]}")), 50,
        new Verification(2, 2, 5, new CompareSpec("allclose", 1e-4, 1e-3, null), null), 0);
    assertEquals(j, Json.read(Json.writeBytes(j), JobRequest.class));
    WorkResponse w = new WorkResponse(List.of());
    assertEquals(w, Json.read(Json.write(w), WorkResponse.class));
  }

  @Test
  void utf8BytesAreReadAsUtf8() {
    JsonNode n = Json.tree("{\"t\":\"\u20ac\ud83d\ude00\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals("\u20ac\ud83d\ude00", n.get("t").asText());
  }

  @Test
  void convertOfAWrongShapeIsAJsonException() {
    assertThrows(Json.JsonException.class, () -> Json.convert(Json.tree("[1,2]"), ModelRef.class));
  }

  @Test
  void toTreeOfANonObjectIsRejected() {
    assertThrows(IllegalArgumentException.class, () -> Json.toTree(List.of(1, 2)));
  }

  @Test
  void excessiveNestingIsRejected() {
    String deep = "[".repeat(200) + "]".repeat(200);
    Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.tree(deep));
    assertTrue(e.getMessage().toLowerCase().contains("nesting"), e.getMessage());
  }
}
