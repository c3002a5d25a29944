package org.idlegrid.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.idlegrid.client.cache.LocalModel;
import org.idlegrid.client.cache.ModelCache;
import org.idlegrid.client.cache.ModelRejectedException;
import org.idlegrid.client.eligibility.Decision;
import org.idlegrid.client.eligibility.Eligibility;
import org.idlegrid.client.net.CoordinatorClient;
import org.idlegrid.client.net.CoordinatorException;
import org.idlegrid.client.net.StopSignal;
import org.idlegrid.client.net.TransientFailure;
import org.idlegrid.client.outbox.Outbox;
import org.idlegrid.client.probe.EnergyMeter;
import org.idlegrid.client.probe.ProcessMemory;
import org.idlegrid.client.runner.ModelRunner;
import org.idlegrid.client.runner.RunnerException;
import org.idlegrid.client.runner.UnitCancelledException;
import org.idlegrid.client.status.ClientStatus.CurrentUnit;
import org.idlegrid.client.status.ClientStatus.State;
import org.idlegrid.client.trust.AssignmentRejectedException;
import org.idlegrid.client.trust.AssignmentVerifier;
import org.idlegrid.client.trust.ResultSigner;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.WorkRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's one loop (one thread): deliver the outbox, check eligibility, long-poll for
 * work, and for each assignment verify → fetch the model → run → sign → outbox → deliver.
 *
 * <p>Promises kept here:
 * <ul>
 *   <li>Nothing runs while the device is not eligible; while units run, eligibility is checked
 *       every {@code checkInterval} (≤ 1 s), and when it fails the units are cancelled (they stop
 *       within one chunk), the coordinator is told with the reason, and the loop waits quietly
 *       (no network) until eligible again.
 *   <li>An assignment is used only after its signature checked out; a model only after its
 *       hash and size did; failures are refused and reported as {@code error: <what>}.
 *   <li>A result is durable in the outbox before its first upload and leaves it only on an
 *       answer from the coordinator (see {@link #deliverOutbox()}).
 *   <li>No busy polling: at least {@code minPollInterval} between work requests that found no
 *       work, backoff after failures; a device that just finished work asks again at once.
 *   <li>Every {@code stillWantedInterval} (30 s) the coordinator is asked, on a thread of its
 *       own so that the eligibility checks never wait for the network, whether each running
 *       unit is still wanted; one it no longer wants (its job cancelled, its deadline passed, or
 *       called off because its unit was decided without it) stops within one chunk and nothing
 *       is sent for it: no wasted computing for the owner.
 *   <li>A graceful stop aborts running units with {@code shutdown}; a crash sends nothing.
 * </ul>
 */
final class WorkLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(WorkLoop.class);
  private static final int WORK_ATTEMPTS = 3;
  private static final int ABORT_ATTEMPTS = 3;
  private static final long MAX_INPUT_BYTES = 256L << 20;
  /** The cancel reason of a unit the coordinator no longer wants (see {@link #askStillWanted}). */
  static final String CALLED_OFF = "called off by the coordinator";

  private final ClientConfig config;
  private boolean lastPollHadWork;
  private final String deviceId;
  private final Eligibility eligibility;
  private final CoordinatorClient client;
  private final ModelCache cache;
  private final ModelRunner runner;
  private final Outbox outbox;
  private final ResultSigner signer;
  private final AssignmentVerifier verifier;
  private final StopSignal stop;
  private final StatusReporter status;
  private final ExecutorService pool;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private int failures;
  private boolean memoryCapHit;
  private long lastPoll = Long.MIN_VALUE;

  WorkLoop(ClientConfig config, String deviceId, Eligibility eligibility, CoordinatorClient client, ModelCache cache,
      ModelRunner runner, Outbox outbox, ResultSigner signer, AssignmentVerifier verifier, StopSignal stop,
      StatusReporter status, ExecutorService pool) {
    this.config = config;
    this.deviceId = deviceId;
    this.eligibility = eligibility;
    this.client = client;
    this.cache = cache;
    this.runner = runner;
    this.outbox = outbox;
    this.signer = signer;
    this.verifier = verifier;
    this.stop = stop;
    this.status = status;
    this.pool = pool;
    stop.onStop(() -> stopped.complete(null));
  }

  @Override
  public void run() {
    try {
      deliverOutbox();
      while (!stop.stopped()) {
        Decision d = eligibility.check();
        if (!d.run()) {
          status.state(State.INELIGIBLE, d.reason());
          stop.sleep(config.checkInterval().multipliedBy(5));
          continue;
        }
        if (outbox.size() > 0) {
          deliverOutbox();
        }
        if (!lastPollHadWork) {
          pace(); // only an empty answer spaces polls: a device with work asks again at once
        }
        List<Assignment> work = poll();
        lastPollHadWork = !work.isEmpty();
        if (!work.isEmpty()) {
          runAll(work);
          deliverOutbox();
        }
      }
    } catch (StopSignal.Stopped e) {
      // stopping
    } catch (RuntimeException | Error e) {
      log.error("the work loop failed", e);
      throw e;
    }
  }

  /** Waits so that two work requests are at least minPollInterval apart. */
  private void pace() {
    long gap = config.minPollInterval().toNanos();
    long since = System.nanoTime() - lastPoll;
    if (lastPoll != Long.MIN_VALUE && since < gap) {
      stop.sleep(Duration.ofNanos(gap - since));
    }
  }

  private List<Assignment> poll() {
    status.state(State.WAITING_FOR_WORK, "asking for work");
    lastPoll = System.nanoTime();
    Optional<JsonNode> answer;
    try {
      answer = client.work(deviceId, new WorkRequest(config.slots(), cache.cachedIds(), config.pollWait().toMillis(),
          config.stillWantedInterval().toMillis()),
          WORK_ATTEMPTS);
      failures = 0;
    } catch (TransientFailure | CoordinatorException e) {
      failures++;
      Duration wait = e instanceof CoordinatorException ? config.backoff().max() : config.backoff().delay(failures);
      status.state(State.BACKING_OFF, "work request failed: " + e.getMessage() + "; next try in " + wait.toSeconds() + " s");
      stop.sleep(wait);
      return List.of();
    }
    if (answer.isEmpty()) {
      return List.of();
    }
    JsonNode list = answer.get().get("assignments");
    if (list == null || !list.isArray()) {
      log.warn("work answer without an assignments array: ignored");
      return List.of();
    }
    List<Assignment> ok = new ArrayList<>();
    for (JsonNode node : list) {
      try {
        ok.add(verifier.verify(node));
      } catch (AssignmentRejectedException e) {
        log.warn("refused assignment {}: {}", e.assignmentId(), e.getMessage());
        if (e.assignmentId() != null) {
          abort(e.assignmentId(), "error: " + e.getMessage());
        }
      }
    }
    return ok;
  }

  /** One assignment in flight; {@code cancelReason} set by the monitor stops it. */
  private static final class Unit {
    final Assignment assignment;
    final Instant started;
    volatile String cancelReason;

    Unit(Assignment assignment, Instant started) {
      this.assignment = assignment;
      this.started = started;
    }
  }

  private enum Kind { DONE, CANCELLED, FAILED, EXPIRED }

  private record Outcome(Kind kind, String detail) {}

  private void runAll(List<Assignment> assignments) {
    Decision d = eligibility.check();
    if (!d.run()) {
      for (Assignment a : assignments) {
        abort(a.assignmentId(), d.reason());
      }
      return;
    }
    List<Unit> units = new ArrayList<>();
    List<CompletableFuture<Outcome>> futures = new ArrayList<>();
    for (Assignment a : assignments) {
      Unit u = new Unit(a, config.clock().instant());
      units.add(u);
      futures.add(CompletableFuture.supplyAsync(() -> execute(u), pool));
    }
    Assignment first = assignments.get(0);
    status.units(new CurrentUnit(first.assignmentId(), first.unitId(), first.jobId(), first.model().id(),
        first.records() == null ? -1 : first.records().size(), units.get(0).started.toString()), units.size());
    status.state(State.WORKING, "running " + units.size() + " unit(s)");

    CompletableFuture<Void> all = CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new));
    CompletableFuture<Object> wake = CompletableFuture.anyOf(all, stopped);
    long nextAsk = System.nanoTime() + config.stillWantedInterval().toNanos();
    Thread asking = null;
    while (!all.isDone()) {
      try {
        wake.get(config.checkInterval().toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        // time for an eligibility check
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        stop.stop();
      } catch (ExecutionException e) {
        // an outcome failed unexpectedly: looked at below
      }
      String reason = null;
      if (stop.stopped()) {
        reason = "shutdown";
      } else {
        Decision now = eligibility.check();
        if (!now.run()) {
          reason = now.reason();
          status.state(State.INELIGIBLE, reason);
        } else {
          long rss = ProcessMemory.rssMb();
          int cap = config.preferences().memoryMb();
          if (cap > 0 && rss > cap) {
            reason = "memory-cap: the client uses " + rss + " MB, over the owner's cap of " + cap + " MB (memoryMb)";
            memoryCapHit = true;
            status.state(State.BACKING_OFF, reason);
          }
        }
      }
      if (reason != null) {
        for (Unit u : units) {
          if (u.cancelReason == null) {
            u.cancelReason = reason;
          }
        }
        all.join(); // units stop within one chunk
      } else if (System.nanoTime() - nextAsk >= 0 && (asking == null || !asking.isAlive())) {
        // off this thread: a slow answer must not delay the next eligibility check
        asking = Thread.ofVirtual().name("idlegrid-still-wanted").start(() -> askStillWanted(units, futures));
        nextAsk = System.nanoTime() + config.stillWantedInterval().toNanos();
      }
    }
    status.units(null, 0);
    if (memoryCapHit) {
      runner.releaseIdle(Duration.ZERO);
    }
    for (int i = 0; i < units.size(); i++) {
      Unit u = units.get(i);
      Outcome o = futures.get(i).join();
      String id = u.assignment.assignmentId();
      switch (o.kind()) {
        case DONE -> status.resultDone();
        case CANCELLED -> {
          log.info("unit {} stopped: {}", id, o.detail());
          if (o.detail().startsWith(CALLED_OFF)) {
            status.aborted(); // the coordinator ended it: nothing to tell it
          } else {
            abort(id, o.detail());
          }
        }
        case FAILED -> {
          log.warn("unit {} failed: {}", id, o.detail());
          abort(id, "error: " + o.detail());
        }
        case EXPIRED -> {
          log.info("assignment {} not started: its deadline {} has passed", id, u.assignment.deadline());
          abort(id, "expired");
        }
        default -> throw new AssertionError(o);
      }
    }
    if (memoryCapHit) {
      memoryCapHit = false;
      stop.sleep(config.backoff().max()); // the next unit is likely as big: let the grid give it to another device
    }
  }

  /**
   * Asks the coordinator whether each running unit is still wanted; one it no longer wants (its
   * job cancelled, its deadline passed, a replica called off because its unit was decided
   * without it) stops within one chunk and sends nothing. An unanswered question changes
   * nothing. Runs on its own thread; {@code cancelReason} is volatile.
   */
  private void askStillWanted(List<Unit> units, List<CompletableFuture<Outcome>> futures) {
    try {
      for (int i = 0; i < units.size(); i++) {
        Unit u = units.get(i);
        if (u.cancelReason != null || futures.get(i).isDone()) {
          continue;
        }
        String state = client.assignmentState(u.assignment.assignmentId()).orElse("ISSUED");
        if (!state.equals("ISSUED") && u.cancelReason == null) {
          u.cancelReason = CALLED_OFF + " (" + state.toLowerCase() + ")";
        }
      }
    } catch (StopSignal.Stopped e) {
      // stopping: the loop cancels the units itself
    }
  }

  /** Runs on a pool thread; never throws. */
  private Outcome execute(Unit u) {
    Assignment a = u.assignment;
    try {
      if (a.deadline() != null && !config.clock().instant().isBefore(Instant.parse(a.deadline()))) {
        return new Outcome(Kind.EXPIRED, a.deadline());
      }
      long t0 = System.nanoTime();
      LocalModel model = cache.get(a.model());
      List<JsonNode> outputs;
      List<JsonNode> records;
      Double energyJ = null;
      try {
        records = a.records() != null ? a.records() : fetchInput(a.inputUrl());
        EnergyMeter.Sample e0 = config.slots() == 1 ? config.energy().sample() : null;
        outputs = runner.run(model, records, () -> u.cancelReason != null || stop.stopped());
        OptionalDouble joules = EnergyMeter.joules(e0, e0 == null ? null : config.energy().sample());
        if (joules.isPresent()) {
          energyJ = Math.round(joules.getAsDouble() * 1000) / 1000.0;
        }
      } finally {
        cache.release(model);
      }
      if (outputs.size() != records.size()) {
        return new Outcome(Kind.FAILED, "the runner returned " + outputs.size() + " outputs for " + records.size() + " records");
      }
      long elapsedMs = (System.nanoTime() - t0) / 1_000_000;
      outbox.put(a.assignmentId(), signer.sign(a.assignmentId(), outputs, elapsedMs, energyJ));
      log.info("unit {} done: {} records in {} ms{}", a.assignmentId(), records.size(), elapsedMs,
          energyJ == null ? "" : ", " + energyJ + " J");
      return new Outcome(Kind.DONE, null);
    } catch (UnitCancelledException | StopSignal.Stopped e) {
      return new Outcome(Kind.CANCELLED, u.cancelReason != null ? u.cancelReason : "shutdown");
    } catch (ModelRejectedException e) {
      return new Outcome(Kind.FAILED, e.getMessage());
    } catch (RunnerException | RuntimeException e) {
      if (stop.crashed()) {
        return new Outcome(Kind.CANCELLED, "crash");
      }
      return new Outcome(Kind.FAILED, e.getMessage());
    } catch (IOException e) {
      return new Outcome(Kind.FAILED, "local storage: " + e.getMessage());
    }
  }

  /** The records of an inputUrl (JSONL); checked against the sha256 the URL names, if it names one. */
  private List<JsonNode> fetchInput(String url) throws RunnerException {
    byte[] bytes = client.fetch(url, MAX_INPUT_BYTES, 5);
    String last = url.substring(url.lastIndexOf('/') + 1);
    if (Hashes.isContentId(last) && !Hashes.sha256Hex(bytes).equals(Hashes.hexOf(last))) {
      throw new RunnerException("input sha256 mismatch for " + url);
    }
    List<JsonNode> records = new ArrayList<>();
    int line = 0;
    for (String s : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      line++;
      if (s.isBlank()) {
        continue;
      }
      try {
        records.add(Json.tree(s));
      } catch (Json.JsonException e) {
        throw new RunnerException("input line " + line + ": " + e.getMessage());
      }
    }
    return records;
  }

  private void abort(String assignmentId, String reason) {
    if (stop.crashed()) {
      return;
    }
    status.aborted();
    client.abort(assignmentId, reason, ABORT_ATTEMPTS);
  }

  /**
   * Uploads every result in the outbox. 2xx: delivered, removed. 409 (already returned, e.g. an
   * earlier upload whose answer was lost): the coordinator has it, removed. 400/403/404/410/422:
   * the coordinator will never take it, moved to {@code rejected/} and logged. Anything else
   * (unreachable, 5xx/429 after the retries, 401): kept for the next round.
   */
  void deliverOutbox() {
    List<String> ids;
    try {
      ids = outbox.pending();
    } catch (IOException e) {
      log.warn("cannot read the outbox: {}", e.getMessage());
      return;
    }
    for (String id : ids) {
      if (stop.stopped()) {
        return;
      }
      int code;
      try {
        code = client.submitResult(id, outbox.read(id), config.deliveryAttempts());
      } catch (TransientFailure e) {
        status.state(State.BACKING_OFF, "result upload failed, kept in the outbox: " + e.getMessage());
        return;
      } catch (IOException e) {
        log.warn("cannot read outbox entry {}: {}", id, e.getMessage());
        continue;
      }
      try {
        if (code / 100 == 2) {
          outbox.remove(id);
          log.info("result {} delivered", id);
        } else if (code == 409) {
          outbox.remove(id);
          log.info("result {}: the coordinator already has it (409)", id);
        } else if (code == 400 || code == 403 || code == 404 || code == 410 || code == 413 || code == 422) {
          outbox.reject(id, "HTTP " + code);
          log.warn("result {} refused by the coordinator (HTTP {}): moved to {}", id, code, outbox.dir().resolve("rejected"));
        } else {
          log.warn("result {}: HTTP {}, kept in the outbox", id, code);
        }
      } catch (IOException e) {
        log.warn("outbox entry {}: {}", id, e.getMessage());
      }
    }
  }
}
