package org.idlegrid.bench.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.SplittableRandom;
import org.idlegrid.bench.TempDirs;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.engine.Engine;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.SqliteStore;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.transitioner.Heartbeats;
import org.idlegrid.coordinator.transitioner.Transitioner;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.coordinator.validator.Validator;
import org.idlegrid.json.Json;
import org.idlegrid.signing.Ed25519;

/**
 * The fleet simulator: a discrete-event simulation in virtual time that drives the coordinator's
 * REAL engine (scheduler, transitioner, validator, trust, SQLite store) in-process, without HTTP
 * and without sleeps, over a simulated fleet.
 *
 * <p>The fleet: heterogeneous speeds (log-normal, 0.2×–5×), churn (online spells of
 * {@code 60 s / churn} on average, absences of 10 min, both exponential; a device whose spell ends
 * in the middle of a unit leaves it to time out and comes back later; it stops asking about its work
 * when it leaves, so after 2 minutes of silence its units get another slot: {@link Heartbeats}),
 * honest devices with float noise of 1e-7, and cheaters split
 * evenly over the kinds of {@link Behaviour}. One job of {@code units} units of one record each,
 * replicas 2 / quorum 2 / maxReplicas 8, allclose; adaptive replication on. With
 * {@code --known-answers N} the job supplies N known answers (records outside the job with their
 * true outputs), which the scheduler uses to vet untrusted devices.
 *
 * <p>Events: a device polls ({@link Scheduler#claimRows}); it returns its result after
 * {@code 60 s / speed}; every 5 virtual seconds ({@code --sweep-every}) the deadline sweep runs. A
 * device that found no work waits idle until the engine signals that work appeared (a job, a lost
 * replica, a disagreement, a job waiting for closing audits); then idle devices poll, fastest
 * first ({@link Scheduler#paceTier}; {@code --wake-order arrival}: oldest first), while the
 * scheduler {@linkplain Scheduler#hasWork has work}, as the long poll's wake does. Each virtual
 * minute, 64 more poll anyway (long polls that ran out; they may find a straggler to back up). A
 * device the stranger throttle holds back ({@link Scheduler#waitsForVerdict}) waits apart, as the
 * long poll's held waiters do: it polls when the engine says one of its results was graded (the
 * {@code judged} signal), and each virtual minute (its long poll ran out; this also covers a
 * device released without a verdict, such as one that now vouches after a reversed verdict).
 *
 * <p>Commits: the events run in groups of {@link #COMMIT_EVERY} inside one outer store
 * transaction; the engine's transactions nest in it (the store's transactions are reentrant), so
 * one commit writes what a group changed. A third of the time at 20,000 devices went on
 * committing each engine transaction alone (writing the same hot index pages again and again).
 * The engine runs the same code in the same order, and a seed gives the same result either way;
 * what is lost is only what a real coordinator must not lose (a crash mid-group), which a
 * simulation does not survive anyway.
 *
 * <p>Measured: {@code wrongAccepted} (VALID units whose canonical output is not the truth, counted
 * at the end), {@code replicationFactor} (results returned, re-verifications and known-answer
 * checks included, ÷ units), the same after warm-up (results returned after half the units
 * were valid ÷ the units validated after that), {@code makespanEfficiency} (ideal ÷ actual makespan,
 * the ideal being the results the honest devices returned — replicas, checks, audits, backups —
 * and the part of called-off replicas they computed before they dropped them, packed perfectly
 * onto their capacity: full speed for the expected online share of their time;
 * it charges idle time, the tail, stragglers and work lost to churn, not the verification work
 * itself, which {@code replicationFactor} measures), {@code computeEfficiency} (the same ideal with
 * every unit computed exactly once: it charges verification too, so it cannot exceed about
 * 1 / replicationFactor; docs/verification.md), devices quarantined, {@code calledOff} (replicas
 * called off because their unit was decided without them; their devices drop them at their next
 * check, every {@link #CHECK_EVERY_MS}, and return nothing). Backup replicas
 * of stragglers are on by default ({@code --backup-after 0} turns them off); in the job's endgame
 * they wait a quarter as long ({@code --endgame-wait}, {@link TrustPolicy#endgameWait}).
 *
 * <pre>java -jar bench/target/idlegrid-simulator.jar --devices 1000 --units 20000 --cheaters 0.2 --seed 1</pre>
 */
