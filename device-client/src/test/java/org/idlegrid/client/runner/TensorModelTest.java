package org.idlegrid.client.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.idlegrid.client.cache.LocalModel;
import org.idlegrid.client.testing.TestModels;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.tensor.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TensorModelTest {
  static ModelRunner runner;
  static List<JsonNode> records;

  @BeforeAll
  static void setUp() throws Exception {
    runner = ModelRunner.lazy(1);
    records = TestModels.digitsRecords();
  }

  @AfterAll
  static void tearDown() {
    runner.close();
  }

  static LocalModel model(String name) throws Exception {
    var f = TestModels.file(name);
    return new LocalModel(Hashes.contentId(Files.readAllBytes(f)), f, null);
  }

  void matchesReference(String model, double minAccuracy) throws Exception {
    List<JsonNode> out = runner.run(model(model + ".onnx"), records, () -> false);
    List<JsonNode> expected = TestModels.jsonl(model + ".expected.jsonl");
    List<JsonNode> rows = TestModels.jsonl("digits-test.jsonl");
    assertEquals(540, out.size());
    int correct = 0;
    for (int i = 0; i < out.size(); i++) {
      double[] got = Tensor.parse(out.get(i).get("logits")).data();
      double[] want = Tensor.parse(expected.get(i).get("logits")).data();
      assertEquals(10, got.length, "record " + i);
      int argmax = 0;
      for (int k = 0; k < 10; k++) {
        assertEquals(want[k], got[k], 1e-4, "record " + i + " logit " + k);
        if (got[k] > got[argmax]) {
          argmax = k;
        }
      }
      assertEquals(expected.get(i).get("argmax").asInt(), argmax, "record " + i);
      if (argmax == rows.get(i).get("label").asInt()) {
        correct++;
      }
    }
    assertEquals(minAccuracy, correct / 540.0, 0.001);
  }

  @Test
  void digitsMlpMatchesOnnxRuntimeReferenceAndAccuracy() throws Exception {
    matchesReference("digits-mlp", 0.981);
  }

  @Test
  void digitsCnnMatchesOnnxRuntimeReferenceAndAccuracy() throws Exception {
    matchesReference("digits-cnn", 0.991);
  }

  @Test
  void sameUnitGivesIdenticalOutputsOnEveryRun() throws Exception {
    List<JsonNode> unit = records.subList(0, 77);
    byte[] first = Json.writeBytes(runner.run(model("digits-mlp.onnx"), unit, () -> false));
    try (ModelRunner other = ModelRunner.lazy(0)) {
      byte[] second = Json.writeBytes(other.run(model("digits-mlp.onnx"), unit, () -> false));
      assertEquals(new String(first), new String(second));
    }
  }

  @Test
  void shapedTensorFormGivesSameOutputAsNestedArrays() throws Exception {
    List<JsonNode> shaped = new ArrayList<>();
    for (JsonNode r : records.subList(0, 5)) {
      ObjectNode o = Json.mapper().createObjectNode();
      o.set("pixels", Tensor.parse(r.get("pixels")).toShapedJson());
      shaped.add(o);
    }
    assertEquals(runner.run(model("digits-mlp.onnx"), records.subList(0, 5), () -> false),
        runner.run(model("digits-mlp.onnx"), shaped, () -> false));
  }

  @Test
  void recordWithoutTheModelsInputIsRefusedNamingIt() throws Exception {
    List<JsonNode> bad = List.of(Json.tree("{\"image\":[1,2,3]}"));
    RunnerException e = assertThrows(RunnerException.class, () -> runner.run(model("digits-mlp.onnx"), bad, () -> false));
    assertTrue(e.getMessage().contains("missing input 'pixels'"), e.getMessage());
  }

  @Test
  void wrongInputShapeIsAnErrorNotACrash() throws Exception {
    List<JsonNode> bad = List.of(Json.tree("{\"pixels\":[1,2,3]}"));
    RunnerException e = assertThrows(RunnerException.class, () -> runner.run(model("digits-mlp.onnx"), bad, () -> false));
    assertTrue(e.getMessage().contains("inference failed"), e.getMessage());
  }

  @Test
  void cancelledUnitStopsBetweenChunks() throws Exception {
    AtomicInteger polls = new AtomicInteger();
    assertThrows(UnitCancelledException.class,
        () -> runner.run(model("digits-mlp.onnx"), records, () -> polls.incrementAndGet() > 2));
    // the waiting caller and the inference thread both poll the flag: a handful of polls, not one per chunk of all 17
    assertTrue(polls.get() >= 3 && polls.get() < 8, "polled " + polls.get() + " times");
  }

  @Test
  void aCancelReturnsAtOnceWhileTheInferenceThreadFinishesItsChunkAndTheRunnerStaysUsable() throws Exception {
    java.util.concurrent.atomic.AtomicBoolean cancel = new java.util.concurrent.atomic.AtomicBoolean(true);
    assertThrows(UnitCancelledException.class, () -> runner.run(model("digits-mlp.onnx"), records, cancel::get));
    cancel.set(false);
    assertEquals(records.size(), runner.run(model("digits-mlp.onnx"), records, cancel::get).size());
  }
}
