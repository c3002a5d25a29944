package org.idlegrid.compare;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.idlegrid.protocol.CompareSpec;
import org.idlegrid.tensor.Tensor;

/**
 * Decides whether two replicas' outputs are equivalent. A unit's result is a list of output
 * objects (one per input record); two results agree when they have the same length and every
 * pair of output objects has the same keys whose values agree under the policy.
 *
 * <p>Rules shared by every mode: shapes must match exactly (a mismatch never agrees); a value
 * that is not a tensor (a string, a boolean, an object) agrees only with an identical value;
 * two empty tensors of the same shape agree. Non-finite numbers: {@code exact} and
 * {@code allclose} treat NaN as equal only to NaN and an infinity only to the same infinity;
 * {@code argmax} treats NaN as the largest value (as numpy does); {@code cosine} never accepts a
 * non-finite value. A scalar is a JSON number or one of the strings {@code "NaN"},
 * {@code "Infinity"}, {@code "-Infinity"}; scalars are compared under the policy like
 * rank-0 tensors, except that {@code argmax} compares scalars exactly (a scalar output is
 * usually a label or a count, and the argmax of one value would always agree).
 */
public sealed interface ComparePolicy
    permits ComparePolicy.Exact, ComparePolicy.AllClose, ComparePolicy.Argmax, ComparePolicy.Cosine {

  double DEFAULT_ATOL = 1e-4;
  double DEFAULT_RTOL = 1e-3;
  double DEFAULT_COSINE_MIN = 0.999;

  /** Do these two tensors agree? Tensors of different shapes never do. */
  boolean tensorsAgree(Tensor a, Tensor b);

  /** The spec this policy was built from (with defaults filled in). */
  CompareSpec spec();

  /** Do two units' results (lists of output objects) agree? */
  default boolean agree(List<JsonNode> a, List<JsonNode> b) {
    if (a == null || b == null || a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      if (!outputsAgree(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  /** Do two output objects agree? */
  default boolean outputsAgree(JsonNode a, JsonNode b) {
    if (a == null || b == null || !a.isObject() || !b.isObject() || a.size() != b.size()) {
      return false;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode other = b.get(e.getKey());
      if (other == null || !valuesAgree(e.getValue(), other)) {
        return false;
      }
    }
    return true;
  }

  /** Do two output values agree? Tensors by the policy, anything else by equality. */
  default boolean valuesAgree(JsonNode a, JsonNode b) {
    if (Tensor.isTensor(a) && Tensor.isTensor(b)) {
      Tensor ta;
      Tensor tb;
      try {
        ta = Tensor.parse(a);
        tb = Tensor.parse(b);
      } catch (Tensor.TensorException e) {
        return a.equals(b);
      }
      return ta.sameShape(tb) && tensorsAgree(ta, tb);
    }
    if (Tensor.isScalar(a) && Tensor.isScalar(b)) {
      return tensorsAgree(Tensor.parse(a), Tensor.parse(b));
    }
    return a.equals(b);
  }

  /**
   * Builds the policy a spec names; a null spec or mode is allclose with default tolerances.
   * Throws IllegalArgumentException naming the field ({@code compare.mode}, {@code compare.atol},
   * {@code compare.rtol}, {@code compare.min}) and the rule it breaks.
   */
  static ComparePolicy of(CompareSpec spec) {
    String mode = spec == null || spec.mode() == null ? "allclose" : spec.mode();
    switch (mode) {
      case "exact":
        return new Exact();
      case "allclose": {
        double atol = spec == null || spec.atol() == null ? DEFAULT_ATOL : spec.atol();
        double rtol = spec == null || spec.rtol() == null ? DEFAULT_RTOL : spec.rtol();
        return new AllClose(atol, rtol);
      }
      case "argmax":
        return new Argmax();
      case "cosine":
        return new Cosine(spec == null || spec.min() == null ? DEFAULT_COSINE_MIN : spec.min());
      default:
        throw new IllegalArgumentException(
            "compare.mode must be one of exact, allclose, argmax, cosine; got \"" + mode + "\"");
    }
  }

  /** Bit-for-bit equal values (NaN equals NaN, +0 equals -0). */
  record Exact() implements ComparePolicy {
    @Override
    public boolean tensorsAgree(Tensor a, Tensor b) {
      if (!a.sameShape(b)) {
        return false;
      }
      double[] x = a.data();
      double[] y = b.data();
      for (int i = 0; i < x.length; i++) {
        if (!(x[i] == y[i] || (Double.isNaN(x[i]) && Double.isNaN(y[i])))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public CompareSpec spec() {
      return new CompareSpec("exact", null, null, null);
    }
  }

  /** {@code |a - b| <= atol + rtol * max(|a|, |b|)} element-wise (symmetric, unlike numpy). */
  record AllClose(double atol, double rtol) implements ComparePolicy {
    public AllClose {
      if (!(atol >= 0) || Double.isInfinite(atol)) {
        throw new IllegalArgumentException("compare.atol must be a finite number >= 0, got " + atol);
      }
      if (!(rtol >= 0) || Double.isInfinite(rtol)) {
        throw new IllegalArgumentException("compare.rtol must be a finite number >= 0, got " + rtol);
      }
    }

    @Override
    public boolean tensorsAgree(Tensor a, Tensor b) {
      if (!a.sameShape(b)) {
        return false;
      }
      double[] x = a.data();
      double[] y = b.data();
      for (int i = 0; i < x.length; i++) {
        double p = x[i];
        double q = y[i];
        if (Double.isNaN(p) || Double.isNaN(q)) {
          if (!(Double.isNaN(p) && Double.isNaN(q))) {
            return false;
          }
        } else if (Double.isInfinite(p) || Double.isInfinite(q)) {
          if (p != q) {
            return false;
          }
        } else if (!(Math.abs(p - q) <= atol + rtol * Math.max(Math.abs(p), Math.abs(q)))) {
          return false;
        }
      }
      return true;
    }

    @Override
    public CompareSpec spec() {
      return new CompareSpec("allclose", atol, rtol, null);
    }
  }

  /**
   * Same index of the largest value along the last axis, for every row (ties go to the first
   * index, NaN counts as the largest). Scalars (rank 0) must be equal, as under {@link Exact}.
   */
  record Argmax() implements ComparePolicy {
    @Override
    public boolean tensorsAgree(Tensor a, Tensor b) {
      if (!a.sameShape(b)) {
        return false;
      }
      long[] shape = a.shape();
      if (shape.length == 0) {
        return new Exact().tensorsAgree(a, b);
      }
      int row = (int) shape[shape.length - 1];
      if (row == 0) {
        return true;
      }
      double[] x = a.data();
      double[] y = b.data();
      for (int start = 0; start < x.length; start += row) {
        if (argmax(x, start, row) != argmax(y, start, row)) {
          return false;
        }
      }
      return true;
    }

    static int argmax(double[] v, int start, int n) {
      int best = 0;
      for (int i = 0; i < n; i++) {
        double c = v[start + i];
        if (Double.isNaN(c)) {
          return i;
        }
        if (c > v[start + best]) {
          best = i;
        }
      }
      return best;
    }

    @Override
    public CompareSpec spec() {
      return new CompareSpec("argmax", null, null, null);
    }
  }

  /**
   * Cosine similarity of the flattened tensors at least {@code min}. Two all-zero tensors
   * agree; a zero tensor and a non-zero one do not; any non-finite value fails; identical
   * tensors always agree (even with {@code min} 1, which rounding could otherwise miss). Each
   * tensor is scaled by its largest magnitude first, so very large or very small values
   * neither overflow nor vanish.
   */
  record Cosine(double min) implements ComparePolicy {
    public Cosine {
      if (!(min >= -1 && min <= 1)) {
        throw new IllegalArgumentException("compare.min must be between -1 and 1, got " + min);
      }
    }

    @Override
    public boolean tensorsAgree(Tensor a, Tensor b) {
      if (!a.sameShape(b)) {
        return false;
      }
      double[] x = a.data();
      double[] y = b.data();
      double sx = 0;
      double sy = 0;
      for (int i = 0; i < x.length; i++) {
        if (!Double.isFinite(x[i]) || !Double.isFinite(y[i])) {
          return false;
        }
        sx = Math.max(sx, Math.abs(x[i]));
        sy = Math.max(sy, Math.abs(y[i]));
      }
      if (sx == 0 || sy == 0) {
        return sx == 0 && sy == 0; // also true for empty tensors
      }
      if (java.util.Arrays.equals(x, y)) {
        return true;
      }
      double dot = 0;
      double nx = 0;
      double ny = 0;
      for (int i = 0; i < x.length; i++) {
        double p = x[i] / sx;
        double q = y[i] / sy;
        dot += p * q;
        nx += p * p;
        ny += q * q;
      }
      double cos = dot / (Math.sqrt(nx) * Math.sqrt(ny));
      return Double.isFinite(cos) && cos >= min;
    }

    @Override
    public CompareSpec spec() {
      return new CompareSpec("cosine", null, null, min);
    }
  }
}