public final class FleetSimulator {
  static final long UNIT_WORK_MS = 60_000;
  static final Duration ASSIGNMENT_TIMEOUT = Duration.ofMinutes(10);
  /** How often the deadline sweep runs by default: as the coordinator's {@code sweepInterval} ({@code --sweep-every}). */
  static final long SWEEP_EVERY_MS = 5_000;
  /** How often long polls run out: then {@link #WAKE_BATCH} waiting devices and every held one poll again. */
  static final long POLL_EXPIRY_MS = 60_000;
  static final long MEAN_ABSENCE_MS = 10 * 60_000;
  static final int WAKE_BATCH = 64;
  /** The simulation stops after this much virtual time, done or not. */
  static final long VIRTUAL_LIMIT_MS = Duration.ofDays(60).toMillis();
  /** Events per commit (see {@link #loop}). */
  static final int COMMIT_EVERY = 4096;
  /** How often a device computing a replica asks whether it is still wanted. */
  static final long CHECK_EVERY_MS = 30_000;

  /** What to simulate. */
  public record Config(int devices, int units, double cheaters, long seed, double churn, Path dir, boolean quiet,
      TrustPolicy policy, int knownAnswers, long sweepEveryMs, Duration silentAfter, boolean fastestFirst) {
    public Config(int devices, int units, double cheaters, long seed, double churn, Path dir, boolean quiet,
        TrustPolicy policy, int knownAnswers) {
      this(devices, units, cheaters, seed, churn, dir, quiet, policy, knownAnswers, SWEEP_EVERY_MS,
          Heartbeats.DEFAULT_SILENT_AFTER, true);
    }

    public Config(int devices, int units, double cheaters, long seed, double churn, Path dir, boolean quiet) {
      this(devices, units, cheaters, seed, churn, dir, quiet, TrustPolicy.defaults());
    }

    public Config(int devices, int units, double cheaters, long seed, double churn, Path dir, boolean quiet,
        TrustPolicy policy) {
      this(devices, units, cheaters, seed, churn, dir, quiet, policy, 0);
    }

    public Config {
      if (knownAnswers < 0 || knownAnswers > 1000) {
        throw new IllegalArgumentException("--known-answers must be between 0 and 1000, got " + knownAnswers);
      }
      if (devices < 4) {
        throw new IllegalArgumentException("--devices must be at least 4, got " + devices);
      }
      if (units < 1) {
        throw new IllegalArgumentException("--units must be at least 1, got " + units);
      }
      if (cheaters < 0 || cheaters > 0.5) {
        throw new IllegalArgumentException("--cheaters must be between 0 and 0.5, got " + cheaters);
      }
      if (churn < 0 || churn > 0.5) {
        throw new IllegalArgumentException("--churn must be between 0 and 0.5, got " + churn);
      }
      if (sweepEveryMs < 1000 || POLL_EXPIRY_MS % sweepEveryMs != 0) {
        throw new IllegalArgumentException("--sweep-every must be a whole number of seconds that divides "
            + POLL_EXPIRY_MS / 1000 + ", got " + sweepEveryMs / 1000.0);
      }
      if (silentAfter.toMillis() < 2 * CHECK_EVERY_MS) {
        throw new IllegalArgumentException("--silent-after must be at least two of a device's asks ("
            + 2 * CHECK_EVERY_MS / 1000 + " s), got " + silentAfter.toSeconds());
      }
    }
  }

  /** The outcome; {@link #toJson} is the one line the CLI ends with. */
  public record Result(long wrongAccepted, double replicationFactor, double replicationAfterWarmup,
      double makespanEfficiency, int quarantined, int units, int devices, int cheaters, int cheatersQuarantined,
      double computeEfficiency, long unitsFailed, long results, long knownAnswerChecks, long idleAudits, long churnLosses,
      long calledOff, long virtualSeconds, double wallSeconds, String jobState) {

    public String toJson() {
      return String.format(Locale.ROOT, "{\"wrongAccepted\":%d,\"replicationFactor\":%.4f,"
              + "\"replicationAfterWarmup\":%.4f,\"makespanEfficiency\":%.4f,\"quarantined\":%d,\"units\":%d,"
              + "\"devices\":%d,\"cheaters\":%d,\"cheatersQuarantined\":%d,\"computeEfficiency\":%.4f,\"unitsFailed\":%d,\"results\":%d,"
              + "\"knownAnswerChecks\":%d,\"idleAudits\":%d,\"churnLosses\":%d,\"calledOff\":%d,\"virtualSeconds\":%d,"
              + "\"wallSeconds\":%.1f,\"jobState\":\"%s\"}",
          wrongAccepted, replicationFactor, replicationAfterWarmup, makespanEfficiency, quarantined, units, devices,
          cheaters, cheatersQuarantined, computeEfficiency, unitsFailed, results, knownAnswerChecks, idleAudits, churnLosses,
          calledOff, virtualSeconds, wallSeconds, jobState);
    }
  }

