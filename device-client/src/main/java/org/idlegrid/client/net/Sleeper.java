package org.idlegrid.client.net;

import java.time.Duration;

/** Waits; injected so that tests of retries and backoff do not really sleep. */
@FunctionalInterface
public interface Sleeper {
  /** Waits {@code duration}; throws {@link StopSignal.Stopped} if the client stops meanwhile. */
  void sleep(Duration duration);
}
