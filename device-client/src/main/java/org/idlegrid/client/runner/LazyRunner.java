package org.idlegrid.client.runner;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.idlegrid.client.cache.LocalModel;

/** Creates the DJL runner on first use; until then no DJL class is touched. */
final class LazyRunner implements ModelRunner {
  private final int threads;
  private ModelRunner delegate;
  private boolean closed;

  LazyRunner(int threads) {
    this.threads = threads;
  }

  private synchronized ModelRunner delegate() throws RunnerException {
    if (closed) {
      throw new RunnerException("the runner is closed");
    }
    if (delegate == null) {
      delegate = new DjlRunner(threads);
    }
    return delegate;
  }

  @Override
  public List<JsonNode> run(LocalModel model, List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException {
    return delegate().run(model, records, cancelled);
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (delegate != null) {
      delegate.close();
    }
  }
}
