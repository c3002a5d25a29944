package org.idlegrid.signing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeyFilesTest {
  static final Path OPENSSL = Path.of("/usr/bin/openssl");
  static final ASN1ObjectIdentifier ID_ED25519 = new ASN1ObjectIdentifier("1.3.101.112");

  @TempDir Path dir;

  private static byte[] pemBody(String pem, String type) {
    assertTrue(pem.startsWith("-----BEGIN " + type + "-----\n"), pem);
    assertTrue(pem.trim().endsWith("-----END " + type + "-----"), pem);
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    return Base64.getDecoder().decode(b64);
  }

  @Test
  void privateKeyPemRoundTrips() throws IOException {
    Path file = dir.resolve("key.pem");
    Ed25519.KeyPair pair = Ed25519.generate();
    KeyFiles.savePrivate(file, pair.privateKey());
    Ed25519.KeyPair loaded = KeyFiles.load(file);
    assertArrayEquals(pair.privateKey().raw(), loaded.privateKey().raw());
    assertEquals(pair.publicKey(), loaded.publicKey());
    assertEquals(pair.publicKey(), KeyFiles.loadPublic(file), "a private key file also yields its public key");
  }

  @Test
  void privateKeyIsPkcs8DerForEd25519() throws IOException {
    Path file = dir.resolve("key.pem");
    Ed25519.KeyPair pair = Ed25519.generate();
    KeyFiles.savePrivate(file, pair.privateKey());
    byte[] der = pemBody(Files.readString(file), "PRIVATE KEY");
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(ASN1Primitive.fromByteArray(der));
    assertEquals(ID_ED25519, info.getPrivateKeyAlgorithm().getAlgorithm());
    assertTrue(info.getPrivateKeyAlgorithm().getParameters() == null, "RFC 8410: parameters absent");
    byte[] seed = ASN1OctetString.getInstance(info.parsePrivateKey()).getOctets();
    assertArrayEquals(pair.privateKey().raw(), seed);
    // RFC 8410 section 10.3 prefix of a v1 Ed25519 PKCS#8 key
    assertEquals("302e020100300506032b657004220420", java.util.HexFormat.of().formatHex(der, 0, 16));
    assertEquals(48, der.length);
  }

  @Test
  void pkcs8V2FilesWithTheirPublicKeyStillLoad() throws IOException {
    // what Bouncy Castle's PrivateKeyInfoFactory writes (and what earlier builds saved)
    Ed25519.KeyPair pair = Ed25519.generate();
    PrivateKeyInfo v2 = org.bouncycastle.crypto.util.PrivateKeyInfoFactory.createPrivateKeyInfo(
        new org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters(pair.privateKey().raw(), 0));
    assertTrue(v2.hasPublicKey());
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(v2.getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
    Path file = dir.resolve("v2.pem");
    Files.writeString(file, pem);
    assertEquals(pair.publicKey(), KeyFiles.load(file).publicKey());
  }

  @Test
  void publicKeyPemRoundTripsAsSubjectPublicKeyInfo() throws IOException {
    Path file = dir.resolve("key.pub");
    Ed25519.PublicKey pub = Ed25519.generate().publicKey();
    KeyFiles.savePublic(file, pub);
    assertEquals(pub, KeyFiles.loadPublic(file));
    byte[] der = pemBody(Files.readString(file), "PUBLIC KEY");
    SubjectPublicKeyInfo info = SubjectPublicKeyInfo.getInstance(der);
    assertEquals(ID_ED25519, info.getAlgorithm().getAlgorithm());
    assertArrayEquals(pub.raw(), info.getPublicKeyData().getOctets());
    assertEquals(44, der.length);
  }

  @Test
  void privateKeyFileIsReadableByItsOwnerOnly() throws IOException {
    Path file = dir.resolve("sub/dir/key.pem");
    KeyFiles.savePrivate(file, Ed25519.generate().privateKey());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    Path secret = dir.resolve("admin.key");
    KeyFiles.writeSecret(secret, "s3cret\n");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(secret)));
    assertEquals("s3cret\n", Files.readString(secret));
  }

  @Test
  void savingNeverOverwritesAndLeavesNoTemporaryFiles() throws IOException {
    Path file = dir.resolve("key.pem");
    Ed25519.KeyPair first = Ed25519.generate();
    KeyFiles.savePrivate(file, first.privateKey());
    assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.savePrivate(file, Ed25519.generate().privateKey()));
    assertThrows(FileAlreadyExistsException.class, () -> KeyFiles.writeSecret(file, "x"));
    assertArrayEquals(first.privateKey().raw(), KeyFiles.load(file).privateKey().raw());
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(List.of("key.pem"), files.map(p -> p.getFileName().toString()).collect(Collectors.toList()));
    }
  }

  @Test
  void loadOrCreateCreatesOnceAndThenLoadsTheSameKey() throws IOException {
    Path file = dir.resolve("device.key");
    Ed25519.KeyPair created = KeyFiles.loadOrCreate(file);
    assertTrue(Files.exists(file));
    String pem = Files.readString(file);
    Ed25519.KeyPair again = KeyFiles.loadOrCreate(file);
    assertEquals(created.publicKey(), again.publicKey());
    assertArrayEquals(created.privateKey().raw(), again.privateKey().raw());
    assertEquals(pem, Files.readString(file), "loading must not rewrite the file");
  }

  @Test
  void concurrentLoadOrCreateAgreesOnOneKey() throws Exception {
    Path file = dir.resolve("race.key");
    int n = 8;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Ed25519.PublicKey>> results = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return KeyFiles.loadOrCreate(file).publicKey();
        }));
      }
      start.countDown();
      Set<Ed25519.PublicKey> keys = new HashSet<>();
      for (Future<Ed25519.PublicKey> f : results) {
        keys.add(f.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, keys.size(), "every caller must end up with the key on disk");
      assertEquals(keys.iterator().next(), KeyFiles.loadPublic(file));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void malformedKeyFilesGiveIoExceptionsThatSayWhy() throws IOException {
    Path garbage = dir.resolve("garbage.pem");
    Files.writeString(garbage, "hello");
    assertTrue(assertThrows(IOException.class, () -> KeyFiles.load(garbage)).getMessage().contains("PEM"));
    Path badBase64 = dir.resolve("bad64.pem");
    Files.writeString(badBase64, "-----BEGIN PRIVATE KEY-----\n@@@@\n-----END PRIVATE KEY-----\n");
    assertThrows(IOException.class, () -> KeyFiles.load(badBase64));
    Path badDer = dir.resolve("baddér.pem");
    Files.writeString(badDer, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assertThrows(IOException.class, () -> KeyFiles.load(badDer));
    Path pub = dir.resolve("pub.pem");
    KeyFiles.savePublic(pub, Ed25519.generate().publicKey());
    assertTrue(assertThrows(IOException.class, () -> KeyFiles.load(pub)).getMessage().contains("PRIVATE KEY"));
    Path badPub = dir.resolve("badpub.pem");
    Files.writeString(badPub, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
    assertThrows(IOException.class, () -> KeyFiles.loadPublic(badPub));
    Path cert = dir.resolve("cert.pem");
    Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    assertTrue(assertThrows(IOException.class, () -> KeyFiles.loadPublic(cert)).getMessage().contains("CERTIFICATE"));
  }

  @Test
  void openSslInteroperates() throws Exception {
    // the PEM/DER structure is asserted above on every machine; with OpenSSL here, check it both ways
    if (!Files.isExecutable(OPENSSL)) {
      System.err.println("KeyFilesTest: no " + OPENSSL + ": OpenSSL interop not checked (DER structure still is)");
      privateKeyIsPkcs8DerForEd25519();
      return;
    }
    Path ours = dir.resolve("ours.pem");
    Ed25519.KeyPair pair = Ed25519.generate();
    KeyFiles.savePrivate(ours, pair.privateKey());
    assertEquals("", openssl("pkey", "-in", ours.toString(), "-noout"));
    // OpenSSL derives the same public key from our private key file
    assertEquals(KeyFiles.publicPem(pair.publicKey()).trim(), openssl("pkey", "-in", ours.toString(), "-pubout").trim());

    // we read a key OpenSSL generated
    Path theirs = dir.resolve("theirs.pem");
    openssl("genpkey", "-algorithm", "ed25519", "-out", theirs.toString());
    Path theirsPub = dir.resolve("theirs.pub");
    openssl("pkey", "-in", theirs.toString(), "-pubout", "-out", theirsPub.toString());
    Ed25519.KeyPair loaded = KeyFiles.load(theirs);
    assertEquals(KeyFiles.loadPublic(theirsPub), loaded.publicKey());

    // OpenSSL verifies our signature with our public key file
    Path msg = dir.resolve("msg.bin");
    Files.write(msg, "canonical bytes".getBytes(StandardCharsets.UTF_8));
    Path sig = dir.resolve("msg.sig");
    Files.write(sig, pair.privateKey().sign(Files.readAllBytes(msg)));
    Path pub = dir.resolve("ours.pub");
    KeyFiles.savePublic(pub, pair.publicKey());
    String out = openssl("pkeyutl", "-verify", "-pubin", "-inkey", pub.toString(), "-rawin",
        "-in", msg.toString(), "-sigfile", sig.toString());
    assertTrue(out.contains("Signature Verified Successfully"), out);
  }

  private String openssl(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(OPENSSL.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "openssl hung");
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    return out;
  }
}
