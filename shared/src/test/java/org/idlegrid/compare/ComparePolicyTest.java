package org.idlegrid.compare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.CompareSpec;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ComparePolicyTest {
  static final ComparePolicy EXACT = ComparePolicy.of(new CompareSpec("exact", null, null, null));
  static final ComparePolicy ALLCLOSE = ComparePolicy.of(new CompareSpec("allclose", 1e-4, 1e-3, null));
  static final ComparePolicy ARGMAX = ComparePolicy.of(new CompareSpec("argmax", null, null, null));
  static final ComparePolicy COSINE = ComparePolicy.of(new CompareSpec("cosine", null, null, 0.99));
  static final List<ComparePolicy> ALL = List.of(EXACT, ALLCLOSE, ARGMAX, COSINE);

  /** One unit of one output {"y": value}. */
  static List<JsonNode> unit(String value) {
    return List.of(Json.tree("{\"y\":" + value + "}"));
  }

  static boolean agree(ComparePolicy p, String a, String b) {
    boolean ab = p.agree(unit(a), unit(b));
    assertEquals(ab, p.agree(unit(b), unit(a)), "agreement must be symmetric for " + a + " / " + b);
    return ab;
  }

  @Nested
  class SharedRules {
    @Test
    void identicalOutputsAgreeUnderEveryPolicy() {
      for (ComparePolicy p : ALL) {
        assertTrue(agree(p, "[0.1,0.7,0.2]", "[0.1,0.7,0.2]"), p.toString());
        assertTrue(agree(p, "{\"shape\":[2,2],\"data\":[1,2,3,4]}", "[[1,2],[3,4]]"), p.toString());
      }
    }

    @Test
    void shapeMismatchNeverAgrees() {
      for (ComparePolicy p : ALL) {
        assertFalse(agree(p, "[1,2,3,4]", "[[1,2],[3,4]]"), p.toString());
        assertFalse(agree(p, "[1,2,3]", "[1,2,3,4]"), p.toString());
        assertFalse(agree(p, "{\"shape\":[4],\"data\":[1,2,3,4]}", "{\"shape\":[2,2],\"data\":[1,2,3,4]}"), p.toString());
        assertFalse(agree(p, "[1]", "1"), p.toString());
      }
    }

    @Test
    void emptyTensorsOfTheSameShapeAgree() {
      for (ComparePolicy p : ALL) {
        assertTrue(agree(p, "[]", "[]"), p.toString());
        assertTrue(agree(p, "[[],[]]", "{\"shape\":[2,0],\"data\":[]}"), p.toString());
        assertFalse(agree(p, "[]", "[[]]"), p.toString());
      }
    }

    @Test
    void differentKeySetsNeverAgree() {
      for (ComparePolicy p : ALL) {
        assertFalse(p.agree(List.of(Json.tree("{\"a\":[1]}")), List.of(Json.tree("{\"b\":[1]}"))), p.toString());
        assertFalse(p.agree(List.of(Json.tree("{\"a\":[1]}")), List.of(Json.tree("{\"a\":[1],\"b\":[1]}"))), p.toString());
        assertTrue(p.agree(List.of(Json.tree("{\"a\":[1],\"b\":[2]}")), List.of(Json.tree("{\"b\":[2],\"a\":[1]}"))), p.toString());
      }
    }

    @Test
    void differentListLengthsNeverAgree() {
      List<JsonNode> one = unit("[1]");
      List<JsonNode> two = new ArrayList<>(one);
      two.add(Json.tree("{\"y\":[1]}"));
      for (ComparePolicy p : ALL) {
        assertFalse(p.agree(one, two), p.toString());
        assertFalse(p.agree(one, null), p.toString());
        assertTrue(p.agree(List.of(), List.of()), p.toString());
      }
    }

    @Test
    void everyRecordMustAgree() {
      List<JsonNode> a = List.of(Json.tree("{\"y\":[1,0]}"), Json.tree("{\"y\":[0,1]}"));
      List<JsonNode> b = List.of(Json.tree("{\"y\":[1,0]}"), Json.tree("{\"y\":[1,0]}"));
      for (ComparePolicy p : ALL) {
        assertFalse(p.agree(a, b), p.toString());
      }
    }

    @Test
    void nonTensorValuesAgreeOnlyWhenIdentical() {
      for (ComparePolicy p : ALL) {
        assertTrue(agree(p, "\"cat\"", "\"cat\""), p.toString());
        assertFalse(agree(p, "\"cat\"", "\"dog\""), p.toString());
        assertTrue(agree(p, "true", "true"), p.toString());
        assertFalse(agree(p, "true", "false"), p.toString());
        assertTrue(agree(p, "{\"label\":\"x\",\"n\":1}", "{\"n\":1,\"label\":\"x\"}"), p.toString());
        assertFalse(agree(p, "{\"label\":\"x\"}", "{\"label\":\"y\"}"), p.toString());
        assertFalse(agree(p, "[\"a\",\"b\"]", "[\"a\",\"c\"]"), p.toString());
        assertTrue(agree(p, "[\"a\",\"b\"]", "[\"a\",\"b\"]"), p.toString());
        assertFalse(agree(p, "\"cat\"", "[1]"), p.toString());
        assertFalse(agree(p, "null", "[1]"), p.toString());
        assertTrue(agree(p, "null", "null"), p.toString());
      }
    }

    @Test
    void outputsThatAreNotObjectsNeverAgree() {
      for (ComparePolicy p : ALL) {
        assertFalse(p.agree(List.of(Json.tree("[1]")), List.of(Json.tree("[1]"))), p.toString());
      }
    }
  }

  @Nested
  class ExactMode {
    @Test
    void anyDifferenceDisagrees() {
      assertFalse(agree(EXACT, "[1,2,3]", "[1,2,3.0000000001]"));
      assertTrue(agree(EXACT, "[1,2,3]", "[1.0,2.0,3.0]"));
      assertTrue(agree(EXACT, "2", "2.0"));
      assertFalse(agree(EXACT, "2", "3"));
    }

    @Test
    void nanEqualsNanAndInfinitiesEqualThemselves() {
      assertTrue(agree(EXACT, "[\"NaN\",1]", "[\"NaN\",1]"));
      assertFalse(agree(EXACT, "[\"NaN\",1]", "[0,1]"));
      assertTrue(agree(EXACT, "[\"Infinity\",\"-Infinity\"]", "[\"Infinity\",\"-Infinity\"]"));
      assertFalse(agree(EXACT, "[\"Infinity\"]", "[\"-Infinity\"]"));
      assertFalse(agree(EXACT, "[\"Infinity\"]", "[1.7976931348623157e308]"));
      assertTrue(agree(EXACT, "\"NaN\"", "\"NaN\""));
      assertFalse(agree(EXACT, "\"NaN\"", "0"));
    }

    @Test
    void negativeZeroEqualsZero() {
      assertTrue(agree(EXACT, "[-0.0]", "[0]"));
    }
  }

  @Nested
  class AllCloseMode {
    @Test
    void toleranceBoundaryIsInclusive() {
      // atol 0.5, rtol 0: |1 - 1.5| = 0.5 exactly (all values exact in binary)
      ComparePolicy p = ComparePolicy.of(new CompareSpec("allclose", 0.5, 0.0, null));
      assertTrue(agree(p, "[1]", "[1.5]"));
      assertFalse(agree(p, "[1]", "[1.5000001]"));
      // atol 0, rtol 0.25: |4 - 3| = 1 = 0.25 * max(4, 3)
      ComparePolicy r = ComparePolicy.of(new CompareSpec("allclose", 0.0, 0.25, null));
      assertTrue(agree(r, "[4]", "[3]"));
      assertFalse(agree(r, "[4]", "[2.99]"));
      // relative tolerance scales with the larger magnitude
      assertTrue(agree(r, "[4000]", "[3000]"));
      assertFalse(agree(r, "[4]", "[-4]"));
    }

    @Test
    void defaultTolerancesApply() {
      assertTrue(agree(ALLCLOSE, "[1.0, 0.0]", "[1.00109, 0.00009]"));
      assertFalse(agree(ALLCLOSE, "[1.0]", "[1.0012]"));
      assertFalse(agree(ALLCLOSE, "[0.0]", "[0.00011]"));
      ComparePolicy defaults = ComparePolicy.of(null);
      assertEquals(new ComparePolicy.AllClose(1e-4, 1e-3), defaults);
      assertEquals(defaults, ComparePolicy.of(new CompareSpec(null, null, null, null)));
      assertEquals(new CompareSpec("allclose", 1e-4, 1e-3, null), defaults.spec());
    }

    @Test
    void zeroTolerancesMeanExact() {
      ComparePolicy p = ComparePolicy.of(new CompareSpec("allclose", 0.0, 0.0, null));
      assertTrue(agree(p, "[1.25]", "[1.25]"));
      assertFalse(agree(p, "[1.25]", "[1.2500000001]"));
    }

    @Test
    void nanOnlyMatchesNanAndInfinityOnlyTheSameInfinity() {
      assertTrue(agree(ALLCLOSE, "[\"NaN\",1]", "[\"NaN\",1.00001]"));
      assertFalse(agree(ALLCLOSE, "[\"NaN\"]", "[1]"));
      assertTrue(agree(ALLCLOSE, "[\"Infinity\"]", "[\"Infinity\"]"));
      assertFalse(agree(ALLCLOSE, "[\"Infinity\"]", "[\"-Infinity\"]"));
      assertFalse(agree(ALLCLOSE, "[\"Infinity\"]", "[1e308]"));
      ComparePolicy loose = ComparePolicy.of(new CompareSpec("allclose", 1e300, 1.0, null));
      assertFalse(agree(loose, "[\"Infinity\"]", "[1e308]"), "no finite tolerance reaches infinity");
    }

    @Test
    void hugeOppositeValuesDoNotOverflowIntoAgreement() {
      assertFalse(agree(ALLCLOSE, "[1.7e308]", "[-1.7e308]"));
      assertTrue(agree(ALLCLOSE, "[1.7e308]", "[1.7e308]"));
    }

    @Test
    void scalarsCompareWithTolerance() {
      assertTrue(agree(ALLCLOSE, "0.5", "0.50001"));
      assertFalse(agree(ALLCLOSE, "0.5", "0.6"));
    }
  }

  @Nested
  class ArgmaxMode {
    @Test
    void sameLargestIndexAgreesWhateverTheValues() {
      assertTrue(agree(ARGMAX, "[0.1,0.7,0.2]", "[0.3,0.35,0.34]"));
      assertFalse(agree(ARGMAX, "[0.1,0.7,0.2]", "[0.1,0.2,0.7]"));
    }

    @Test
    void everyRowIsCheckedSeparately() {
      assertTrue(agree(ARGMAX, "[[1,0],[0,1],[5,9]]", "[[3,2],[1,2],[0,1]]"));
      assertFalse(agree(ARGMAX, "[[1,0],[0,1],[5,9]]", "[[3,2],[1,2],[1,0]]"));
      assertFalse(agree(ARGMAX, "{\"shape\":[2,2],\"data\":[1,0,0,1]}", "{\"shape\":[2,2],\"data\":[1,0,1,0]}"));
    }

    @Test
    void tiesGoToTheFirstIndex() {
      assertTrue(agree(ARGMAX, "[2,2,1]", "[3,1,1]"));
      assertFalse(agree(ARGMAX, "[2,2,1]", "[1,3,1]"));
    }

    @Test
    void nanCountsAsTheLargestValue() {
      assertTrue(agree(ARGMAX, "[1,\"NaN\",3]", "[0,9,1]"));
      assertFalse(agree(ARGMAX, "[1,\"NaN\",3]", "[0,1,9]"));
      assertTrue(agree(ARGMAX, "[\"NaN\",\"NaN\"]", "[\"NaN\",0]"));
    }

    @Test
    void infinitiesAreOrderedNormally() {
      assertTrue(agree(ARGMAX, "[\"-Infinity\",\"Infinity\"]", "[0,1]"));
      assertTrue(agree(ARGMAX, "[\"-Infinity\",\"-Infinity\"]", "[5,1]"));
      assertFalse(agree(ARGMAX, "[\"Infinity\",1e308]", "[1,2]"));
    }

    @Test
    void scalarsMustBeEqual() {
      assertTrue(agree(ARGMAX, "3", "3.0"));
      assertFalse(agree(ARGMAX, "3", "7"), "a scalar label must not agree just because argmax of one value is 0");
    }

    @Test
    void rowsOfOneAlwaysAgree() {
      assertTrue(agree(ARGMAX, "[[1],[2]]", "[[5],[-9]]"));
    }
  }

  @Nested
  class CosineMode {
    @Test
    void similarityAtLeastMinAgrees() {
      ComparePolicy p = ComparePolicy.of(new CompareSpec("cosine", null, null, 0.8));
      // cos([1,0],[4,3]) = 4/5 = 0.8 exactly at the boundary
      assertTrue(agree(p, "[1,0]", "[4,3]"));
      assertFalse(agree(p, "[1,0]", "[4,3.01]"));
      assertTrue(agree(COSINE, "[1,2,3]", "[2,4,6]"), "cosine ignores scale");
      assertFalse(agree(COSINE, "[1,2,3]", "[-1,-2,-3]"));
    }

    @Test
    void zeroVectorsAgreeOnlyWithZeroVectors() {
      assertTrue(agree(COSINE, "[0,0,0]", "[0,-0.0,0]"));
      assertFalse(agree(COSINE, "[0,0,0]", "[0,1e-300,0]"));
    }

    @Test
    void anyNonFiniteValueDisagrees() {
      assertFalse(agree(COSINE, "[\"NaN\",1]", "[\"NaN\",1]"));
      assertFalse(agree(COSINE, "[\"Infinity\",1]", "[\"Infinity\",1]"));
      assertFalse(agree(COSINE, "[1,\"-Infinity\"]", "[1,2]"));
      assertFalse(agree(COSINE, "\"NaN\"", "\"NaN\""));
    }

    @Test
    void veryLargeAndVerySmallValuesNeitherOverflowNorVanish() {
      assertTrue(agree(COSINE, "[1e200,2e200]", "[1e200,2e200]"));
      assertTrue(agree(COSINE, "[1e200,2e200]", "[1.00001e200,2e200]"));
      assertFalse(agree(COSINE, "[1e200,0]", "[0,1e200]"));
      assertTrue(agree(COSINE, "[1e-200,2e-200]", "[2e-200,4e-200]"));
      assertFalse(agree(COSINE, "[1e-200,0]", "[0,1e-200]"));
      assertFalse(agree(COSINE, "[1e-200,0]", "[0,0]"), "a tiny vector is not a zero vector");
    }

    @Test
    void identicalTensorsAgreeEvenWithMinOne() {
      ComparePolicy strict = ComparePolicy.of(new CompareSpec("cosine", null, null, 1.0));
      String v = "[0.1,0.2,0.3,0.4,0.5,0.6,0.7]";
      assertTrue(agree(strict, v, v));
      assertFalse(agree(strict, v, "[0.1,0.2,0.3,0.4,0.5,0.6,0.71]"));
    }

    @Test
    void defaultMinimumIsApplied() {
      ComparePolicy p = ComparePolicy.of(new CompareSpec("cosine", null, null, null));
      assertEquals(new ComparePolicy.Cosine(ComparePolicy.DEFAULT_COSINE_MIN), p);
      assertEquals(new CompareSpec("cosine", null, null, 0.999), p.spec());
    }
  }

  @Nested
  class Building {
    private String error(CompareSpec spec) {
      return assertThrows(IllegalArgumentException.class, () -> ComparePolicy.of(spec)).getMessage();
    }

    @Test
    void eachModeBuildsItsPolicy() {
      assertInstanceOf(ComparePolicy.Exact.class, EXACT);
      assertInstanceOf(ComparePolicy.AllClose.class, ALLCLOSE);
      assertInstanceOf(ComparePolicy.Argmax.class, ARGMAX);
      assertInstanceOf(ComparePolicy.Cosine.class, COSINE);
      for (ComparePolicy p : ALL) {
        assertEquals(p, ComparePolicy.of(p.spec()), "spec() must rebuild the same policy");
      }
    }

    @Test
    void unknownModeNamesTheFieldAndTheChoices() {
      String msg = error(new CompareSpec("fuzzy", null, null, null));
      assertTrue(msg.contains("compare.mode") && msg.contains("fuzzy") && msg.contains("allclose"), msg);
      assertTrue(error(new CompareSpec("AllClose", null, null, null)).contains("compare.mode"));
      assertTrue(error(new CompareSpec("", null, null, null)).contains("compare.mode"));
    }

    @Test
    void badTolerancesNameTheField() {
      String msg = error(new CompareSpec("allclose", -1e-4, null, null));
      assertTrue(msg.contains("compare.atol") && msg.contains("-1.0E-4"), msg);
      assertTrue(error(new CompareSpec("allclose", Double.NaN, null, null)).contains("compare.atol"));
      assertTrue(error(new CompareSpec("allclose", Double.POSITIVE_INFINITY, null, null)).contains("compare.atol"));
      assertTrue(error(new CompareSpec("allclose", null, -0.5, null)).contains("compare.rtol"));
      assertTrue(error(new CompareSpec("allclose", 0.1, Double.NaN, null)).contains("compare.rtol"));
    }

    @Test
    void badMinimumNamesTheField() {
      for (double min : new double[] {1.0000001, -1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
        String msg = error(new CompareSpec("cosine", null, null, min));
        assertTrue(msg.contains("compare.min"), msg);
      }
      assertInstanceOf(ComparePolicy.Cosine.class, ComparePolicy.of(new CompareSpec("cosine", null, null, -1.0)));
    }
  }
}
