package org.idlegrid.signing.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Random;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.signing.Ed25519;
import org.idlegrid.signing.KeyFiles;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SigningCliTest {
  @TempDir Path dir;
  Path model;
  Path key;
  Path pub;

  /** Exit code plus what went to stdout and stderr. */
  record Run(int code, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = SigningCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeEach
  void setUp() throws Exception {
    model = dir.resolve("model.onnx");
    byte[] b = new byte[10_000];
    new Random(1).nextBytes(b);
    Files.write(model, b);
    key = dir.resolve("publisher.key");
    pub = dir.resolve("publisher.pub");
    Run r = run("keygen", "--out", key.toString(), "--public", pub.toString());
    assertEquals(0, r.code(), r.err());
  }

  @Test
  void keygenWritesAPrivateKeyOnlyItsOwnerCanReadAndPrintsTheKeyId() throws Exception {
    Path k = dir.resolve("new.key");
    Run r = run("keygen", "--out", k.toString());
    assertEquals(0, r.code(), r.err());
    Ed25519.KeyPair pair = KeyFiles.load(k);
    assertTrue(r.out().contains("keyId: " + pair.keyId()), r.out());
    assertTrue(r.out().contains("publicKey: " + pair.publicKey().base64()), r.out());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(k)));
    assertEquals(KeyFiles.load(key).publicKey(), KeyFiles.loadPublic(pub));
  }

  @Test
  void keygenRefusesToOverwriteEitherFile() throws Exception {
    String before = Files.readString(key);
    Run r = run("keygen", "--out", key.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("refusing to overwrite"), r.err());
    assertEquals(before, Files.readString(key));
    Path fresh = dir.resolve("fresh.key");
    Run r2 = run("keygen", "--out", fresh.toString(), "--public", pub.toString());
    assertEquals(1, r2.code());
    assertFalse(Files.exists(fresh), "nothing is written when any target exists");
  }

  @Test
  void signWritesTheSignatureFileBesideTheModel() throws Exception {
    Run r = run("sign", "--key", key.toString(), model.toString());
    assertEquals(0, r.code(), r.err());
    Path sig = dir.resolve("model.onnx.sig.json");
    assertTrue(r.out().contains(sig.toString()), r.out());
    var o = Json.tree(Files.readAllBytes(sig));
    assertEquals("model.onnx", o.get("file").asText());
    assertEquals(Hashes.contentId(Files.readAllBytes(model)), o.get("sha256").asText());
    assertEquals(10_000, o.get("bytes").asLong());
    assertEquals(KeyFiles.load(key).keyId(), o.get("keyId").asText());
    Instant.parse(o.get("signedAt").asText());
    assertTrue(KeyFiles.loadPublic(pub).verifyJson((com.fasterxml.jackson.databind.node.ObjectNode) o));
  }

  @Test
  void verifyAcceptsAValidSignatureWithTheKeyInEveryForm() throws Exception {
    assertEquals(0, run("sign", "--key", key.toString(), model.toString()).code());
    String b64 = KeyFiles.loadPublic(pub).base64();
    Path b64File = dir.resolve("publisher.b64");
    Files.writeString(b64File, b64 + "\n");
    for (String k : new String[] {pub.toString(), b64, b64File.toString(), key.toString()}) {
      Run r = run("verify", "--public-key", k, model.toString());
      assertEquals(0, r.code(), k + ": " + r.err());
      assertTrue(r.out().startsWith("OK "), r.out());
      assertTrue(r.out().contains(KeyFiles.load(key).keyId()), r.out());
    }
  }

  @Test
  void verifyWithAnExplicitSignatureFile() throws Exception {
    Path sig = dir.resolve("elsewhere.json");
    assertEquals(0, run("sign", "--key", key.toString(), "--out", sig.toString(), model.toString()).code());
    assertFalse(Files.exists(dir.resolve("model.onnx.sig.json")));
    assertEquals(0, run("verify", "--public-key", pub.toString(), "--sig", sig.toString(), model.toString()).code());
    Run missing = run("verify", "--public-key", pub.toString(), model.toString());
    assertEquals(1, missing.code());
    assertTrue(missing.err().contains("does not exist"), missing.err());
  }

  @Test
  void verifyRejectsATamperedModel() throws Exception {
    assertEquals(0, run("sign", "--key", key.toString(), model.toString()).code());
    byte[] b = Files.readAllBytes(model);
    b[0] ^= 0x40;
    Files.write(model, b);
    Run r = run("verify", "--public-key", pub.toString(), model.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("INVALID: ") && r.err().contains("altered"), r.err());
    assertEquals("", r.out());
  }

  @Test
  void verifyRejectsAnotherKey() throws Exception {
    assertEquals(0, run("sign", "--key", key.toString(), model.toString()).code());
    Run r = run("verify", "--public-key", Ed25519.generate().publicKey().base64(), model.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("does not verify"), r.err());
  }

  @Test
  void verifyRejectsATamperedSignatureFile() throws Exception {
    assertEquals(0, run("sign", "--key", key.toString(), model.toString()).code());
    Path sig = dir.resolve("model.onnx.sig.json");
    Files.writeString(sig, Files.readString(sig).replace("10000", "10001"));
    Run r = run("verify", "--public-key", pub.toString(), model.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().contains("does not verify"), r.err());
    Files.writeString(sig, "garbage");
    Run g = run("verify", "--public-key", pub.toString(), model.toString());
    assertEquals(1, g.code());
    assertTrue(g.err().contains("not valid JSON"), g.err());
  }

  @Test
  void aBadPublicKeyArgumentIsAUsageError() {
    Run r = run("verify", "--public-key", "nope", model.toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--public-key") && r.err().contains("nope"), r.err());
  }

  @Test
  void signWithAMissingOrBadKeyFailsWithAMessageNotAStackTrace() throws Exception {
    Run r = run("sign", "--key", dir.resolve("absent.key").toString(), model.toString());
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("error: ") && r.err().contains("absent.key"), r.err());
    assertFalse(r.err().contains("\tat "), r.err());
    Run p = run("sign", "--key", pub.toString(), model.toString());
    assertEquals(1, p.code());
    assertTrue(p.err().contains("PRIVATE KEY"), p.err());
    Run m = run("sign", "--key", key.toString(), dir.resolve("absent.onnx").toString());
    assertEquals(1, m.code());
    assertTrue(m.err().contains("absent.onnx"), m.err());
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, run().code());
    assertEquals(2, run("frobnicate").code());
    assertEquals(2, run("sign", model.toString()).code(), "--key is required");
    assertEquals(2, run("verify", model.toString()).code(), "--public-key is required");
    assertEquals(2, run("keygen").code(), "--out is required");
    Run r = run("keygen", "--out", "x", "--bogus");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("--bogus"), r.err());
  }

  @Test
  void helpListsTheCommands() {
    Run r = run("--help");
    assertEquals(0, r.code());
    for (String c : new String[] {"keygen", "sign", "verify"}) {
      assertTrue(r.out().contains(c), r.out());
    }
  }
}
