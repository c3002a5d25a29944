package org.idlegrid.coordinator.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.idlegrid.coordinator.testing.Models;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelInspectorTest {
  @TempDir
  Path dir;

  private Path write(String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void readsTheDigitsMlpInputFromTheOnnxFile() throws IOException {
    ModelInspector.Inspection i = ModelInspector.inspect(Models.file("digits-mlp.onnx"), null);
    assertEquals(ModelInspector.ONNX, i.format());
    assertEquals("OnnxRuntime", i.engine());
    assertEquals(List.of(new InputSpec.Input("pixels", 1, List.of(-1L, 64L))), i.inputSpec().inputs());
  }

  @Test
  void readsTheDigitsCnnAndMobilenetInputs() throws IOException {
    assertEquals(List.of(new InputSpec.Input("pixels", 1, List.of(-1L, 64L))),
        ModelInspector.inspect(Models.file("digits-cnn.onnx"), "OnnxRuntime").inputSpec().inputs());
    assertEquals(List.of(new InputSpec.Input("image", 1, List.of(-1L, 3L, 224L, 224L))),
        ModelInspector.inspect(Models.file("mobilenetv3-small-random.onnx"), null).inputSpec().inputs());
  }

  // --- a hand-made ONNX file: dynamic dims by dim_param, and an input that is an initializer

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) ((v & 0x7f) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static byte[] field(int number, byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    varint(out, (long) number << 3 | 2);
    varint(out, bytes.length);
    out.writeBytes(bytes);
    return out.toByteArray();
  }

  private static byte[] field(int number, long value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    varint(out, (long) number << 3);
    varint(out, value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  private static byte[] str(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void initializersAreNotInputsAndNamedDimsAreDynamic() throws IOException {
    byte[] shape = concat(field(1, field(2, str("batch"))), field(1, field(1, 3)), field(1, field(2, str("len"))));
    byte[] x = concat(field(1, str("x")), field(2, field(1, concat(field(1, 7), field(2, shape)))));
    byte[] w = concat(field(1, str("w")), field(2, field(1, field(1, 1))));
    byte[] init = concat(field(1, 3), field(8, str("w")));
    byte[] graph = concat(field(5, init), field(11, x), field(11, w), field(2, str("g")));
    byte[] model = concat(field(1, 8), field(7, graph));
    InputSpec spec = ModelInspector.inspect(write("tiny.onnx", model), null).inputSpec();
    assertEquals(List.of(new InputSpec.Input("x", 7, List.of(-1L, 3L, -1L))), spec.inputs());
    spec.validate(Json.tree("{\"x\":[[1,2],[3,4],[5,6]]}"), 0);
    InputException e = assertThrows(InputException.class, () -> spec.validate(Json.tree("{\"x\":[[1.5],[2],[3]]}"), 4));
    assertTrue(e.getMessage().contains("record 4") && e.getMessage().contains("integer"), e.getMessage());
  }

  @Test
  void aTextEmbeddingArchiveTakesTextRecords() throws IOException {
    ModelInspector.Inspection i = ModelInspector.inspect(write("m.zip", Models.textEmbeddingArchive()), null);
    assertEquals(ModelInspector.DJL_ARCHIVE, i.format());
    assertEquals(InputSpec.TEXT, i.inputSpec().kind());
    i.inputSpec().validate(Json.tree("{\"text\":\"hello\"}"), 0);
    InputException e = assertThrows(InputException.class, () -> i.inputSpec().validate(Json.tree("{\"text\":\"\"}"), 2));
    assertTrue(e.getMessage().contains("record 2"), e.getMessage());
  }

  @Test
  void anArchiveOfAnOnnxModelTakesThatModelsInputs() throws IOException {
    byte[] zip = Models.zip(Map.of("serving.properties", str("engine=OnnxRuntime\n"),
        "digits.onnx", Files.readAllBytes(Models.file("digits-mlp.onnx"))));
    assertEquals(List.of(new InputSpec.Input("pixels", 1, List.of(-1L, 64L))),
        ModelInspector.inspect(write("d.zip", zip), null).inputSpec().inputs());
  }

  @Test
  void whatIsNeitherOnnxNorAnArchiveIsRefused() throws IOException {
    ModelException garbage = assertThrows(ModelException.class,
        () -> ModelInspector.inspect(write("x.onnx", str("this is not a model at all")), null));
    assertTrue(garbage.getMessage().contains("ONNX"), garbage.getMessage());
    assertThrows(ModelException.class,
        () -> ModelInspector.inspect(write("y.zip", Models.zip(Map.of("readme.txt", str("hi")))), null));
    assertThrows(ModelException.class, () -> ModelInspector.inspect(write("z.zip",
        Models.zip(Map.of("serving.properties", str("engine=OnnxRuntime"), "../evil.onnx", str("x")))), null));
    assertThrows(ModelException.class, () -> ModelInspector.inspect(Models.file("digits-mlp.onnx"), "PyTorch"));
    assertThrows(ModelException.class, () -> ModelInspector.inspect(Models.file("digits-mlp.onnx"), "TensorFlow"));
  }

  @Test
  void recordsAreCheckedAgainstTheInputShapeWithoutTheBatchDimension() throws IOException {
    InputSpec spec = ModelInspector.inspect(Models.file("digits-mlp.onnx"), null).inputSpec();
    JsonNode good = Models.jsonl("digits-test.jsonl").get(0);
    spec.validate(good, 0);
    spec.validate(Json.tree("{\"pixels\":{\"shape\":[64],\"data\":" + good.get("pixels") + "}}"), 0);
    String short63 = "{\"pixels\":" + Json.write(Json.tree(good.get("pixels").toString()).deepCopy()).replaceFirst("0\\.0,", "") + "}";
    InputException shape = assertThrows(InputException.class, () -> spec.validate(Json.tree(short63), 7));
    assertTrue(shape.getMessage().contains("record 7") && shape.getMessage().contains("\"pixels\"")
        && shape.getMessage().contains("[63]") && shape.getMessage().contains("[64]"), shape.getMessage());
    String nan = good.toString().replaceFirst("0\\.0", "\"NaN\"");
    InputException nonFinite = assertThrows(InputException.class, () -> spec.validate(Json.tree(nan), 1));
    assertTrue(nonFinite.getMessage().contains("non-finite"), nonFinite.getMessage());
    InputException missing = assertThrows(InputException.class, () -> spec.validate(Json.tree("{\"image\":[1]}"), 3));
    assertTrue(missing.getMessage().contains("record 3") && missing.getMessage().contains("pixels"), missing.getMessage());
    assertThrows(InputException.class, () -> spec.validate(Json.tree("[1,2]"), 0));
  }
}