  private static final class Device {
    final int index;
    final String id;
    final Behaviour behaviour;
    final double speed;
    int honestResults;
    int outstanding;
    long absentMs;
    long idleSeq;
    int tier;

    Device(int index, Behaviour behaviour, double speed) {
      this.index = index;
      this.id = "d" + index;
      this.behaviour = behaviour;
      this.speed = speed;
    }
  }

  /** An event: the device polls (no work), returns {@code work}, or drops it ({@code drop}: it was called off). */
  private record Event(long at, long seq, Device device, Scheduler.Issued work, boolean drop) {
    Event(long at, long seq, Device device, Scheduler.Issued work) {
      this(at, seq, device, work, false);
    }
  }

  /** A replica a device is computing: when it started, when it will be done. */
  private record Flight(Device device, Scheduler.Issued work, long started, long done) {}

  private final Config config;
  private final SplittableRandom random;
  private final VirtualClock clock = new VirtualClock();
  /** Who asks about its work: devices computing ask every {@link #CHECK_EVERY_MS} (see heardUntil). */
  private final Heartbeats heartbeats;
  private final PriorityQueue<Event> events =
      new PriorityQueue<>(Comparator.comparingLong(Event::at).thenComparingLong(Event::seq));
  /**
   * Idle devices in the order a wake tries them, as the coordinator's long poll does: the tier of
   * their measured pace ({@link Scheduler#paceTier}), then the order they went idle
   * ({@code --wake-order arrival}: that order alone).
   */
  private final PriorityQueue<Device> idle;
  private long idleSeq;
  /** Replicas being computed, by assignment id (a called-off one is dropped at the device's next check). */
  private final Map<String, Flight> inFlight = new HashMap<>();
  /** Replicas dropped by their device; their return events do nothing. */
  private final Set<String> dropped = new HashSet<>();
  private long calledOff;
  /** Units' worth of work honest devices computed on replicas they then dropped (called off). */
  private double honestDropped;
  /** Devices held back until a verdict, by id, in the order they were held (a seed fixes the run). */
  private final Map<String, Device> held = new LinkedHashMap<>();
  private final List<Device> fleet = new ArrayList<>();
  private long seq;
  private boolean workAppeared;
  private Engine engine;
  private String jobId;

  private long results;
  private long honestResults;
  private long knownAnswers;
  private long audits;
  private long churnLosses;
  private long retired;
  private long warmupResults = -1;
  private long warmupValid;
  private long nextWarmupCheck;

  public FleetSimulator(Config config) {
    this.config = config;
    this.heartbeats = new Heartbeats(config.silentAfter());
    this.idle = new PriorityQueue<>(Comparator.<Device>comparingInt(d -> config.fastestFirst() ? d.tier : 0)
        .thenComparingLong(d -> d.idleSeq));
    this.random = new SplittableRandom(config.seed());
  }

  public static void main(String[] args) throws IOException {
    Config config;
    try {
      config = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println("usage: java -jar idlegrid-simulator.jar --devices N --units U [--cheaters 0.2] [--seed 1] "
          + "[--churn 0.05] [--trust-threshold 10] [--k 2] [--pmin 0.05] [--idle-audits on|off] [--known-answers N] "
          + "[--backup-after 1 (0 = off)] [--risk-budget 0.03125] [--vouch-streak 1 (0 = off)] [--call-off on|off] "
          + "[--sweep-every 5] [--silent-after 120] [--wake-order fastest|arrival] [--endgame-wait 0.25 (1 = off)] "
          + "[--dir DIR] [--quiet]");
      System.exit(2);
      return;
    }
    Result r = new FleetSimulator(config).run();
    System.out.println(r.toJson());
  }

