package org.idlegrid.client.runner;

import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Engines;

/**
 * A text-embedding DJL model archive (model.onnx, tokenizer.json, serving.properties naming the
 * TextEmbeddingTranslatorFactory). It is loaded as {@code Criteria<Input, Output>}: only then
 * does DJL take the translator from the archive's serving.properties. A record
 * {@code {"text":"…"}} becomes {@code {"embedding":[…]}} (mean-pooled, L2-normalised by the
 * translator). Records run one at a time: padding inside a batch moves the embeddings.
 */
final class TextEmbeddingModel implements DjlRunner.Loaded {
  private final ZooModel<Input, Output> zoo;

  private TextEmbeddingModel(ZooModel<Input, Output> zoo) {
    this.zoo = zoo;
  }

  static TextEmbeddingModel load(Path dir, Map<String, Object> options) throws RunnerException {
    Criteria.Builder<Input, Output> b = Criteria.builder()
        .setTypes(Input.class, Output.class)
        .optModelPath(dir)
        .optEngine(Engines.ONNX_RUNTIME);
    options.forEach((k, v) -> b.optOption(k, (String) v));
    try {
      return new TextEmbeddingModel(b.build().loadModel());
    } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
      throw new RunnerException("the text model archive does not load: " + TensorModel.rootMessage(e), e);
    }
  }

  @Override
  public List<JsonNode> run(List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException {
    for (int r = 0; r < records.size(); r++) {
      JsonNode rec = records.get(r);
      if (rec == null || !rec.isObject() || !rec.path("text").isTextual()) {
        throw new RunnerException("record " + r + ": a text model needs {\"text\": \"…\"}");
      }
    }
    List<JsonNode> outputs = new ArrayList<>(records.size());
    try (Predictor<Input, Output> predictor = zoo.newPredictor()) {
      for (int r = 0; r < records.size(); r++) {
        if (cancelled.getAsBoolean()) {
          throw new UnitCancelledException();
        }
        Input in = new Input();
        in.add(records.get(r).get("text").asText());
        Output out;
        try {
          out = predictor.predict(in);
        } catch (TranslateException | RuntimeException e) {
          throw new RunnerException("record " + r + ": inference failed: " + TensorModel.rootMessage(e), e);
        }
        if (out.getCode() / 100 != 2 || out.getData() == null) {
          throw new RunnerException("record " + r + ": the model answered " + out.getCode() + " " + out.getMessage());
        }
        JsonNode vector = Json.tree(out.getData().getAsBytes());
        if (!vector.isArray() || vector.isEmpty() || !vector.get(0).isNumber()) {
          throw new RunnerException("record " + r + ": the model did not return an embedding vector");
        }
        ArrayNode embedding = JsonNodeFactory.instance.arrayNode(vector.size());
        for (JsonNode v : vector) {
          float f = (float) v.asDouble();
          embedding.add(Double.parseDouble(Float.toString(f)));
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.set("embedding", embedding);
        outputs.add(o);
      }
    }
    return outputs;
  }

  @Override
  public void close() {
    zoo.close();
  }
}
