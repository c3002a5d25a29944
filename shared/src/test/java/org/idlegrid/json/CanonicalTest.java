package org.idlegrid.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.protocol.ResultSubmission;
import org.junit.jupiter.api.Test;

class CanonicalTest {

  private static String canon(String json) {
    return new String(Canonical.bytes(Json.tree(json)), StandardCharsets.UTF_8);
  }

  @Test
  void rfc8785MainExampleIsReproduced() {
    // RFC 8785 section 3.2.2 (input) and 3.2.3 (output)
    String input = "{\n"
        + "  \"numbers\": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
        + "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
        + "  \"literals\": [null, true, false]\n"
        + "}";
    String expected = "{\"literals\":[null,true,false],"
        + "\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],"
        + "\"string\":\"\u20ac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
    assertEquals(expected, canon(input));
    assertEquals(expected, Canonical.string(input));
  }

  @Test
  void keysAreSortedByUtf16CodeUnitsNotCodePoints() {
    // RFC 8785 section 3.2.3 sorting example: the emoji (surrogates D83D DE00) sorts before U+FB33
    String input = "{\"\\u20ac\":\"Euro Sign\",\"\\r\":\"Carriage Return\","
        + "\"\\ufb33\":\"Hebrew Letter Dalet With Dagesh\",\"1\":\"One\","
        + "\"\\ud83d\\ude00\":\"Emoji: Grinning Face\",\"\\u0080\":\"Control\","
        + "\"\\u00f6\":\"Latin Small Letter O With Diaeresis\"}";
    String expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\","
        + "\"\u00f6\":\"Latin Small Letter O With Diaeresis\",\"\u20ac\":\"Euro Sign\","
        + "\"\ud83d\ude00\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}";
    assertEquals(expected, canon(input));
  }

  @Test
  void nestedObjectsAreSortedAndArraysKeepTheirOrder() {
    assertEquals("{\"a\":{\"x\":1,\"y\":[3,1,2]},\"b\":2}", canon("{ \"b\" : 2, \"a\" : {\"y\":[3,1,2],\"x\":1} }"));
  }

  @Test
  void numbersFollowEcmaScriptFormatting() {
    assertEquals("[1e+30,4.5,0.002,0,0,1e-7,100,1e+21,123456789012,0.1,-1.5]",
        canon("[1e30, 4.50, 2e-3, -0, -0.0, 0.0000001, 1E2, 1e21, 123456789012, 0.1, -1.50]"));
    // integers beyond 2^53 become the nearest double, as RFC 8785 prescribes
    assertEquals("[9007199254740992]", canon("[9007199254740993]"));
    assertEquals("[5e-324,1.7976931348623157e+308]", canon("[4.9e-324, 1.7976931348623157e308]"));
  }

  @Test
  void stringsAreEscapedMinimally() {
    assertEquals("[\"\\u0000\\b\\t\\n\\f\\r\\u001f\",\"\\\"\\\\\",\"/\u00e9\u2028\ud83d\ude00\"]",
        canon("[\"\\u0000\\b\\t\\n\\f\\r\\u001F\", \"\\\"\\\\\", \"\\/\\u00e9\\u2028\\uD83D\\uDE00\"]"));
  }

  @Test
  void formattingOfTheInputDoesNotMatter() {
    String a = "{\"b\":[1.0,2],\"a\":\"x\"}";
    String b = "{\n  \"a\" : \"\\u0078\",\n  \"b\" : [ 1, 2.000 ]\n}";
    assertArrayEquals(Canonical.bytes(Json.tree(a)), Canonical.bytes(Json.tree(b)));
  }

  @Test
  void signingBytesDropOnlyTheTopLevelSignature() {
    ObjectNode o = (ObjectNode) Json.tree(
        "{\"signature\":\"top\",\"z\":1,\"inner\":{\"signature\":\"keep\"},\"list\":[{\"signature\":\"keep2\"}]}");
    String signed = new String(Canonical.signingBytes(o), StandardCharsets.UTF_8);
    assertEquals("{\"inner\":{\"signature\":\"keep\"},\"list\":[{\"signature\":\"keep2\"}],\"z\":1}", signed);
    assertEquals("top", o.get("signature").asText(), "signingBytes must not change its argument");
  }

  @Test
  void signingBytesOfARecordEqualThoseOfItsWireForm() {
    Assignment a = new Assignment("as-1", "u-1", "j-1", new ModelRef("sha256:ab", "/b", "OnnxRuntime", 10),
        List.of(Json.tree("{\"pixels\":[1.0,0.5,1e-7]}")), null, "2030-01-01T00:00:00Z", "kid", "sig");
    ObjectNode received = (ObjectNode) Json.tree(Json.writeBytes(a));
    assertArrayEquals(Canonical.signingBytes(a), Canonical.signingBytes(received));
    String text = new String(Canonical.signingBytes(a), StandardCharsets.UTF_8);
    assertTrue(text.startsWith("{\"assignmentId\":\"as-1\",\"deadline\""), text);
    assertTrue(text.contains("\"keyId\":\"kid\""), "keyId is covered: " + text);
    assertTrue(!text.contains("signature") && !text.contains("inputUrl"), text);
    assertTrue(text.contains("[1,0.5,1e-7]"), text);
  }

  @Test
  void nonFiniteValuesOfARecordSignLikeTheirWireForm() {
    ResultSubmission r = new ResultSubmission("a", List.of(Json.tree("{\"y\":[\"NaN\",1]}")), 3, Double.NaN, null);
    JsonNode wire = Json.tree(Json.writeBytes(r));
    assertEquals("NaN", wire.get("energyJ").asText());
    assertArrayEquals(Canonical.signingBytes(r), Canonical.signingBytes((ObjectNode) wire));
  }
}
