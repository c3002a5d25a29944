package org.idlegrid.signing.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the shaded {@code idlegrid-signing.jar} as a user would: {@code java -jar}. */
class SigningJarIT {
  static final Path JAR = Path.of(System.getProperty("idlegrid.signing.jar", "target/idlegrid-signing.jar"));

  @TempDir Path dir;

  record Result(int code, String output) {}

  static Result java(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(JAR.toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    return new Result(p.exitValue(), out);
  }

  @Test
  void shadedJarHasNoStaleSignaturesAndAMainClass() throws Exception {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertEquals("org.idlegrid.signing.cli.SigningCli", jar.getManifest().getMainAttributes().getValue("Main-Class"));
      List<String> sigs = jar.stream().map(e -> e.getName())
          .filter(n -> n.matches("META-INF/[^/]+\\.(SF|DSA|RSA|EC)")).collect(Collectors.toList());
      assertEquals(List.of(), sigs);
      assertNotNull(jar.getEntry("org/bouncycastle/crypto/signers/Ed25519Signer.class"));
      assertNotNull(jar.getEntry("picocli/CommandLine.class"));
    }
  }

  @Test
  void plainModuleJarStaysALibrary() throws Exception {
    Path plain;
    try (var files = Files.list(JAR.getParent())) {
      plain = files.filter(p -> p.getFileName().toString().matches("idlegrid-signing-[0-9].*\\.jar")
          && !p.getFileName().toString().contains("-cli")).findFirst().orElseThrow();
    }
    try (JarFile jar = new JarFile(plain.toFile())) {
      assertNotNull(jar.getEntry("org/idlegrid/signing/Ed25519.class"));
      assertEquals(null, jar.getEntry("picocli/CommandLine.class"), plain + " must not bundle dependencies");
    }
  }

  @Test
  void keygenSignVerifyRoundTripThroughTheJar() throws Exception {
    Path key = dir.resolve("k.pem");
    Path pub = dir.resolve("k.pub");
    Path model = dir.resolve("m.onnx");
    Files.write(model, "not really a model, but bytes".getBytes(StandardCharsets.UTF_8));

    Result keygen = java("keygen", "--out", key.toString(), "--public", pub.toString());
    assertEquals(0, keygen.code(), keygen.output());
    assertTrue(keygen.output().contains("keyId: "), keygen.output());

    Result sign = java("sign", "--key", key.toString(), model.toString());
    assertEquals(0, sign.code(), sign.output());
    assertTrue(Files.exists(dir.resolve("m.onnx.sig.json")));

    Result ok = java("verify", "--public-key", pub.toString(), model.toString());
    assertEquals(0, ok.code(), ok.output());
    assertTrue(ok.output().startsWith("OK "), ok.output());

    Files.write(model, "not really a model, but BYTES".getBytes(StandardCharsets.UTF_8));
    Result bad = java("verify", "--public-key", pub.toString(), model.toString());
    assertEquals(1, bad.code(), bad.output());
    assertTrue(bad.output().startsWith("INVALID: "), bad.output());
    assertFalse(bad.output().contains("Exception"), bad.output());
  }
}
