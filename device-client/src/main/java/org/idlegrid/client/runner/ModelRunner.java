package org.idlegrid.client.runner;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.idlegrid.client.cache.LocalModel;

/**
 * Runs the records of one unit through a model: one output object per record, in order.
 *
 * <p>Determinism: the outputs of a unit must not depend on the device or on how it batches,
 * because replicas are compared. Tensor models run in fixed chunks of {@link #CHUNK} records in
 * unit order; text models run one record at a time (padding inside a batch moves embeddings).
 *
 * <p>{@code cancelled} is polled between chunks/records: when it turns true the run ends with
 * {@link UnitCancelledException} within one chunk's time.
 */
public interface ModelRunner extends AutoCloseable {
  int CHUNK = 32;

  List<JsonNode> run(LocalModel model, List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException;

  @Override
  void close();

  /** Whether an inference runtime is in memory now. */
  default boolean loaded() {
    return true;
  }

  /**
   * Closes the inference runtime's models if no unit ran for {@code idleFor} (the next unit
   * loads them again); returns whether it did.
   */
  default boolean releaseIdle(Duration idleFor) {
    return false;
  }

  /**
   * A runner that loads DJL (and the ONNX Runtime native library) only when the first unit
   * arrives, so an idle client holds no inference runtime in memory.
   *
   * @param threads ONNX Runtime intra-op threads, 0 for its default
   */
  static ModelRunner lazy(int threads) {
    return new LazyRunner(threads);
  }
}
