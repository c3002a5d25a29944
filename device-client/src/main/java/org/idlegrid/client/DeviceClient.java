package org.idlegrid.client;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.fasterxml.jackson.databind.JsonNode;
import org.idlegrid.client.cache.ModelCache;
import org.idlegrid.client.control.ControlServer;
import org.idlegrid.client.eligibility.PauseFlag;
import org.idlegrid.json.Json;
import org.idlegrid.client.eligibility.Eligibility;
import org.idlegrid.client.identity.Enrollment;
import org.idlegrid.client.identity.Identity;
import org.idlegrid.client.net.CoordinatorClient;
import org.idlegrid.client.net.StopSignal;
import org.idlegrid.client.outbox.Outbox;
import org.idlegrid.client.runner.ModelRunner;
import org.idlegrid.client.status.ClientStatus;
import org.idlegrid.client.status.ClientStatus.State;
import org.idlegrid.client.trust.AssignmentVerifier;
import org.idlegrid.client.trust.ResultSigner;
import org.idlegrid.protocol.EnrollRequest;
import org.idlegrid.protocol.EnrollResponse;
import org.idlegrid.protocol.Engines;
import org.idlegrid.signing.Ed25519;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running device client: {@link #start(ClientConfig)} loads (or creates) the device key,
 * enrolls once per coordinator, then runs the work loop on its own thread until
 * {@link #close()}.
 *
 * <p>State folder layout: {@code device.key} (mode 600), {@code enrollment.json} (mode 600),
 * {@code models/} (cache by sha256), {@code outbox/} (signed results not yet acknowledged),
 * {@code status.json}, {@code paused} (present while paused), {@code control.json} (mode 600:
 * the loopback control channel's port and token, while running), {@code preferences.properties}
 * (the owner's, optional).
 */
public final class DeviceClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DeviceClient.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final ClientConfig config;
  private final StopSignal stop = new StopSignal();
  private final Ed25519.KeyPair key;
  private final CoordinatorClient client;
  private final Outbox outbox;
  private final ModelRunner runner;
  private final StatusReporter status;
  private final ExecutorService pool;
  private final ScheduledExecutorService ticker;
  private final Thread worker;
  private final Enrollment enrollment;
  private ControlServer control;

  private DeviceClient(ClientConfig config) throws IOException {
    if (System.getProperty("ai.djl.offline") == null) {
      System.setProperty("ai.djl.offline", "true"); // before any DJL class loads: no model hub
    }
    this.config = config;
    this.key = Identity.deviceKey(config.stateDir());
    this.client = new CoordinatorClient(config.coordinator(), config.backoff(), stop, stop, config.clock());
    this.outbox = new Outbox(config.stateDir().resolve("outbox"));
    this.status = new StatusReporter(config.stateDir(), config.clock(), client.base().toString(), outbox::size,
        config.policyName());
    int n = INSTANCES.incrementAndGet();
    AtomicInteger unitThreads = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(config.slots(), r -> daemon(r, "idlegrid-unit-" + n + "-" + unitThreads.incrementAndGet()));
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "idlegrid-status-" + n));
    status.state(State.ENROLLING, "enrolling with " + client.base());
    try {
      this.enrollment = enroll();
    } catch (RuntimeException | IOException e) {
      stop.stop();
      pool.shutdown();
      ticker.shutdown();
      throw e;
    }
    client.token(enrollment.token());
    status.deviceId(enrollment.deviceId());
    Ed25519.PublicKey coordinatorKey = Ed25519.PublicKey.fromBase64(enrollment.coordinatorKey());
    ModelCache cache = new ModelCache(config.stateDir().resolve("models"), client, 5,
        (long) config.preferences().cacheDiskMb() << 20);
    this.runner = config.runnerWrapper().apply(ModelRunner.lazy(config.threads()));
    Eligibility eligibility = Eligibility.pausable(config.eligibility(), config.stateDir());
    status.sources(eligibility::lastReadings, runner::loaded);
    WorkLoop loop = new WorkLoop(config, enrollment.deviceId(), eligibility, client, cache, runner, outbox,
        new ResultSigner(key.privateKey()), new AssignmentVerifier(coordinatorKey), stop, status, pool);
    this.worker = new Thread(loop, "idlegrid-work-" + n);
    worker.setDaemon(true);
  }

  /**
   * Starts a client: enrolls if this state folder has no enrollment for this coordinator
   * (retrying while the coordinator is unreachable), then runs the work loop in the background.
   *
   * @throws org.idlegrid.client.net.CoordinatorException if the coordinator refuses enrollment
   */
  public static DeviceClient start(ClientConfig config) throws IOException {
    DeviceClient c = new DeviceClient(config);
    c.ticker.scheduleWithFixedDelay(c.status::write, config.statusInterval().toMillis(),
        config.statusInterval().toMillis(), TimeUnit.MILLISECONDS);
    long release = Math.max(1, Math.min(60_000, config.runnerIdleRelease().toMillis() / 2));
    c.ticker.scheduleWithFixedDelay(() -> c.runner.releaseIdle(config.runnerIdleRelease()), release, release,
        TimeUnit.MILLISECONDS);
    try {
      c.control = ControlServer.start(config.stateDir(), c.controlHandler());
    } catch (IOException e) {
      c.close();
      throw e;
    }
    c.worker.start();
    log.info("device {} working for {} (policy {}, {} slot(s))", c.enrollment.deviceId(), c.client.base(),
        config.policyName(), config.slots());
    return c;
  }

  private Enrollment enroll() throws IOException {
    String coordinator = client.base().toString();
    var stored = Identity.enrollmentFor(config.stateDir(), coordinator);
    if (stored.isPresent()) {
      return stored.get();
    }
    String name = config.name() != null ? config.name() : Identity.hostname();
    String owner = config.owner() != null ? config.owner() : Identity.defaultOwner(key.publicKey());
    var versions = Identity.engineVersions();
    EnrollRequest req = new EnrollRequest(key.publicKey().base64(), name, owner, Identity.platform(),
        List.of(Engines.ONNX_RUNTIME), versions.isEmpty() ? null : versions, config.enrollmentToken());
    EnrollResponse r = client.enroll(req, Integer.MAX_VALUE);
    if (r.deviceId() == null || r.token() == null || r.coordinatorKey() == null) {
      throw new IOException("the coordinator's enrollment answer lacks deviceId, token or coordinatorKey");
    }
    Ed25519.PublicKey.fromBase64(r.coordinatorKey()); // refuse a malformed key now, not at the first unit
    Enrollment e = new Enrollment(coordinator, r.deviceId(), r.token(), r.coordinatorKey());
    Identity.save(config.stateDir(), e);
    log.info("enrolled with {} as device {} (owner {})", coordinator, r.deviceId(), owner);
    return e;
  }

  private ControlServer.Handler controlHandler() {
    return new ControlServer.Handler() {
      @Override
      public JsonNode status() {
        return Json.toTree(status.snapshot());
      }

      @Override
      public void pause() throws IOException {
        PauseFlag.pause(config.stateDir());
        log.info("paused by the owner");
        stop.wake();
      }

      @Override
      public void resume() throws IOException {
        PauseFlag.resume(config.stateDir());
        log.info("resumed by the owner");
        stop.wake();
      }
    };
  }

  /** The control channel's port (loopback), or -1 before it started. */
  public int controlPort() {
    return control == null ? -1 : control.port();
  }

  public String deviceId() {
    return enrollment.deviceId();
  }

  public Ed25519.PublicKey publicKey() {
    return key.publicKey();
  }

  public ClientConfig config() {
    return config;
  }

  /** What status.json would say now. */
  public ClientStatus status() {
    return status.snapshot();
  }

  public boolean isRunning() {
    return worker.isAlive();
  }

  /** Waits up to {@code timeout} for the work loop to end (after close, kill or a fatal error). */
  public boolean awaitTermination(Duration timeout) throws InterruptedException {
    worker.join(Math.max(1, timeout.toMillis()));
    return !worker.isAlive();
  }

  /**
   * Stops gracefully: a running unit stops within a second and is aborted with reason
   * {@code shutdown}; finished results stay in the outbox for the next start.
   */
  @Override
  public void close() {
    shutdown(false);
  }

  /**
   * Simulates a crash (kill -9) for tests: stops at once and sends nothing more, no abort, no
   * delivery, no final status. What is on disk stays as a killed process would leave it.
   */
  public void kill() {
    shutdown(true);
  }

  private void shutdown(boolean crash) {
    if (crash) {
      stop.crash();
    } else {
      stop.stop();
    }
    try {
      worker.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    pool.shutdown();
    ticker.shutdownNow();
    runner.close();
    if (control != null) {
      control.close();
    }
    if (!crash) {
      status.state(State.STOPPED, "stopped");
      status.write();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
