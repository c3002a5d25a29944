package org.idlegrid.coordinator.http;

import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.WorkResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Devices waiting in a long poll, without a thread each: the Jetty handler returns with the
 * request's {@link Callback} still open and parks it here. A waiter is answered exactly once,
 * by whichever comes first:
 * <ul>
 *   <li>{@link #wake()} (work appeared: a job, an abort, a timeout, a disagreement, a job
 *       waiting for closing audits): one dispatcher thread tries a claim for each waiter while
 *       work remains, until {@link #MAX_MISSES} in a row got nothing (a waiter that got nothing
 *       goes to the back of its tier). Waiters are tried fastest first: by the tier of their
 *       device's pace ({@link Scheduler#paceTier}), then in arrival order. While the fleet is busy
 *       few wait and this changes little; at a job's end most of the fleet waits, and each replica
 *       a wake hands out goes to a fast device (measured at 100,000 simulated devices:
 *       docs/verification.md, "Fastest first"). A slow device that a wake never reaches gets its
 *       work when its long poll runs out and it asks again;</li>
 *   <li>{@link #judged(String)} (one of the device's results was graded): a device the stranger
 *       throttle holds back ({@link Scheduler#waitsForVerdict}) waits apart from the others, in
 *       {@code held}, and only this tries a claim for it. No new work lets it claim, so a wake
 *       that tried it would waste a claim (at 100,000 simulated devices, 85% of all claims were
 *       such misses before this); without this, it would wait for its timer after its verdict;</li>
 *   <li>its timer: 204 after {@code waitMs};</li>
 *   <li>the connection failing, or {@link #close()}.</li>
 * </ul>
 * Each waiter has a tiny state machine WAITING → BUSY (a claim in progress) → DONE, moved with
 * compare-and-set, so the timer never answers a waiter the dispatcher is serving; the
 * dispatcher answers 204 itself when the time ran out during its claim.
 *
 * <p>A held waiter is registered in {@code held} before the throttle is asked about, so a verdict
 * committed after the answer finds it there; one committed before makes the answer "not held",
 * and the waiter joins the others. Either way no verdict is missed.
 */
final class WorkWaiters implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WorkWaiters.class);
  private static final int WAITING = 0;
  private static final int BUSY = 1;
  private static final int DONE = 2;
  /**
   * A wake stops after this many waiters in a row could take nothing: work may be there that
   * none of them may take (placement, the trusted-peer rule), and trying every waiter on every
   * wake would cost a claim per waiting device.
   */
  static final int MAX_MISSES = 64;

  private final Scheduler scheduler;
  /** Waiting devices in the order a wake tries them: tier, then arrival ({@link Waiter#seq}). */
  private final ConcurrentSkipListSet<Waiter> waiters = new ConcurrentSkipListSet<>(
      Comparator.<Waiter>comparingInt(w -> w.tier).thenComparingLong(w -> w.seq));
  private final AtomicLong arrivals = new AtomicLong();
  /** Waiters held back until a verdict on one of their results, by device id. */
  private final ConcurrentHashMap<String, Waiter> held = new ConcurrentHashMap<>();
  private final AtomicBoolean wakePending = new AtomicBoolean();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("idlegrid-poll-timer").factory());
  private final ExecutorService dispatcher = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().daemon().name("idlegrid-dispatcher").factory());

  private final class Waiter {
    final String deviceId;
    final int slots;
    final List<String> cached;
    final Response response;
    final Callback callback;
    final long expiresAt;
    final AtomicInteger state = new AtomicInteger(WAITING);
    volatile ScheduledFuture<?> timeout;
    /** Its place in {@code waiters}: set only while it is not in the set (the set's order rests on them). */
    volatile int tier;
    volatile long seq;

    Waiter(String deviceId, int slots, List<String> cached, Response response, Callback callback, long waitMs) {
      this.deviceId = deviceId;
      this.slots = slots;
      this.cached = cached;
      this.response = response;
      this.callback = callback;
      this.expiresAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
    }

    void finish() {
      waiters.remove(this);
      held.remove(deviceId, this);
      ScheduledFuture<?> t = timeout;
      if (t != null) {
        t.cancel(false);
      }
    }
  }

  WorkWaiters(Scheduler scheduler) {
    this.scheduler = scheduler;
  }

  int size() {
    return waiters.size() + held.size();
  }

  void park(String deviceId, int slots, List<String> cached, long waitMs, Request request, Response response,
      Callback callback) {
    Waiter w = new Waiter(deviceId, slots, cached, response, callback, waitMs);
    boolean waitsForVerdict = enqueue(w);
    request.addFailureListener(failure -> {
      if (w.state.compareAndSet(WAITING, DONE)) {
        w.finish();
        callback.failed(failure);
      }
    });
    try {
      w.timeout = timer.schedule(() -> expire(w), waitMs, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
      // the coordinator is closing: answer "no work now" instead of parking a poll nobody will end
      expire(w);
      return;
    }
    if (!waitsForVerdict) {
      wake(); // work may have appeared between the caller's empty claim and now
    }
  }

  /**
   * Queues a waiter that got nothing: in {@code held} if the throttle holds its device back, else
   * with the others (see the class comment for the order). Returns whether it is held.
   */
  private boolean enqueue(Waiter w) {
    held.put(w.deviceId, w);
    Scheduler.Waiting waiting;
    try {
      waiting = scheduler.waiting(w.deviceId);
    } catch (RuntimeException e) {
      LOG.warn("cannot ask whether device {} waits for a verdict: {}", w.deviceId, e.toString());
      waiting = new Scheduler.Waiting(false, Scheduler.paceTier(null));
    }
    if (!waiting.forVerdict() && held.remove(w.deviceId, w)) {
      w.tier = waiting.tier();
      w.seq = arrivals.getAndIncrement();
      waiters.add(w);
    }
    return waiting.forVerdict();
  }

  /** One of the device's results was graded: if it waits held back, try a claim for it now. */
  void judged(String deviceId) {
    Waiter w = held.get(deviceId);
    if (w == null) {
      return;
    }
    try {
      dispatcher.execute(() -> {
        if (held.remove(deviceId, w)) {
          serve(w);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // close() answers it
    }
  }

  private void expire(Waiter w) {
    if (w.state.compareAndSet(WAITING, DONE)) {
      w.finish();
      Http.empty(w.response, w.callback, 204);
    }
  }

  /** Work may be available: try to serve the waiters (coalesced; returns at once). */
  void wake() {
    if (wakePending.compareAndSet(false, true)) {
      try {
        dispatcher.execute(this::drain);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        wakePending.set(false); // closing
      }
    }
  }

  private void drain() {
    wakePending.set(false);
    int misses = 0;
    // a snapshot: a waiter that got nothing moves to the back and is not tried twice in one wake
    for (Waiter w : waiters.toArray(new Waiter[0])) {
      if (misses >= MAX_MISSES) {
        return; // the work left is not for these devices; the others get it at their next poll
      }
      if (held.get(w.deviceId) == w) {
        continue; // held back since the snapshot: only a verdict lets it claim
      }
      try {
        if (!scheduler.hasWork()) {
          return;
        }
      } catch (RuntimeException e) {
        LOG.warn("cannot check for work: {}", e.toString());
        return;
      }
      Boolean got = serve(w);
      if (got == null) {
        continue;
      }
      misses = got ? 0 : misses + 1;
    }
  }

  /**
   * Tries a claim for the waiter (run on the dispatcher): answers it with work, or with 204 if its
   * time ran out, or queues it again (at the back, or held). Returns whether it got work, or null
   * if someone else was answering it.
   */
  private Boolean serve(Waiter w) {
    if (!w.state.compareAndSet(WAITING, BUSY)) {
      return null;
    }
    List<Assignment> got = List.of();
    try {
      got = scheduler.claim(w.deviceId, w.slots, w.cached);
    } catch (RuntimeException e) {
      LOG.warn("claim for device {} failed: {}", w.deviceId, e.toString());
    }
    if (!got.isEmpty()) {
      w.state.set(DONE);
      w.finish();
      Http.json(w.response, w.callback, 200, new WorkResponse(got));
      return true;
    }
    if (System.nanoTime() - w.expiresAt >= 0) {
      w.state.set(WAITING);
      expire(w);
    } else {
      // to the back, or held (while BUSY nobody else removes it): the next wake tries others first
      waiters.remove(w);
      w.state.set(WAITING);
      enqueue(w);
    }
    return false;
  }

  @Override
  public void close() {
    dispatcher.shutdownNow();
    timer.shutdownNow();
    List<Waiter> all = new java.util.ArrayList<>(waiters);
    all.addAll(held.values());
    for (Waiter w : all) {
      if (w.state.compareAndSet(WAITING, DONE)) {
        w.finish();
        Http.empty(w.response, w.callback, 204);
      }
    }
  }
}