  static Config parse(String[] args) {
    int devices = 1000;
    int units = 20_000;
    double cheaters = 0.2;
    long seed = 1;
    double churn = 0.05;
    Path dir = null;
    boolean quiet = false;
    TrustPolicy d = TrustPolicy.defaults();
    int threshold = d.trustThreshold();
    double k = d.k();
    double pMin = d.pMin();
    boolean audits = d.idleAudits();
    double backupAfter = d.backupAfter();
    double riskBudget = d.riskBudget();
    int vouchStreak = d.vouchStreak();
    boolean callOff = d.callOff();
    double endgameWait = d.endgameWait();
    int knownAnswers = 0;
    long sweepEveryMs = SWEEP_EVERY_MS;
    Duration silentAfter = Heartbeats.DEFAULT_SILENT_AFTER;
    boolean fastestFirst = true;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--quiet")) {
        quiet = true;
        continue;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + " needs a value");
      }
      String v = args[++i];
      try {
        switch (a) {
          case "--devices" -> devices = Integer.parseInt(v);
          case "--units" -> units = Integer.parseInt(v);
          case "--cheaters" -> cheaters = Double.parseDouble(v);
          case "--seed" -> seed = Long.parseLong(v);
          case "--churn" -> churn = Double.parseDouble(v);
          case "--dir" -> dir = Path.of(v);
          case "--trust-threshold" -> threshold = Integer.parseInt(v);
          case "--k" -> k = Double.parseDouble(v);
          case "--pmin" -> pMin = Double.parseDouble(v);
          case "--known-answers" -> knownAnswers = Integer.parseInt(v);
          case "--backup-after" -> backupAfter = Double.parseDouble(v);
          case "--risk-budget" -> riskBudget = Double.parseDouble(v);
          case "--vouch-streak" -> vouchStreak = Integer.parseInt(v);
          case "--endgame-wait" -> endgameWait = Double.parseDouble(v);
          case "--call-off" -> callOff = switch (v) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--call-off must be on or off, got " + v);
          };
          case "--sweep-every" -> sweepEveryMs = Math.round(Double.parseDouble(v) * 1000);
          case "--silent-after" -> silentAfter = Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
          case "--wake-order" -> fastestFirst = switch (v) {
            case "fastest" -> true;
            case "arrival" -> false;
            default -> throw new IllegalArgumentException("--wake-order must be fastest or arrival, got " + v);
          };
          case "--idle-audits" -> audits = switch (v) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--idle-audits must be on or off, got " + v);
          };
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(a + " must be a number, got " + v);
      }
    }
    TrustPolicy policy = new TrustPolicy(threshold, k, pMin, d.knownAnswerShare(), d.quarantineMinSample(),
        d.quarantineInvalidRate(), d.failureMinSample(), d.quarantineFailureRate(), d.networkPlacement(),
        d.trustedPeerShare(), audits, backupAfter, riskBudget, vouchStreak, callOff, d.endgameShare(), endgameWait);
    return new Config(devices, units, cheaters, seed, churn, dir, quiet, policy, knownAnswers, sweepEveryMs,
        silentAfter, fastestFirst);
  }

  private void log(String fmt, Object... args) {
    if (!config.quiet()) {
      System.err.printf(Locale.ROOT, fmt + "%n", args);
    }
  }

  /** Runs the simulation to the job's end; the store lives in a temp folder removed afterwards (unless --dir). */
  public Result run() throws IOException {
    Path dir = config.dir() != null ? Files.createDirectories(config.dir()) : Files.createTempDirectory("idlegrid-sim");
    long wallStart = System.nanoTime();
    try (Store store = SqliteStore.openUnsynchronized(dir.resolve("sim.db"))) {
      engine = Engine.create(store, new BlobStore(dir.resolve("blobs")), Ed25519.generate(), clock,
          ASSIGNMENT_TIMEOUT, config.policy(), new SplittableRandom(config.seed() * 31 + 7),
          () -> workAppeared = true, new Validator.Listener() {
            @Override
            public void judged(String deviceId) {
              FleetSimulator.this.judged(deviceId);
            }

            @Override
            public void calledOff(Rows.Assignment assignment) {
              FleetSimulator.this.calledOff(assignment.id());
            }
          }, heartbeats);
      setUp(store);
      log("simulating %d devices (%d cheaters), %d units", config.devices(), cheaterCount(), config.units());
      loop(store);
      return measure(store, (System.nanoTime() - wallStart) / 1e9);
    } finally {
      if (config.dir() == null) {
        TempDirs.deleteTree(dir);
      }
    }
  }

  private int cheaterCount() {
    return (int) Math.round(config.devices() * config.cheaters());
  }

  private void setUp(Store store) {
    int cheaters = cheaterCount();
    Instant now = clock.instant();
    String modelId = "sha256:" + "5".repeat(64);
    jobId = "sim-job";
    store.transaction(tx -> {
      for (int i = 0; i < config.devices(); i++) {
        Behaviour b = i < cheaters ? Behaviour.CHEATS[i % Behaviour.CHEATS.length] : Behaviour.HONEST;
        double speed = Math.min(5, Math.max(0.2, Math.exp(random.nextDouble() * 1.0 - 0.5 + gaussian() * 0.3)));
        Device d = new Device(i, b, speed);
        fleet.add(d);
        String owner = "owner-" + i;
        String network = "v4:" + random.nextInt(256) + "." + random.nextInt(256) + "." + random.nextInt(256) + ".0/24";
        if (b == Behaviour.COLLUDE_OWNER && (i / Behaviour.CHEATS.length) % 2 == 1) {
          // pairs: this device shares owner and network with the previous colluder of its kind
          owner = "owner-" + (i - Behaviour.CHEATS.length);
          network = "v4:net-of-" + owner;
        } else if (b == Behaviour.COLLUDE_OWNER) {
          network = "v4:net-of-" + owner;
        }
        tx.insertDevice(new Rows.Device(d.id, "token-" + i, "pk", d.id, owner, "owner:" + owner, null, "[]",
            DeviceState.ACTIVE, null, now, now, 0, 0, 0, 0));
        tx.setDeviceNetwork(d.id, network);
        tx.setDevicePlatform(d.id, "{\"OnnxRuntime\":\"1.21.0\"}", "OnnxRuntime=1.21.0;linux/amd64");
      }
      if (tx.model(modelId).isEmpty()) {
        tx.insertModel(new Rows.Model(modelId, "sim", "OnnxRuntime", 1, "ONNX", "{\"kind\":\"any\",\"inputs\":[]}",
            "sim", now));
      }
      tx.insertJob(new Rows.Job(jobId, 0, "sim", "sim", modelId, "6".repeat(64), config.units(), 1, 0, 2, 2, 8,
          "{\"mode\":\"allclose\",\"atol\":1.0E-4,\"rtol\":0.001}", JobState.QUEUED, now, null, null, true, false));
      long jobSeq = tx.job(jobId).orElseThrow().seq();
      List<Rows.Unit> batch = new ArrayList<>(1000);
      for (int u = 0; u < config.units(); u++) {
        batch.add(new Rows.Unit(jobId + "-u" + u, jobId, u, u, u + 1, 0, 1, UnitState.PENDING, 0, jobSeq, modelId, 2,
            null));
        if (batch.size() == 1000) {
          tx.insertUnits(batch);
          batch.clear();
        }
      }
      tx.insertUnits(batch);
      // known answers supplied with the job: records outside the job (truth index units + k)
      for (int k = 0; k < config.knownAnswers(); k++) {
        tx.insertKnownAnswer(new Rows.Unit(jobId + "-u" + (config.units() + k), jobId, -1 - k, 0, 1, 0, 0,
            UnitState.VALID, 0, jobSeq, modelId, 0, "[{\"y\":[" + truth(config.units() + k) + "]}]"),
            "{\"x\":" + (config.units() + k) + "}", now);
      }
      return null;
    });
    for (Device d : fleet) {
      schedule(random.nextLong(60_000), d, null); // first polls spread over a minute
    }
    events.add(new Event(config.sweepEveryMs(), seq++, null, null));
  }

  private double gaussian() {
    // Box-Muller, from the run's own generator so that a seed fixes the run
    double u1 = Math.max(1e-12, random.nextDouble());
    double u2 = random.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  private void schedule(long at, Device d, Scheduler.Issued work) {
    events.add(new Event(at, seq++, d, work));
  }

  private void loop(Store store) {
    long nextReport = System.nanoTime() + 10_000_000_000L;
    boolean running = true;
    while (running) {
      // events run in groups of COMMIT_EVERY inside one outer transaction (the store's
      // transactions nest): the engine's own transactions join it and one commit writes what
      // they changed. The engine's code and order of work are unchanged; see the class comment.
      running = store.transaction(tx -> {
        for (int i = 0; i < COMMIT_EVERY; i++) {
          if (events.isEmpty() || !step(store)) {
            return false;
          }
        }
        return true;
      });
      if (System.nanoTime() > nextReport) {
        nextReport = System.nanoTime() + 10_000_000_000L;
        log("  t=%ds virtual, %d results, %d events queued, %d idle, %d held, %d quarantined devices gone",
            clock.elapsed() / 1000, results, events.size(), idle.size(), held.size(), retired);
      }
    }
  }

  /** Runs the next event; false once the simulation is over. */
  private boolean step(Store store) {
    Event e = events.poll();
    if (e.at() > VIRTUAL_LIMIT_MS) {
      log("stopped: 60 virtual days passed");
      return false;
    }
    clock.set(e.at());
    if (e.device() == null) { // the periodic deadline sweep
      engine.transitioner().sweepDeadlines();
      if (e.at() % POLL_EXPIRY_MS == 0) {
        // some waiting devices' long polls ran out: they poll again (and may find a straggler to
        // back up, which no wake announces); then the sweep's own signals are served. (Taken in
        // the wake's order, a simplification: in the coordinator they are those whose time ran out.)
        wake(WAKE_BATCH);
        for (Device d : held.values()) {
          schedule(clock.elapsed(), d, null);
        }
        held.clear();
        serveIdle();
      } else if (workAppeared) {
        serveIdle(); // what the sweep itself found (timeouts, silent devices, overdue units)
      }
      if (jobFinal(store)) {
        return false;
      }
      events.add(new Event(e.at() + config.sweepEveryMs(), seq++, null, null));
      return true;
    }
    if (e.drop()) {
      if (--e.device().outstanding == 0) {
        poll(e.device());
      }
    } else if (e.work() == null) {
      poll(e.device());
    } else if (dropped.remove(e.work().row().id())) {
      return true; // dropped at a check before it was done
    } else if (deliver(e.device(), e.work()) && jobFinal(store)) {
      return false;
    }
    if (workAppeared) {
      serveIdle();
    }
    return true;
  }

  /**
   * Work appeared: as the long poll's wake does (WorkWaiters), idle devices poll at once, in the
   * order they went idle, while the scheduler has work, until {@link #WAKE_BATCH} in a row got
   * nothing (the work left is not for them; they go to the back).
   */
  private void serveIdle() {
    workAppeared = false;
    int misses = 0;
    List<Device> missed = new ArrayList<>();
    for (int n = idle.size(); n > 0 && misses < WAKE_BATCH && engine.scheduler().hasWork(); n--) {
      Device d = idle.poll();
      boolean got = poll(d, missed);
      misses = got ? 0 : misses + 1;
    }
    for (Device d : missed) {
      toIdle(d);
    }
  }

  /** One of the device's results was graded: if it is held back, it polls now. */
  private void judged(String deviceId) {
    Device d = held.remove(deviceId);
    if (d != null) {
      schedule(clock.elapsed(), d, null);
    }
  }

  /**
   * A replica the device is computing was called off: the device learns it at its next check
   * ({@link #CHECK_EVERY_MS} after it started, and every as long after), drops it and polls; one
   * that would finish before that returns its result, which is refused.
   */
  private void calledOff(String assignmentId) {
    calledOff++;
    Flight f = inFlight.get(assignmentId);
    if (f == null) {
      return; // its device left in the middle: nobody computes it
    }
    long now = clock.elapsed();
    long notice = f.started() + ((now - f.started()) / CHECK_EVERY_MS + 1) * CHECK_EVERY_MS;
    if (notice < f.done()) {
      if (f.device().behaviour == Behaviour.HONEST) {
        // the part it computed before it dropped the replica was capacity used, as a result is
        honestDropped += (double) (notice - f.started()) / (f.done() - f.started());
      }
      inFlight.remove(assignmentId);
      dropped.add(assignmentId);
      events.add(new Event(notice, seq++, f.device(), f.work(), true));
    }
  }

  private void wake(int n) {
    for (int i = 0; i < n && !idle.isEmpty(); i++) {
      schedule(clock.elapsed(), idle.poll(), null);
    }
  }

  private boolean jobFinal(Store store) {
    JobState s = store.transaction(tx -> tx.job(jobId).orElseThrow().state());
    return s.isFinal();
  }

  /** The device waits idle, behind those of its tier that went idle before it. */
  private void toIdle(Device d) {
    d.idleSeq = idleSeq++;
    idle.add(d);
  }

  /** The device asks for work; true if it got some (false: it is idle again, or gone for good). */
  private boolean poll(Device d) {
    return poll(d, null);
  }

  /**
   * As {@link #poll(Device)}; a device that got nothing and stays idle goes to {@code missed}
   * (when given) rather than back to the idle queue, so that one wake tries it only once, as the
   * coordinator's wake tries a snapshot of its waiters.
   */
  private boolean poll(Device d, List<Device> missed) {
    if (d.outstanding > 0) {
      return false;
    }
    List<Scheduler.Issued> got = engine.scheduler().claimRows(d.id, 1, null);
    if (got.isEmpty()) {
      Scheduler.Waiting waiting = engine.scheduler().waiting(d.id);
      d.tier = waiting.tier();
      if (waiting.forVerdict()) {
        held.put(d.id, d);
        return false;
      }
      // the coordinator answers a quarantined (or banned) device's poll at once with nothing and
      // never wakes it for new work; nobody releases it here, so it leaves the fleet for good
      // rather than being woken with the idle devices again and again
      if (engine.store().transaction(tx -> tx.claimant(d.id)).map(c -> c.state() == DeviceState.ACTIVE)
          .orElse(false)) {
        if (missed != null) {
          missed.add(d);
        } else {
          toIdle(d);
        }
      } else {
        retired++;
      }
      return false;
    }
    heartbeats.polled(d.id, clock.millis(), CHECK_EVERY_MS); // its client says it asks every 30 s
    long unitTime = (long) (UNIT_WORK_MS / d.speed * (0.9 + 0.2 * random.nextDouble()));
    if (d.behaviour == Behaviour.LAZY_ZEROS) {
      unitTime = Math.max(1000, unitTime / 20);
    }
    // churn in time: online spells last UNIT_WORK_MS / churn on average (20 min at 0.05), so a
    // device leaves during a unit of this length with probability 1 - exp(-unitTime / spell)
    double spell = config.churn() <= 0 ? Double.POSITIVE_INFINITY : UNIT_WORK_MS / config.churn();
    if (random.nextDouble() < 1 - Math.exp(-unitTime * got.size() / spell)) {
      // leaves in the middle of the unit and comes back later; its assignments are left to time out
      churnLosses += got.size();
      heardUntil(d, unitTime / 2); // it asked about its work until it left
      long absence = (long) (-Math.log(1 - random.nextDouble()) * MEAN_ABSENCE_MS);
      d.absentMs += absence;
      schedule(clock.elapsed() + unitTime / 2 + absence, d, null);
      return true;
    }
    heardUntil(d, unitTime * got.size());
    // a known-answer check may come beside the unit: the device computes both, one after the other
    long at = clock.elapsed();
    for (Scheduler.Issued work : got) {
      if (work.row().kind() == AssignmentKind.KNOWN_ANSWER) {
        knownAnswers++;
      } else if (work.row().kind() == AssignmentKind.AUDIT) {
        audits++;
      }
      inFlight.put(work.row().id(), new Flight(d, work, at, at + unitTime));
      at += unitTime;
      d.outstanding++;
      schedule(at, d, work);
    }
    return true;
  }

  /**
   * The device computes for {@code ms} from now, asking about its work every
   * {@link #CHECK_EVERY_MS} as the client does: its asks are registered at once, the last one
   * dated when it will be made (Heartbeats takes the latest time it is told). A device that stops
   * within the first interval asks nothing.
   */
  private void heardUntil(Device d, long ms) {
    if (ms >= CHECK_EVERY_MS) {
      heartbeats.asked(d.id, clock.millis() + ms / CHECK_EVERY_MS * CHECK_EVERY_MS);
    }
  }

  /** Returns a result and validates its unit; true if it was taken. */
  private boolean deliver(Device d, Scheduler.Issued work) {
    inFlight.remove(work.row().id());
    int idx = work.unit().idx();
    // a supplied known answer (idx < 0) is record units + k of the simulated truth
    String outputs = compute(d, idx >= 0 ? idx : config.units() - 1 - idx);
    long elapsed = (long) (UNIT_WORK_MS / d.speed);
    Transitioner.Outcome o = engine.transitioner().recordResult(d.id, work.row().id(), outputs, elapsed, null);
    if (o.done()) {
      results++;
      if (d.behaviour == Behaviour.HONEST) {
        honestResults++;
      }
      if (o.toValidate()) {
        engine.validator().validate(o.unitId());
      }
    }
    if (--d.outstanding == 0) {
      schedule(clock.elapsed(), d, null);
    }
    if (warmupResults < 0 && results >= nextWarmupCheck) {
      nextWarmupCheck = results + Math.max(100, config.units() / 50);
      int valid = engine.store().transaction(tx -> tx.unitsValid(jobId));
      if (valid >= config.units() / 2) {
        warmupResults = results;
        warmupValid = valid;
      }
    }
    return o.done();
  }

  /** The true output of unit {@code idx}. */
  static double truth(int idx) {
    return Math.sin(idx * 0.37) * 10 + 1;
  }

  private String compute(Device d, int idx) {
    double t = truth(idx);
    double v = switch (d.behaviour) {
      case HONEST -> t + gaussian() * 1e-7;
      case RANDOM -> random.nextDouble() * 20 - 10;
      case CONSTANT -> 42.0;
      case LAZY_ZEROS -> 0.0;
      case INTERMITTENT -> {
        // honest until it has surely earned trust, then wrong half the time
        if (d.honestResults < 3 * config.policy().trustThreshold() || random.nextBoolean()) {
          d.honestResults++;
          yield t + gaussian() * 1e-7;
        }
        yield t + 3;
      }
      case COLLUDE_OWNER -> t * 2 + 5;
      case COLLUDE_ACROSS -> -t - 7;
    };
    return "[{\"y\":[" + v + "]}]";
  }

  private Result measure(Store store, double wall) {
    long wrong = 0;
    long failed = 0;
    int from = 0;
    while (true) {
      int start = from;
      List<Rows.Unit> page = store.transaction(tx -> tx.units(jobId, start, 2000));
      if (page.isEmpty()) {
        break;
      }
      for (Rows.Unit u : page) {
        if (u.state() == UnitState.VALID) {
          double y = Json.tree(u.canonicalJson()).get(0).get("y").get(0).asDouble();
          double t = truth(u.idx());
          if (Math.abs(y - t) > 1e-4 + 1e-3 * Math.abs(t)) {
            wrong++;
          }
        } else if (u.state() == UnitState.FAILED) {
          failed++;
        }
      }
      from = page.get(page.size() - 1).idx() + 1;
    }
    int quarantined = 0;
    int cheatersQuarantined = 0;
    for (Rows.Device row : store.transaction(Store.Tx::devices)) {
      if (row.state() == DeviceState.QUARANTINED) {
        quarantined++;
        int i = Integer.parseInt(row.id().substring(1));
        if (fleet.get(i).behaviour != Behaviour.HONEST) {
          cheatersQuarantined++;
        }
      }
    }
    // the ideal: each unit computed once by the honest devices at full speed while online (the
    // expected online share of the churn model: spell / (spell + absence))
    double actual = Math.max(1, clock.elapsed());
    double spell = config.churn() <= 0 ? Double.POSITIVE_INFINITY : UNIT_WORK_MS / config.churn();
    double online = Double.isInfinite(spell) ? 1 : spell / (spell + MEAN_ABSENCE_MS);
    double capacity = online * fleet.stream().filter(d -> d.behaviour == Behaviour.HONEST)
        .mapToDouble(d -> d.speed).sum();
    double ideal = config.units() * (double) UNIT_WORK_MS / capacity;
    // the same ideal for the results the honest devices actually returned (replicas, checks,
    // audits, backups) and the part of called-off replicas they computed before they dropped
    // them: how well the schedule used the capacity, whatever the verification cost
    double scheduled = ideal * (honestResults + honestDropped) / config.units();
    double afterWarmup = warmupResults < 0 || config.units() - warmupValid <= 0 ? Double.NaN
        : (double) (results - warmupResults) / (config.units() - warmupValid);
    JobState state = store.transaction(tx -> tx.job(jobId).orElseThrow().state());
    return new Result(wrong, (double) results / config.units(), afterWarmup, Math.min(1, scheduled / actual),
        quarantined, config.units(), config.devices(), cheaterCount(), cheatersQuarantined, Math.min(1, ideal / actual),
        failed, results, knownAnswers, audits,
        churnLosses, calledOff, clock.elapsed() / 1000, wall, state.name());
  }
}
