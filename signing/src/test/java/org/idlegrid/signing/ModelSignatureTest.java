package org.idlegrid.signing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelSignatureTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-04T05:06:07.891Z"), ZoneOffset.UTC);
  static final Ed25519.KeyPair PUBLISHER = Ed25519.generate();

  @TempDir Path dir;
  Path model;
  byte[] bytes;

  @BeforeEach
  void writeModel() throws IOException {
    bytes = new byte[300_000];
    new Random(7).nextBytes(bytes);
    model = dir.resolve("digits.onnx");
    Files.write(model, bytes);
  }

  private Path signed() throws IOException {
    Path sig = ModelSignature.defaultSignaturePath(model);
    ModelSignature.signToFile(model, PUBLISHER.privateKey(), CLOCK, sig);
    return sig;
  }

  private String invalid(Path sig, Ed25519.PublicKey key) {
    return assertThrows(ModelSignature.InvalidSignatureException.class,
        () -> ModelSignature.verify(model, sig, key)).getMessage();
  }

  @Test
  void signatureFileDescribesTheModel() throws IOException {
    Path sig = signed();
    assertEquals(dir.resolve("digits.onnx.sig.json"), sig);
    ObjectNode o = (ObjectNode) Json.tree(Files.readAllBytes(sig));
    assertEquals("digits.onnx", o.get("file").asText());
    assertEquals(Hashes.contentId(bytes), o.get("sha256").asText());
    assertEquals(bytes.length, o.get("bytes").asLong());
    assertEquals(PUBLISHER.keyId(), o.get("keyId").asText());
    assertEquals(PUBLISHER.publicKey().base64(), o.get("publicKey").asText());
    assertEquals("2025-03-04T05:06:07Z", o.get("signedAt").asText());
    assertTrue(PUBLISHER.publicKey().verifyJson(o), "signature is over the canonical form");
    assertEquals(7, o.size());
  }

  @Test
  void validSignatureVerifies() throws Exception {
    Path sig = signed();
    ModelSignature.Signed s = ModelSignature.verify(model, sig, PUBLISHER.publicKey());
    assertEquals(Hashes.contentId(bytes), s.sha256());
    assertEquals(bytes.length, s.bytes());
  }

  @Test
  void reformattedSignatureFileStillVerifies() throws Exception {
    Path sig = signed();
    ObjectNode o = (ObjectNode) Json.tree(Files.readAllBytes(sig));
    ObjectNode reordered = Json.mapper().createObjectNode();
    for (String k : new String[] {"signature", "signedAt", "publicKey", "keyId", "bytes", "sha256", "file"}) {
      reordered.set(k, o.get(k));
    }
    Files.writeString(sig, Json.write(reordered));
    ModelSignature.verify(model, sig, PUBLISHER.publicKey());
  }

  @Test
  void aRenamedModelStillVerifies() throws Exception {
    Path sig = signed();
    Path renamed = dir.resolve("other-name.onnx");
    Files.move(model, renamed);
    ModelSignature.verify(renamed, sig, PUBLISHER.publicKey());
  }

  @Test
  void aTamperedModelOfTheSameSizeIsRejected() throws IOException {
    Path sig = signed();
    bytes[150_000] ^= 1;
    Files.write(model, bytes);
    String msg = invalid(sig, PUBLISHER.publicKey());
    assertTrue(msg.contains("sha256") && msg.contains("altered"), msg);
  }

  @Test
  void aTruncatedOrExtendedModelIsRejectedBySize() throws IOException {
    Path sig = signed();
    Files.write(model, new byte[] {1}, java.nio.file.StandardOpenOption.APPEND);
    String msg = invalid(sig, PUBLISHER.publicKey());
    assertTrue(msg.contains((bytes.length + 1) + " bytes") && msg.contains(bytes.length + " bytes"), msg);
  }

  @Test
  void anotherKeyIsRejectedNamingBothKeys() throws IOException {
    Path sig = signed();
    Ed25519.PublicKey other = Ed25519.generate().publicKey();
    String msg = invalid(sig, other);
    assertTrue(msg.contains(other.keyId()) && msg.contains(PUBLISHER.keyId()), msg);
  }

  @Test
  void aSignatureFileMadeByAnotherKeyClaimingTheTrustedKeyIsRejected() throws IOException {
    // an attacker signs a different model with their key but writes the trusted key's id and key
    Ed25519.KeyPair attacker = Ed25519.generate();
    Path sig = signed();
    ObjectNode o = (ObjectNode) Json.tree(Files.readAllBytes(sig));
    o.remove("signature");
    o.put("sha256", Hashes.contentId(new byte[] {1}));
    o.put("signature", attacker.privateKey().signJson(o));
    Files.writeString(sig, Json.write(o));
    String msg = invalid(sig, PUBLISHER.publicKey());
    assertTrue(msg.contains("does not verify"), msg);
  }

  @Test
  void aTamperedSignatureFileIsRejected() throws IOException {
    Path sig = signed();
    String text = Files.readString(sig);
    for (String[] edit : new String[][] {
        {"\"bytes\" : " + bytes.length, "\"bytes\" : " + (bytes.length - 1)},
        {"digits.onnx", "digits2.onnx"},
        {"2025-03-04T05:06:07Z", "2026-03-04T05:06:07Z"}}) {
      assertTrue(text.contains(edit[0]), text);
      Files.writeString(sig, text.replace(edit[0], edit[1]));
      String msg = invalid(sig, PUBLISHER.publicKey());
      assertTrue(msg.contains("does not verify"), msg);
    }
  }

  @Test
  void garbledOrMissingSignatureFilesAreRejectedWithAReason() throws IOException {
    Path sig = dir.resolve("x.sig.json");
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("does not exist"));
    Files.writeString(sig, "{\"file\":");
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("not valid JSON"));
    Files.writeString(sig, "[1,2]");
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("JSON object"));
    Files.writeString(sig, "{\"file\":\"digits.onnx\"}");
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("does not verify"));
    Path good = signed();
    Files.writeString(sig, Files.readString(good).replaceAll("\"signature\" : \"[^\"]+\"", "\"signature\" : \"AAAA\""));
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("does not verify"));
  }

  @Test
  void aMissingModelIsRejected() throws IOException {
    Path sig = signed();
    Files.delete(model);
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("does not exist"));
  }

  @Test
  void aSignedButMalformedDescriptionIsRejected() throws IOException {
    ObjectNode o = Json.mapper().createObjectNode();
    o.put("file", "digits.onnx").put("sha256", "md5:abc").put("bytes", bytes.length)
        .put("keyId", PUBLISHER.keyId()).put("publicKey", PUBLISHER.publicKey().base64())
        .put("signedAt", "2025-01-01T00:00:00Z");
    o.put("signature", PUBLISHER.privateKey().signJson(o));
    Path sig = dir.resolve("m.sig.json");
    Files.write(sig, Json.writeBytes(o));
    assertTrue(invalid(sig, PUBLISHER.publicKey()).contains("sha256:<64 hex>"));
  }

  @Test
  void emptyModelCanBeSignedAndVerified() throws Exception {
    Files.write(model, new byte[0]);
    Path sig = signed();
    assertEquals(0, ModelSignature.verify(model, sig, PUBLISHER.publicKey()).bytes());
    assertTrue(new String(Files.readAllBytes(sig), StandardCharsets.UTF_8).contains("e3b0c442"));
  }
}
