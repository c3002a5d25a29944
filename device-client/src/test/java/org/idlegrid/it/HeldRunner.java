package org.idlegrid.it;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.idlegrid.client.cache.LocalModel;
import org.idlegrid.client.runner.ModelRunner;
import org.idlegrid.client.runner.RunnerException;
import org.idlegrid.client.runner.UnitCancelledException;

/**
 * The real runner, held at the start of each unit (after the first {@code free} ones, which run
 * at once) until the test lets it go on, or the unit is cancelled: like a real runner, it
 * honours cancellation while it waits (a killed client, a unit called off).
 */
record HeldRunner(ModelRunner real, CountDownLatch computing, CountDownLatch proceed, AtomicInteger free)
    implements DelegatingRunner {

  HeldRunner(ModelRunner real, CountDownLatch computing, CountDownLatch proceed) {
    this(real, computing, proceed, 0);
  }

  HeldRunner(ModelRunner real, CountDownLatch computing, CountDownLatch proceed, int free) {
    this(real, computing, proceed, new AtomicInteger(free));
  }

  @Override
  public List<JsonNode> run(LocalModel model, List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException {
    if (free.getAndDecrement() > 0) {
      return real.run(model, records, cancelled);
    }
    computing.countDown();
    try {
      while (!proceed.await(20, TimeUnit.MILLISECONDS)) {
        if (cancelled.getAsBoolean()) {
          throw new UnitCancelledException();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnitCancelledException();
    }
    return real.run(model, records, cancelled);
  }
}
