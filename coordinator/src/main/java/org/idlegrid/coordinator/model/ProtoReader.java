package org.idlegrid.coordinator.model;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The few protobuf wire-format primitives the ONNX reader needs: tags, varints, length-delimited
 * fields and skipping. Any malformed input (a truncated field, an unknown wire type, a length
 * past the end) throws {@link ModelException}.
 */
final class ProtoReader {
  static final int VARINT = 0;
  static final int I64 = 1;
  static final int LEN = 2;
  static final int I32 = 5;

  private final ByteBuffer buf;

  ProtoReader(ByteBuffer buf) {
    this.buf = buf.slice();
  }

  boolean hasMore() {
    return buf.hasRemaining();
  }

  /** The next tag: field number << 3 | wire type. */
  int tag() {
    long tag = varint();
    if (tag <= 0 || tag > Integer.MAX_VALUE || (tag >>> 3) == 0) {
      throw bad("invalid field tag " + tag);
    }
    int wire = (int) (tag & 7);
    if (wire != VARINT && wire != I64 && wire != LEN && wire != I32) {
      throw bad("unsupported wire type " + wire);
    }
    return (int) tag;
  }

  static int field(int tag) {
    return tag >>> 3;
  }

  static int wire(int tag) {
    return tag & 7;
  }

  long varint() {
    long result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (!buf.hasRemaining()) {
        throw bad("truncated varint");
      }
      byte b = buf.get();
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return result;
      }
    }
    throw bad("varint longer than 10 bytes");
  }

  /** A length-delimited field's bytes, as a view. */
  ByteBuffer bytes() {
    long len = varint();
    if (len < 0 || len > buf.remaining()) {
      throw bad("field length " + len + " runs past the end of the data");
    }
    ByteBuffer slice = buf.slice(buf.position(), (int) len);
    buf.position(buf.position() + (int) len);
    return slice;
  }

  String string() {
    ByteBuffer b = bytes();
    byte[] a = new byte[b.remaining()];
    b.get(a);
    return new String(a, StandardCharsets.UTF_8);
  }

  void skip(int tag) {
    switch (wire(tag)) {
      case VARINT -> varint();
      case I64 -> advance(8);
      case I32 -> advance(4);
      case LEN -> bytes();
      default -> throw bad("unsupported wire type " + wire(tag));
    }
  }

  private void advance(int n) {
    if (buf.remaining() < n) {
      throw bad("truncated fixed-width field");
    }
    buf.position(buf.position() + n);
  }

  private static ModelException bad(String what) {
    return new ModelException("not a valid ONNX model: " + what);
  }
}
