package org.idlegrid.client.runner;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.idlegrid.client.cache.LocalModel;
import org.idlegrid.protocol.Engines;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DJL with the ONNX Runtime engine, offline. Keeps the last {@value #KEEP} loaded models (a
 * unit of the same job usually follows) and closes the ones it evicts.
 *
 * <p>Which kind a model is: a plain {@code .onnx} file is a named-tensor model
 * ({@link TensorModel}); a DJL model archive whose {@code serving.properties} names the
 * TextEmbeddingTranslatorFactory is a text-embedding model ({@link TextEmbeddingModel}).
 *
 * <p>Security: {@code serving.properties} comes from the network (inside a model whose hash was
 * checked, but the model's author is not trusted). Only the keys in {@link #ALLOWED_KEYS} are
 * accepted: DJL options like {@code option.customOpLibrary} would load native code and
 * {@code option.profilerOutput} would write files, and only the one translator factory is
 * allowed.
 */
final class DjlRunner implements ModelRunner {
  private static final Logger log = LoggerFactory.getLogger(DjlRunner.class);
  static final int KEEP = 2;
  static final String TEXT_EMBEDDING_FACTORY = "ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory";
  private static final Set<String> ALLOWED_KEYS = Set.of(
      "engine", "translatorFactory", "includeTokenTypes", "pooling", "normalize", "maxLength",
      "truncation", "padding", "addSpecialTokens", "doLowerCase", "modelName", "option.modelName");

  private final Map<String, Object> options;
  private final LinkedHashMap<String, Entry> loaded = new LinkedHashMap<>(4, 0.75f, true);

  /** A loaded model with its users: an evicted model is closed when its last user is done. */
  private static final class Entry {
    final Loaded model;
    int users;
    boolean evicted;

    Entry(Loaded model) {
      this.model = model;
    }
  }

  /** A model in memory. */
  interface Loaded extends AutoCloseable {
    List<JsonNode> run(List<JsonNode> records, BooleanSupplier cancelled)
        throws UnitCancelledException, RunnerException;

    @Override
    void close();
  }

  DjlRunner(int threads) {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true");
    }
    Map<String, Object> o = new HashMap<>();
    if (threads > 0) {
      o.put("intraOpNumThreads", Integer.toString(threads));
      o.put("interOpNumThreads", "1");
    }
    this.options = Map.copyOf(o);
  }

  @Override
  public List<JsonNode> run(LocalModel model, List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException {
    Entry e = acquire(model);
    try {
      return e.model.run(records, cancelled);
    } finally {
      release(e);
    }
  }

  private synchronized Entry acquire(LocalModel model) throws RunnerException {
    Entry e = loaded.get(model.id());
    if (e == null) {
      e = new Entry(model.isArchive() ? loadArchive(model.archiveDir()) : loadTensorModel(model.file()));
      loaded.put(model.id(), e);
      log.info("model {} loaded", model.id());
      while (loaded.size() > KEEP) {
        var eldest = loaded.entrySet().iterator().next();
        loaded.remove(eldest.getKey());
        eldest.getValue().evicted = true;
        release(eldest.getValue(), 0);
      }
    }
    e.users++;
    return e;
  }

  private synchronized void release(Entry e) {
    release(e, 1);
  }

  private void release(Entry e, int done) {
    e.users -= done;
    if (e.evicted && e.users == 0) {
      e.model.close();
    }
  }

  private Loaded loadTensorModel(Path file) throws RunnerException {
    Criteria.Builder<NDList, NDList> b = Criteria.builder()
        .setTypes(NDList.class, NDList.class)
        .optModelPath(file)
        .optEngine(Engines.ONNX_RUNTIME)
        .optTranslator(new NoopTranslator());
    options.forEach((k, v) -> b.optOption(k, (String) v));
    try {
      ZooModel<NDList, NDList> zoo = b.build().loadModel();
      return new TensorModel(zoo);
    } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
      throw new RunnerException("the model does not load in ONNX Runtime: " + e.getMessage(), e);
    }
  }

  private Loaded loadArchive(Path dir) throws RunnerException {
    Path root = nested(dir);
    Properties props = new Properties();
    Path serving = root.resolve("serving.properties");
    if (Files.isRegularFile(serving)) {
      try (Reader r = Files.newBufferedReader(serving)) {
        props.load(r);
      } catch (IOException e) {
        throw new RunnerException("cannot read serving.properties: " + e.getMessage(), e);
      }
    }
    for (String key : props.stringPropertyNames()) {
      if (!ALLOWED_KEYS.contains(key)) {
        throw new RunnerException("serving.properties: key '" + key + "' is not allowed in an idlegrid model archive"
            + " (allowed: " + String.join(", ", ALLOWED_KEYS.stream().sorted().toList()) + ")");
      }
    }
    String engine = props.getProperty("engine", Engines.ONNX_RUNTIME);
    if (!Engines.ONNX_RUNTIME.equals(engine)) {
      throw new RunnerException("serving.properties: engine " + engine + " is not supported by this client (OnnxRuntime)");
    }
    String factory = props.getProperty("translatorFactory");
    if (factory == null) {
      return loadTensorModel(root);
    }
    if (!TEXT_EMBEDDING_FACTORY.equals(factory)) {
      throw new RunnerException("serving.properties: translatorFactory " + factory
          + " is not supported (only " + TEXT_EMBEDDING_FACTORY + ")");
    }
    return TextEmbeddingModel.load(root, options);
  }

  /** DJL's convention: an archive holding a single folder has its model in that folder. */
  private static Path nested(Path dir) throws RunnerException {
    try (var s = Files.list(dir)) {
      List<Path> entries = s.toList();
      if (entries.size() == 1 && Files.isDirectory(entries.get(0))) {
        return entries.get(0);
      }
      return dir;
    } catch (IOException e) {
      throw new RunnerException("cannot read the model archive: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() {
    for (Entry e : loaded.values()) {
      e.evicted = true;
      release(e, 0);
    }
    loaded.clear();
  }
}
