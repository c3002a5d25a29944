package org.idlegrid.json;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** sha256 helpers and the {@code sha256:<hex>} content ids used for models, files and blobs. */
public final class Hashes {
  public static final String PREFIX = "sha256:";
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  private Hashes() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  public static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  public static String sha256Hex(InputStream in) throws IOException {
    MessageDigest digest = sha256();
    byte[] buffer = new byte[64 * 1024];
    for (int n; (n = in.read(buffer)) != -1; ) {
      digest.update(buffer, 0, n);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  /** {@code sha256:<hex>} of {@code bytes}. */
  public static String contentId(byte[] bytes) {
    return PREFIX + sha256Hex(bytes);
  }

  /** True for a well formed {@code sha256:<64 lower-case hex>} id or a bare 64-hex digest. */
  public static boolean isContentId(String id) {
    if (id == null) {
      return false;
    }
    String hex = id.startsWith(PREFIX) ? id.substring(PREFIX.length()) : id;
    return HEX64.matcher(hex).matches();
  }

  /** The 64-hex digest of a content id, with or without its prefix; throws if malformed. */
  public static String hexOf(String id) {
    if (!isContentId(id)) {
      throw new IllegalArgumentException("not a sha256 content id: " + id);
    }
    return id.startsWith(PREFIX) ? id.substring(PREFIX.length()) : id;
  }
}
