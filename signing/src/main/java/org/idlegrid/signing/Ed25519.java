package org.idlegrid.signing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.idlegrid.json.Canonical;
import org.idlegrid.json.Hashes;

/**
 * Ed25519 with Bouncy Castle's lightweight API (no JCA provider registration, so it works the
 * same on Android). Keys travel as standard base64 of the 32 raw bytes; signatures as standard
 * base64 (with padding) of the 64 signature bytes.
 *
 * <p>What is signed is always the RFC 8785 canonical form of a JSON object without its
 * {@code signature} field ({@link Canonical#signingBytes}).
 */
public final class Ed25519 {
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ed25519() {}

  /** A private key with its public half. */
  public record KeyPair(PrivateKey privateKey, PublicKey publicKey) {
    public String keyId() {
      return publicKey.keyId();
    }
  }

  /** A raw 32-byte Ed25519 private key (the seed). */
  public static final class PrivateKey {
    private final Ed25519PrivateKeyParameters params;

    private PrivateKey(Ed25519PrivateKeyParameters params) {
      this.params = params;
    }

    public static PrivateKey fromRaw(byte[] raw) {
      if (raw == null || raw.length != Ed25519PrivateKeyParameters.KEY_SIZE) {
        throw new IllegalArgumentException("an Ed25519 private key is 32 bytes");
      }
      return new PrivateKey(new Ed25519PrivateKeyParameters(raw, 0));
    }

    public byte[] raw() {
      return params.getEncoded();
    }

    public PublicKey publicKey() {
      return new PublicKey(params.generatePublicKey());
    }

    /** Signs {@code message}; returns the 64 signature bytes. */
    public byte[] sign(byte[] message) {
      Ed25519Signer signer = new Ed25519Signer();
      signer.init(true, params);
      signer.update(message, 0, message.length);
      return signer.generateSignature();
    }

    /** Signs the canonical form of {@code object} without its signature field; base64. */
    public String signJson(ObjectNode object) {
      return Base64.getEncoder().encodeToString(sign(Canonical.signingBytes(object)));
    }

    /** Signs the canonical form of a record (as JSON) without its signature field; base64. */
    public String signJson(Object record) {
      return Base64.getEncoder().encodeToString(sign(Canonical.signingBytes(record)));
    }

    @Override
    public String toString() {
      return "Ed25519PrivateKey[" + publicKey().keyId() + "]"; // never the key itself
    }
  }

  /** A raw 32-byte Ed25519 public key. */
  public static final class PublicKey {
    private final Ed25519PublicKeyParameters params;

    private PublicKey(Ed25519PublicKeyParameters params) {
      this.params = params;
    }

    public static PublicKey fromRaw(byte[] raw) {
      if (raw == null || raw.length != Ed25519PublicKeyParameters.KEY_SIZE) {
        throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
      }
      try {
        return new PublicKey(new Ed25519PublicKeyParameters(raw, 0));
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("not a valid Ed25519 public key", e);
      }
    }

    /** From standard base64 of the 32 raw bytes; throws IllegalArgumentException if malformed. */
    public static PublicKey fromBase64(String b64) {
      if (b64 == null) {
        throw new IllegalArgumentException("missing public key");
      }
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("public key is not standard base64", e);
      }
      return fromRaw(raw);
    }

    public byte[] raw() {
      return params.getEncoded();
    }

    public String base64() {
      return Base64.getEncoder().encodeToString(raw());
    }

    /** A short stable name for the key: the first 16 hex digits of sha256 of the raw bytes. */
    public String keyId() {
      return HexFormat.of().formatHex(Hashes.sha256().digest(raw()), 0, 8);
    }

    public boolean verify(byte[] message, byte[] signature) {
      if (message == null || signature == null || signature.length != 64) {
        return false;
      }
      Ed25519Signer verifier = new Ed25519Signer();
      verifier.init(false, params);
      verifier.update(message, 0, message.length);
      return verifier.verifySignature(signature);
    }

    /**
     * Verifies the base64 {@code signature} field of {@code object} over the canonical form of
     * the object without it. Anything malformed is simply not valid.
     */
    public boolean verifyJson(ObjectNode object) {
      if (object == null) {
        return false;
      }
      var sig = object.get(Canonical.SIGNATURE_FIELD);
      if (sig == null || !sig.isTextual()) {
        return false;
      }
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(sig.asText());
      } catch (IllegalArgumentException e) {
        return false;
      }
      return verify(Canonical.signingBytes(object), raw);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof PublicKey other && java.util.Arrays.equals(raw(), other.raw());
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(raw());
    }

    @Override
    public String toString() {
      return "Ed25519PublicKey[" + keyId() + "]";
    }
  }

  public static KeyPair generate() {
    Ed25519PrivateKeyParameters p = new Ed25519PrivateKeyParameters(RANDOM);
    PrivateKey priv = new PrivateKey(p);
    return new KeyPair(priv, priv.publicKey());
  }
}
