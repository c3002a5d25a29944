package org.idlegrid.tensor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A dense tensor as it travels in a record or an output: either {@code {"shape":[…],"data":[…]}}
 * (data flat, row-major) or a plain rectangular (nested) number array. Non-finite values travel
 * as the strings {@code "NaN"}, {@code "Infinity"} and {@code "-Infinity"} (JSON has no literal
 * for them), which is what Jackson writes by default.
 */
public final class Tensor {
  private final long[] shape;
  private final double[] data;

  public Tensor(long[] shape, double[] data) {
    long n = elements(shape);
    if (n != data.length) {
      throw new TensorException(
          "shape " + Arrays.toString(shape) + " holds " + n + " values but data has " + data.length);
    }
    this.shape = shape.clone();
    this.data = data;
  }

  /** The number of values a shape holds; throws if a dimension is negative or the count overflows. */
  static long elements(long[] shape) {
    long n = 1;
    boolean empty = false;
    for (long d : shape) {
      if (d < 0) {
        throw new TensorException("negative dimension in shape " + Arrays.toString(shape));
      }
      empty |= d == 0;
    }
    if (empty) {
      return 0;
    }
    for (long d : shape) {
      try {
        n = Math.multiplyExact(n, d);
      } catch (ArithmeticException e) {
        throw new TensorException("shape " + Arrays.toString(shape) + " is too large");
      }
    }
    return n;
  }

  public long[] shape() {
    return shape.clone();
  }

  /** The values, row-major. The array is the tensor's own: do not change it. */
  public double[] data() {
    return data;
  }

  public int size() {
    return data.length;
  }

  public boolean sameShape(Tensor other) {
    return Arrays.equals(shape, other.shape);
  }

  public float[] toFloats() {
    float[] out = new float[data.length];
    for (int i = 0; i < data.length; i++) {
      out[i] = (float) data[i];
    }
    return out;
  }

  /** True if {@code node} looks like a tensor: a {shape,data} object or a number array. */
  public static boolean isTensor(JsonNode node) {
    return node != null
        && (node.isArray() || (node.isObject() && node.has("shape") && node.has("data")));
  }

  /** Parses a tensor in either form; throws {@link TensorException} naming what is wrong. */
  public static Tensor parse(JsonNode node) {
    if (node == null || node.isNull()) {
      throw new TensorException("missing tensor");
    }
    if (node.isObject()) {
      JsonNode shapeNode = node.get("shape");
      JsonNode dataNode = node.get("data");
      if (shapeNode == null || !shapeNode.isArray() || dataNode == null || !dataNode.isArray()) {
        throw new TensorException("a tensor object needs a \"shape\" array and a flat \"data\" array");
      }
      long[] shape = new long[shapeNode.size()];
      for (int i = 0; i < shape.length; i++) {
        JsonNode d = shapeNode.get(i);
        if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
          throw new TensorException("shape entries must be non-negative integers, got " + d);
        }
        shape[i] = d.asLong();
      }
      double[] data = new double[dataNode.size()];
      for (int i = 0; i < data.length; i++) {
        data[i] = number(dataNode.get(i));
      }
      return new Tensor(shape, data);
    }
    if (node.isArray()) {
      List<Long> shape = new ArrayList<>();
      JsonNode probe = node;
      while (probe.isArray()) {
        shape.add((long) probe.size());
        if (probe.size() == 0) {
          break;
        }
        probe = probe.get(0);
      }
      long[] dims = shape.stream().mapToLong(Long::longValue).toArray();
      // check the whole array is rectangular before allocating: the dimensions come from the
      // first element at each depth only, and a small ragged document must not claim gigabytes
      checkRectangular(node, dims, 0);
      long n = elements(dims);
      if (n > Integer.MAX_VALUE - 8) {
        throw new TensorException("tensor too large");
      }
      double[] data = new double[(int) n];
      int[] pos = {0};
      fill(node, dims, 0, data, pos);
      return new Tensor(dims, data);
    }
    if (node.isNumber() || isNonFinite(node)) {
      return new Tensor(new long[0], new double[] {number(node)});
    }
    throw new TensorException("a tensor is a number array or {\"shape\",\"data\"}, got " + node.getNodeType());
  }

  /** True for a JSON number or one of the strings that stand for a non-finite number. */
  public static boolean isScalar(JsonNode node) {
    return node != null && (node.isNumber() || isNonFinite(node));
  }

  private static boolean isNonFinite(JsonNode node) {
    if (!node.isTextual()) {
      return false;
    }
    String t = node.asText();
    return t.equals("NaN") || t.equals("Infinity") || t.equals("-Infinity");
  }

  private static void checkRectangular(JsonNode node, long[] dims, int depth) {
    if (depth == dims.length) {
      if (node.isArray()) {
        throw new TensorException("ragged array: expected a number at depth " + depth + ", got an array");
      }
      return;
    }
    if (!node.isArray() || node.size() != dims[depth]) {
      throw new TensorException("ragged array: expected " + dims[depth] + " entries at depth " + depth
          + ", got " + (node.isArray() ? node.size() + " entries" : node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
    }
    for (JsonNode child : node) {
      checkRectangular(child, dims, depth + 1);
    }
  }

  private static void fill(JsonNode node, long[] dims, int depth, double[] data, int[] pos) {
    if (depth == dims.length) {
      data[pos[0]++] = number(node);
      return;
    }
    for (JsonNode child : node) {
      fill(child, dims, depth + 1, data, pos);
    }
  }

  private static double number(JsonNode v) {
    if (v != null && v.isNumber()) {
      return v.asDouble();
    }
    if (v != null && v.isTextual()) {
      switch (v.asText()) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw new TensorException("tensor values must be numbers, got " + (v == null ? "nothing" : v.toString()));
  }

  /** This tensor as a nested number array (non-finite values as strings). */
  public JsonNode toNestedJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    if (shape.length == 0) {
      return value(f, data[0]);
    }
    int[] pos = {0};
    return nest(f, 0, pos);
  }

  /** This tensor as {@code {"shape":[…],"data":[…]}}. */
  public ObjectNode toShapedJson() {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ObjectNode o = f.objectNode();
    ArrayNode s = o.putArray("shape");
    for (long d : shape) {
      s.add(d);
    }
    ArrayNode d = o.putArray("data");
    for (double v : data) {
      d.add(value(f, v));
    }
    return o;
  }

  private ArrayNode nest(JsonNodeFactory f, int depth, int[] pos) {
    ArrayNode a = f.arrayNode((int) shape[depth]);
    for (long i = 0; i < shape[depth]; i++) {
      if (depth == shape.length - 1) {
        a.add(value(f, data[pos[0]++]));
      } else {
        a.add(nest(f, depth + 1, pos));
      }
    }
    return a;
  }

  private static JsonNode value(JsonNodeFactory f, double v) {
    if (Double.isNaN(v)) {
      return f.textNode("NaN");
    }
    if (Double.isInfinite(v)) {
      return f.textNode(v > 0 ? "Infinity" : "-Infinity");
    }
    return f.numberNode(v);
  }

  @Override
  public String toString() {
    return "Tensor" + Arrays.toString(shape);
  }

  /** A tensor that is malformed or does not fit. */
  public static final class TensorException extends RuntimeException {
    public TensorException(String message) {
      super(message);
    }
  }
}
