package org.idlegrid.client.net;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * How the client stops without thread interrupts (an interrupt closes NIO file channels, which
 * could tear an outbox write): waits end at once, in-flight HTTP exchanges are cancelled by the
 * listeners registered here, and work checks {@link #stopped()} between steps.
 *
 * <p>{@link #crash()} is the same stop for tests that simulate a killed process: the client then
 * sends nothing more (no abort, no delivery), like a process that died.
 */
public final class StopSignal implements Sleeper {
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile boolean stopped;
  private volatile boolean crashed;
  private long wakeups;

  /** Thrown from waits and network calls once the client is stopping. */
  public static final class Stopped extends RuntimeException {
    public Stopped() {
      super("the client is stopping", null, false, false);
    }
  }

  public boolean stopped() {
    return stopped;
  }

  public boolean crashed() {
    return crashed;
  }

  public void check() {
    if (stopped) {
      throw new Stopped();
    }
  }

  public void onStop(Runnable listener) {
    listeners.add(listener);
    if (stopped) {
      listener.run();
    }
  }

  public void stop() {
    synchronized (this) {
      if (stopped) {
        return;
      }
      stopped = true;
      notifyAll();
    }
    listeners.forEach(Runnable::run);
  }

  /** Ends the current {@link #sleep} early without stopping (the owner paused or resumed). */
  public synchronized void wake() {
    wakeups++;
    notifyAll();
  }

  public void crash() {
    crashed = true;
    stop();
  }

  @Override
  public void sleep(Duration duration) {
    long end = System.nanoTime() + duration.toNanos();
    synchronized (this) {
      long woken = wakeups;
      while (!stopped) {
        long left = end - System.nanoTime();
        if (left <= 0 || wakeups != woken) {
          return;
        }
        try {
          wait(Math.max(1, left / 1_000_000), 0);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new Stopped();
        }
      }
    }
    throw new Stopped();
  }
}
