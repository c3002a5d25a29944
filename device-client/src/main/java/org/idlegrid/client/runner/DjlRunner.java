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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>Stopping within a second: a native ONNX Runtime call cannot be interrupted through DJL
 * (DJL does not expose ORT's RunOptions terminate flag). So the model runs on an inference
 * thread of its own and the caller waits on it, polling {@code cancelled} every
 * {@value #POLL_MS} ms: on cancel, {@link #run} throws {@link UnitCancelledException} at once;
 * the inference thread sees the same flag before its next chunk (or record) and ends there,
 * releasing the model only then (an entry is closed only when its last user is done, so native
 * memory is never freed under a running call). Work left over is at most one chunk of
 * {@link ModelRunner#CHUNK} records.
 */
final class DjlRunner implements ModelRunner {
  private static final Logger log = LoggerFactory.getLogger(DjlRunner.class);
  static final int KEEP = 2;
  static final long POLL_MS = 50;
  static final String TEXT_EMBEDDING_FACTORY = "ai.djl.huggingface.translator.TextEmbeddingTranslatorFactory";
  private static final Set<String> ALLOWED_KEYS = Set.of(
      "engine", "translatorFactory", "includeTokenTypes", "pooling", "normalize", "maxLength",
      "truncation", "padding", "addSpecialTokens", "doLowerCase", "modelName", "option.modelName");

  private final Map<String, Object> options;
  private final ExecutorService inference = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "idlegrid-inference");
    t.setDaemon(true);
    return t;
  });
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
    Future<List<JsonNode>> f;
    try {
      f = inference.submit(() -> {
        try {
          return e.model.run(records, cancelled);
        } finally {
          release(e);
        }
      });
    } catch (RejectedExecutionException x) {
      release(e);
      throw new RunnerException("the runner is closed");
    }
    while (true) {
      if (cancelled.getAsBoolean()) {
        throw new UnitCancelledException(); // the inference thread ends before its next chunk
      }
      try {
        return f.get(POLL_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException t) {
        // poll the flag again
      } catch (InterruptedException t) {
        Thread.currentThread().interrupt();
        throw new UnitCancelledException();
      } catch (ExecutionException x) {
        Throwable c = x.getCause();
        if (c instanceof UnitCancelledException u) {
          throw u;
        }
        if (c instanceof RunnerException r) {
          throw r;
        }
        throw new RunnerException("inference failed: " + TensorModel.rootMessage(c), c);
      }
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
    inference.shutdown();
    for (Entry e : loaded.values()) {
      e.evicted = true;
      release(e, 0);
    }
    loaded.clear();
  }
}
