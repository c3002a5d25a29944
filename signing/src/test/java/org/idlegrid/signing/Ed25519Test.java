package org.idlegrid.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.protocol.ResultSubmission;
import org.junit.jupiter.api.Test;

class Ed25519Test {
  private static final HexFormat HEX = HexFormat.of();
  private static final Ed25519.KeyPair COORDINATOR = Ed25519.generate();

  /** RFC 8032 section 7.1, TEST 1. */
  @Test
  void rfc8032TestVector1() {
    Ed25519.PrivateKey key = Ed25519.PrivateKey.fromRaw(
        HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        HEX.formatHex(key.publicKey().raw()));
    byte[] sig = key.sign(new byte[0]);
    assertEquals("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        HEX.formatHex(sig));
    assertTrue(key.publicKey().verify(new byte[0], sig));
    assertFalse(key.publicKey().verify(new byte[] {0}, sig));
  }

  @Test
  void keysTravelAsBase64OfTheRawBytesAndKeyIdIsAShortHash() {
    Ed25519.PublicKey pub = COORDINATOR.publicKey();
    assertEquals(44, pub.base64().length());
    assertEquals(pub, Ed25519.PublicKey.fromBase64(pub.base64()));
    assertEquals(pub.hashCode(), Ed25519.PublicKey.fromBase64(pub.base64()).hashCode());
    assertEquals(Hashes.sha256Hex(pub.raw()).substring(0, 16), pub.keyId());
    assertEquals(pub.keyId(), COORDINATOR.keyId());
    assertArrayEquals(COORDINATOR.privateKey().raw(),
        Ed25519.PrivateKey.fromRaw(COORDINATOR.privateKey().raw()).raw());
    assertNotEquals(pub, Ed25519.generate().publicKey());
  }

  @Test
  void malformedPublicKeysAreRejectedWithAReason() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> Ed25519.PublicKey.fromBase64("not base64!"))
        .getMessage().contains("base64"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> Ed25519.PublicKey.fromBase64(Base64.getEncoder().encodeToString(new byte[31])))
        .getMessage().contains("32 bytes"));
    assertThrows(IllegalArgumentException.class, () -> Ed25519.PublicKey.fromBase64(null));
    assertThrows(IllegalArgumentException.class, () -> Ed25519.PrivateKey.fromRaw(new byte[33]));
  }

  @Test
  void toStringNeverShowsThePrivateKey() {
    String s = COORDINATOR.privateKey().toString();
    assertFalse(s.contains(HEX.formatHex(COORDINATOR.privateKey().raw())));
    assertFalse(s.contains(Base64.getEncoder().encodeToString(COORDINATOR.privateKey().raw())));
    assertTrue(s.contains(COORDINATOR.keyId()));
  }

  private static Assignment assignment() {
    List<JsonNode> records = List.of(
        Json.tree("{\"pixels\":[0.0,1.5,16.0,1e-7]}"),
        Json.tree("{\"text\":\"h\u00e9llo \ud83d\ude00\",\"t\":{\"shape\":[2],\"data\":[\"NaN\",3]}}"));
    Assignment a = new Assignment("as-1", "u-1", "j-1",
        new ModelRef("sha256:" + "a".repeat(64), "/api/v1/blobs/" + "a".repeat(64), "OnnxRuntime", 1234),
        records, null, "2030-01-01T00:00:00Z", COORDINATOR.keyId(), null);
    return a.withSignature(COORDINATOR.keyId(), COORDINATOR.privateKey().signJson(a));
  }

  /** The assignment as a device receives it: bytes on the wire parsed into a tree. */
  private static ObjectNode received(Object message) {
    return (ObjectNode) Json.tree(Json.writeBytes(message));
  }

  @Test
  void signedRecordVerifiesOnTheTreeAsReceived() {
    ObjectNode tree = received(assignment());
    assertTrue(COORDINATOR.publicKey().verifyJson(tree));
    assertEquals(64, Base64.getDecoder().decode(tree.get("signature").asText()).length);
  }

  @Test
  void signingAnObjectNodeAndTheRecordGiveTheSameSignature() {
    Assignment a = assignment();
    ObjectNode tree = received(a);
    assertEquals(a.signature(), COORDINATOR.privateKey().signJson(tree), "Ed25519 is deterministic");
  }

  @Test
  void keyOrderAndWhitespaceOfTheReceivedJsonDoNotMatter() throws Exception {
    ObjectNode tree = received(assignment());
    // rebuild with the keys in reverse order, pretty printed, numbers written differently
    List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = tree.fields(); it.hasNext(); ) {
      fields.add(it.next());
    }
    ObjectNode reversed = Json.mapper().createObjectNode();
    for (int i = fields.size() - 1; i >= 0; i--) {
      reversed.set(fields.get(i).getKey(), fields.get(i).getValue());
    }
    String pretty = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(reversed)
        .replace("16.0", "1.6e1").replace("1.0E-7", "0.0000001");
    assertTrue(pretty.contains("\n") && pretty.contains("1.6e1"), pretty);
    assertTrue(COORDINATOR.publicKey().verifyJson((ObjectNode) Json.tree(pretty)));
  }

  @Test
  void aTamperedFieldFailsVerification() {
    ObjectNode tree = received(assignment());
    tree.put("deadline", "2031-01-01T00:00:00Z");
    assertFalse(COORDINATOR.publicKey().verifyJson(tree));
  }

  @Test
  void anAddedFieldFailsVerification() {
    ObjectNode tree = received(assignment());
    tree.put("inputUrl", "http://evil.example/input");
    assertFalse(COORDINATOR.publicKey().verifyJson(tree));
  }

  @Test
  void theSignatureCoversNestedJsonNodeRecords() {
    ObjectNode tree = received(assignment());
    ((ArrayNode) tree.get("records").get(0).get("pixels")).set(1, 1.5000001);
    assertFalse(COORDINATOR.publicKey().verifyJson(tree));
    ObjectNode tree2 = received(assignment());
    ((ObjectNode) tree2.get("records").get(1).get("t")).putArray("shape").add(1).add(2);
    assertFalse(COORDINATOR.publicKey().verifyJson(tree2));
    ObjectNode tree3 = received(assignment());
    ((ObjectNode) tree3.get("model")).put("bytes", 1235);
    assertFalse(COORDINATOR.publicKey().verifyJson(tree3));
  }

  @Test
  void aTamperedSignatureFailsVerification() {
    ObjectNode tree = received(assignment());
    byte[] sig = Base64.getDecoder().decode(tree.get("signature").asText());
    for (int i : new int[] {0, 31, 32, 63}) {
      byte[] bad = sig.clone();
      bad[i] ^= 1;
      tree.put("signature", Base64.getEncoder().encodeToString(bad));
      assertFalse(COORDINATOR.publicKey().verifyJson(tree), "bit flip at byte " + i);
    }
  }

  @Test
  void anotherKeyDoesNotVerify() {
    assertFalse(Ed25519.generate().publicKey().verifyJson(received(assignment())));
  }

  @Test
  void missingOrGarbledSignaturesFailWithoutThrowing() {
    ObjectNode tree = received(assignment());
    String good = tree.get("signature").asText();
    tree.remove("signature");
    assertFalse(COORDINATOR.publicKey().verifyJson(tree));
    for (String garbled : new String[] {"", "not base64 !!", good.substring(0, 40), good + "AAAA",
        Base64.getEncoder().encodeToString(new byte[64])}) {
      tree.put("signature", garbled);
      assertFalse(COORDINATOR.publicKey().verifyJson(tree), garbled);
    }
    tree.put("signature", 12345);
    assertFalse(COORDINATOR.publicKey().verifyJson(tree));
    tree.putNull("signature");
    assertFalse(COORDINATOR.publicKey().verifyJson(tree));
    assertFalse(COORDINATOR.publicKey().verifyJson(null));
    assertFalse(COORDINATOR.publicKey().verify(new byte[0], null));
    assertFalse(COORDINATOR.publicKey().verify(new byte[0], new byte[63]));
  }

  @Test
  void deviceResultSignaturesWorkTheSameWay() {
    Ed25519.KeyPair device = Ed25519.generate();
    ResultSubmission r = new ResultSubmission("as-1", List.of(Json.tree("{\"logits\":[0.1,-2.5,\"NaN\"]}")), 42, null, null);
    ResultSubmission signed = r.withSignature(device.privateKey().signJson(r));
    ObjectNode tree = received(signed);
    assertFalse(tree.has("energyJ"));
    assertTrue(device.publicKey().verifyJson(tree));
    tree.put("elapsedMs", 41);
    assertFalse(device.publicKey().verifyJson(tree));
  }

  @Test
  void aSignatureOverRawBytesCoversEveryByte() {
    byte[] msg = "payload".getBytes(StandardCharsets.UTF_8);
    byte[] sig = COORDINATOR.privateKey().sign(msg);
    assertTrue(COORDINATOR.publicKey().verify(msg, sig));
    msg[0] ^= 1;
    assertFalse(COORDINATOR.publicKey().verify(msg, sig));
  }
}
