package org.idlegrid.coordinator.auth;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import org.idlegrid.json.Hashes;

/**
 * Bearer secrets (API keys, device tokens, enrollment tokens): 32 random bytes, URL-safe base64,
 * with a short prefix that says what the secret is ({@code igk_} API key, {@code igd_} device
 * token, {@code ige_} enrollment token). Only {@link #hash} of a secret is ever stored; a secret
 * is never logged.
 */
public final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();

  public static final String API_KEY_PREFIX = "igk_";
  public static final String DEVICE_TOKEN_PREFIX = "igd_";
  public static final String ENROLLMENT_TOKEN_PREFIX = "ige_";

  private Secrets() {}

  public static String newSecret(String prefix) {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  /** A random id with {@code prefix}: 16 random bytes in lower-case hex. */
  public static String newId(String prefix) {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return prefix + java.util.HexFormat.of().formatHex(b);
  }

  /** sha256 hex of the secret's UTF-8 bytes: what the database keeps. */
  public static String hash(String secret) {
    return Hashes.sha256Hex(secret.getBytes(StandardCharsets.UTF_8));
  }
}
