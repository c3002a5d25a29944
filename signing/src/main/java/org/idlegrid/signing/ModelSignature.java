package org.idlegrid.signing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;

/**
 * Detached signatures of model files ({@code MODEL.sig.json}), made by {@code signing sign} and
 * checked by {@code signing verify}:
 *
 * <pre>{"file":"digits.onnx","sha256":"sha256:&lt;hex&gt;","bytes":1234,"keyId":"&lt;16 hex&gt;",
 *  "publicKey":"&lt;base64&gt;","signedAt":"2025-01-01T00:00:00Z","signature":"&lt;base64&gt;"}</pre>
 *
 * <p>The signature is Ed25519 over the RFC 8785 form of that object without {@code signature}
 * (the same rule as every signed protocol message), so it covers the hash, the size, the file
 * name, the key and the time. Verification order: the signature is checked against the
 * <em>trusted</em> key given by the caller (never the key named in the file) on the JSON tree as
 * read; only then are the fields used, and the model's size and sha256 are compared in one pass
 * over its bytes. The {@code file} name is informative: a renamed model still verifies.
 */
public final class ModelSignature {
  /** The suffix of a signature file beside its model. */
  public static final String SUFFIX = ".sig.json";

  private ModelSignature() {}

  /** The content of a signature file. */
  public record Signed(
      String file, String sha256, long bytes, String keyId, String publicKey, String signedAt, String signature) {}

  /** A signature file that does not check out: the message says what is wrong. */
  public static final class InvalidSignatureException extends Exception {
    public InvalidSignatureException(String message) {
      super(message);
    }
  }

  /** {@code MODEL.sig.json} beside {@code model}. */
  public static Path defaultSignaturePath(Path model) {
    return model.resolveSibling(model.getFileName() + SUFFIX);
  }

  /** Hashes {@code model} and signs the description with {@code key}; writes nothing. */
  public static Signed sign(Path model, Ed25519.PrivateKey key, Clock clock) throws IOException {
    Digest d = digest(model);
    Ed25519.PublicKey pub = key.publicKey();
    Signed unsigned = new Signed(model.getFileName().toString(), Hashes.PREFIX + d.hex, d.bytes,
        pub.keyId(), pub.base64(), Instant.now(clock).truncatedTo(ChronoUnit.SECONDS).toString(), null);
    return new Signed(unsigned.file(), unsigned.sha256(), unsigned.bytes(), unsigned.keyId(),
        unsigned.publicKey(), unsigned.signedAt(), key.signJson(unsigned));
  }

  /** Signs {@code model} and writes the signature file {@code out} (replacing an old one atomically). */
  public static Signed signToFile(Path model, Ed25519.PrivateKey key, Clock clock, Path out) throws IOException {
    Signed signed = sign(model, key, clock);
    Path dir = out.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, ".tmp-", SUFFIX);
    try {
      String text = Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(signed) + "\n";
      Files.writeString(tmp, text, java.nio.charset.StandardCharsets.UTF_8);
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
    return signed;
  }

  /** Verifies {@code model} against the signature file {@code sigFile} and the trusted key. */
  public static Signed verify(Path model, Path sigFile, Ed25519.PublicKey trusted)
      throws IOException, InvalidSignatureException {
    byte[] sig;
    try {
      sig = Files.readAllBytes(sigFile);
    } catch (NoSuchFileException e) {
      throw new InvalidSignatureException("signature file " + sigFile + " does not exist");
    }
    return verify(model, sig, trusted);
  }

  /** Verifies {@code model} against the bytes of a signature file and the trusted key. */
  public static Signed verify(Path model, byte[] sigJson, Ed25519.PublicKey trusted)
      throws IOException, InvalidSignatureException {
    JsonNode tree;
    try {
      tree = Json.tree(sigJson);
    } catch (Json.JsonException e) {
      throw new InvalidSignatureException("signature file is not valid JSON: " + e.getMessage());
    }
    if (!(tree instanceof ObjectNode object)) {
      throw new InvalidSignatureException("signature file must hold a JSON object");
    }
    if (!trusted.verifyJson(object)) {
      JsonNode claimed = object.get("keyId");
      String why = claimed != null && claimed.isTextual() && !claimed.asText().equals(trusted.keyId())
          ? " (the file names key " + claimed.asText() + ", expected key " + trusted.keyId() + ")"
          : " (the signature file was altered, or made with another key)";
      throw new InvalidSignatureException("signature does not verify with key " + trusted.keyId() + why);
    }
    Signed signed;
    try {
      signed = Json.convert(object, Signed.class);
    } catch (Json.JsonException e) {
      throw new InvalidSignatureException("signature file is malformed: " + e.getMessage());
    }
    if (!Hashes.isContentId(signed.sha256()) || !signed.sha256().startsWith(Hashes.PREFIX) || signed.bytes() < 0) {
      throw new InvalidSignatureException("signature file must name \"sha256\":\"sha256:<64 hex>\" and \"bytes\" >= 0");
    }
    Digest d;
    try {
      d = digest(model);
    } catch (NoSuchFileException e) {
      throw new InvalidSignatureException("model " + model + " does not exist");
    }
    if (d.bytes != signed.bytes()) {
      throw new InvalidSignatureException("model " + model + " has " + d.bytes + " bytes but the signature is for "
          + signed.bytes() + " bytes (wrong or altered file)");
    }
    if (!(Hashes.PREFIX + d.hex).equals(signed.sha256())) {
      throw new InvalidSignatureException("model " + model + " has sha256:" + d.hex + " but the signature is for "
          + signed.sha256() + " (the model was altered)");
    }
    return signed;
  }

  private record Digest(String hex, long bytes) {}

  /** sha256 and size in one pass, so both describe the same bytes. */
  private static Digest digest(Path file) throws IOException {
    MessageDigest md = Hashes.sha256();
    long n = 0;
    byte[] buffer = new byte[256 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int r; (r = in.read(buffer)) != -1; ) {
        md.update(buffer, 0, r);
        n += r;
      }
    }
    return new Digest(HexFormat.of().formatHex(md.digest()), n);
  }
}
