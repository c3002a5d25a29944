package org.idlegrid.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * RFC 8785 (JSON Canonicalization Scheme) through the reference Java implementation. This is
 * what signatures cover: the canonical UTF-8 bytes of an object without its {@code signature}
 * field.
 */
public final class Canonical {
  public static final String SIGNATURE_FIELD = "signature";

  private Canonical() {}

  /** The RFC 8785 bytes of {@code node}. */
  public static byte[] bytes(JsonNode node) {
    try {
      return new JsonCanonicalizer(Json.write(node)).getEncodedUTF8();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot canonicalize: " + e.getMessage(), e);
    }
  }

  /** The RFC 8785 form of {@code json} as a string. */
  public static String string(String json) {
    try {
      return new JsonCanonicalizer(json).getEncodedString();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot canonicalize: " + e.getMessage(), e);
    }
  }

  /** The bytes a signature covers: {@code object} less its {@value #SIGNATURE_FIELD} field. */
  public static byte[] signingBytes(ObjectNode object) {
    ObjectNode copy = object.deepCopy();
    copy.remove(SIGNATURE_FIELD);
    return bytes(copy);
  }

  public static byte[] signingBytes(Object record) {
    return signingBytes(Json.toTree(record));
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
