package org.idlegrid.client.runner;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.idlegrid.client.cache.LocalModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the DJL runner on first use (until then no DJL class is touched) and drops it again
 * after a while without work ({@link #releaseIdle}), closing its models: an idle client holds
 * no loaded model. (The ONNX Runtime shared library, once loaded, stays mapped: a JVM cannot
 * unload a native library; its pages are shared and mostly paged out.)
 */
final class LazyRunner implements ModelRunner {
  private static final Logger log = LoggerFactory.getLogger(LazyRunner.class);
  private final int threads;
  private ModelRunner delegate;
  private boolean closed;
  private int running;
  private long lastUsed = System.nanoTime();

  LazyRunner(int threads) {
    this.threads = threads;
  }

  private synchronized ModelRunner begin() throws RunnerException {
    if (closed) {
      throw new RunnerException("the runner is closed");
    }
    if (delegate == null) {
      delegate = new DjlRunner(threads);
    }
    running++;
    return delegate;
  }

  private synchronized void end() {
    running--;
    lastUsed = System.nanoTime();
  }

  @Override
  public List<JsonNode> run(LocalModel model, List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException {
    ModelRunner r = begin();
    try {
      return r.run(model, records, cancelled);
    } finally {
      end();
    }
  }

  @Override
  public synchronized boolean loaded() {
    return delegate != null;
  }

  @Override
  public synchronized boolean releaseIdle(Duration idleFor) {
    if (delegate == null || running > 0 || System.nanoTime() - lastUsed < idleFor.toNanos()) {
      return false;
    }
    delegate.close(); // models still computing a cancelled chunk are closed when that chunk ends
    delegate = null;
    log.info("no work for {} s: inference runtime released", idleFor.toSeconds());
    return true;
  }

  @Override
  public synchronized void close() {
    closed = true;
    if (delegate != null) {
      delegate.close();
    }
  }
}
