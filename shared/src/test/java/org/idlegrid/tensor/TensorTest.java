package org.idlegrid.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;

class TensorTest {

  private static Tensor parse(String json) {
    return Tensor.parse(Json.tree(json));
  }

  private static String error(String json) {
    return assertThrows(Tensor.TensorException.class, () -> parse(json)).getMessage();
  }

  @Test
  void shapedFormIsReadRowMajor() {
    Tensor t = parse("{\"shape\":[2,3],\"data\":[1,2,3,4,5,6.5]}");
    assertArrayEquals(new long[] {2, 3}, t.shape());
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6.5}, t.data());
    assertEquals(6, t.size());
  }

  @Test
  void nestedArraysGiveTheirShape() {
    Tensor t = parse("[[[1,2],[3,4],[5,6]],[[7,8],[9,10],[11,12]]]");
    assertArrayEquals(new long[] {2, 3, 2}, t.shape());
    assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, t.data());
    assertTrue(t.sameShape(parse("{\"shape\":[2,3,2],\"data\":[0,0,0,0,0,0,0,0,0,0,0,0]}")));
  }

  @Test
  void raggedArraysAreRejected() {
    assertTrue(error("[[1,2],[3]]").contains("ragged"));
    assertTrue(error("[[1,2],3]").contains("ragged"));
    assertTrue(error("[1,[2]]").contains("ragged"));
    assertTrue(error("[[],[1]]").contains("ragged"));
    assertTrue(error("[[[1]],[[1,2]]]").contains("ragged"));
  }

  @Test
  void raggedArrayClaimingAHugeShapeFailsBeforeAllocating() {
    // first row says 46000 x 46000 (16 GB of doubles); the rest is empty: must fail fast, not OOM
    StringBuilder sb = new StringBuilder("[[");
    for (int i = 0; i < 46000; i++) {
      sb.append(i == 0 ? "0" : ",0");
    }
    sb.append("]");
    for (int i = 1; i < 46000; i++) {
      sb.append(",[]");
    }
    sb.append("]");
    assertTrue(error(sb.toString()).contains("ragged"));
  }

  @Test
  void shapeAndDataMustAgree() {
    String msg = error("{\"shape\":[2,2],\"data\":[1,2,3]}");
    assertTrue(msg.contains("4") && msg.contains("3"), msg);
    assertTrue(error("{\"shape\":[-1],\"data\":[]}").contains("non-negative"));
    assertTrue(error("{\"shape\":[1.5],\"data\":[1]}").contains("non-negative integers"));
    assertTrue(error("{\"shape\":[\"2\"],\"data\":[1,2]}").contains("non-negative integers"));
    assertTrue(error("{\"shape\":2,\"data\":[1,2]}").contains("\"shape\" array"));
    assertTrue(error("{\"shape\":[2],\"data\":{}}").contains("\"data\" array"));
  }

  @Test
  void shapeWhoseSizeOverflowsIsRejected() {
    // 2^32 * 2^32 overflows a long to 0, which would match an empty data array
    String msg = error("{\"shape\":[4294967296,4294967296],\"data\":[]}");
    assertTrue(msg.contains("too large"), msg);
    assertThrows(Tensor.TensorException.class, () -> new Tensor(new long[] {1L << 62, 4}, new double[0]));
  }

  @Test
  void zeroDimensionMakesAnEmptyTensorWhateverTheOtherDimensions() {
    Tensor t = new Tensor(new long[] {1L << 62, 4, 0}, new double[0]);
    assertEquals(0, t.size());
  }

  @Test
  void nonNumericValuesAreRejected() {
    assertTrue(error("[1,\"two\"]").contains("\"two\""));
    assertTrue(error("[1,true]").contains("numbers"));
    assertTrue(error("[1,null]").contains("numbers"));
    assertTrue(error("{\"shape\":[1],\"data\":[\"nan\"]}").contains("numbers"));
    assertTrue(error("\"text\"").contains("STRING"));
    assertTrue(error("{\"a\":1}").contains("shape"));
    assertThrows(Tensor.TensorException.class, () -> Tensor.parse(null));
    assertThrows(Tensor.TensorException.class, () -> Tensor.parse(Json.tree("null")));
  }

  @Test
  void nonFiniteValuesTravelAsStrings() {
    Tensor t = parse("[\"NaN\",\"Infinity\",\"-Infinity\",1]");
    assertTrue(Double.isNaN(t.data()[0]));
    assertEquals(Double.POSITIVE_INFINITY, t.data()[1]);
    assertEquals(Double.NEGATIVE_INFINITY, t.data()[2]);
    assertEquals("[\"NaN\",\"Infinity\",\"-Infinity\",1.0]", Json.write(t.toNestedJson()));
    Tensor back = Tensor.parse(Json.tree(Json.write(t.toShapedJson())));
    assertArrayEquals(t.data(), back.data());
  }

  @Test
  void scalarsHaveAnEmptyShape() {
    Tensor t = parse("2.5");
    assertArrayEquals(new long[0], t.shape());
    assertArrayEquals(new double[] {2.5}, t.data());
    assertEquals("2.5", Json.write(t.toNestedJson()));
    assertEquals("{\"shape\":[],\"data\":[2.5]}", Json.write(t.toShapedJson()));
    assertArrayEquals(new double[] {7}, parse("{\"shape\":[],\"data\":[7]}").data());
  }

  @Test
  void nonFiniteScalarRoundTrips() {
    Tensor nan = new Tensor(new long[0], new double[] {Double.NaN});
    JsonNode nested = nan.toNestedJson();
    assertEquals("\"NaN\"", Json.write(nested));
    Tensor back = Tensor.parse(nested);
    assertArrayEquals(new long[0], back.shape());
    assertTrue(Double.isNaN(back.data()[0]));
    assertEquals(Double.NEGATIVE_INFINITY, Tensor.parse(Json.tree("\"-Infinity\"")).data()[0]);
    assertTrue(Tensor.isScalar(Json.tree("\"Infinity\"")));
    assertFalse(Tensor.isScalar(Json.tree("\"infinity\"")));
  }

  @Test
  void emptyTensors() {
    Tensor empty = parse("[]");
    assertArrayEquals(new long[] {0}, empty.shape());
    assertEquals(0, empty.size());
    assertEquals("[]", Json.write(empty.toNestedJson()));
    Tensor rows = parse("[[],[]]");
    assertArrayEquals(new long[] {2, 0}, rows.shape());
    assertEquals("[[],[]]", Json.write(rows.toNestedJson()));
    // the nested form cannot carry dimensions after a zero one; the shaped form can
    Tensor zeroRows = new Tensor(new long[] {0, 3}, new double[0]);
    assertArrayEquals(new long[] {0}, Tensor.parse(zeroRows.toNestedJson()).shape());
    assertArrayEquals(new long[] {0, 3}, Tensor.parse(zeroRows.toShapedJson()).shape());
  }

  @Test
  void bothFormsRoundTripThroughJsonText() {
    Tensor t = new Tensor(new long[] {2, 2, 2}, new double[] {0.1, -2, 3e-7, 4e30, -0.0, 6, 7, 8});
    for (JsonNode form : new JsonNode[] {t.toNestedJson(), t.toShapedJson()}) {
      Tensor back = Tensor.parse(Json.tree(Json.write(form)));
      assertArrayEquals(t.shape(), back.shape());
      assertArrayEquals(t.data(), back.data());
    }
    assertEquals("[[[0.1,-2.0],[3.0E-7,4.0E30]],[[-0.0,6.0],[7.0,8.0]]]", Json.write(t.toNestedJson()));
  }

  @Test
  void toFloatsNarrowsEachValue() {
    Tensor t = parse("[0.1, \"NaN\", 1e300]");
    float[] f = t.toFloats();
    assertEquals(0.1f, f[0]);
    assertTrue(Float.isNaN(f[1]));
    assertEquals(Float.POSITIVE_INFINITY, f[2]);
  }

  @Test
  void shapeIsACopy() {
    Tensor t = parse("[1,2]");
    t.shape()[0] = 99;
    assertArrayEquals(new long[] {2}, t.shape());
  }

  @Test
  void isTensorRecognisesBothForms() {
    assertTrue(Tensor.isTensor(Json.tree("[1]")));
    assertTrue(Tensor.isTensor(Json.tree("{\"shape\":[1],\"data\":[1]}")));
    assertFalse(Tensor.isTensor(Json.tree("{\"shape\":[1]}")));
    assertFalse(Tensor.isTensor(Json.tree("1")));
    assertFalse(Tensor.isTensor(null));
  }
}
