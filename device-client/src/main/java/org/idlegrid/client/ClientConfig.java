package org.idlegrid.client;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.idlegrid.client.eligibility.Eligibility;
import org.idlegrid.client.eligibility.Preferences;
import org.idlegrid.client.probe.EnergyMeter;
import org.idlegrid.client.net.Backoff;
import org.idlegrid.client.runner.ModelRunner;

/**
 * Everything a {@link DeviceClient} needs, validated when built ({@link Builder#build()} names
 * the field and the rule it breaks). Only {@code coordinator} and {@code stateDir} are required.
 *
 * @param coordinator the coordinator's base URL (http or https)
 * @param stateDir the client's folder: key, enrollment, model cache, outbox, status
 * @param eligibility when work may run (the {@code paused} flag is added by the client)
 * @param policyName the policy's name, for the status and logs
 * @param name the device's name (default: the host name)
 * @param owner the owner (default: unique to this device, so two local clients never count as one owner)
 * @param enrollmentToken an admin-issued enrollment token, if the coordinator requires one
 * @param slots how many assignments run at once
 * @param threads ONNX Runtime intra-op threads (0: its default)
 * @param pollWait how long the coordinator may hold a work request
 * @param checkInterval how often eligibility is checked while waiting and while a unit runs (≤ 1 s)
 * @param statusInterval how often status.json is rewritten when nothing changes
 * @param stillWantedInterval how often a running unit's assignment is checked with the coordinator
 *     (a unit it no longer wants, cancelled or called off, stops at once; default 30 s)
 * @param minPollInterval the least time between two work requests (no busy polling)
 * @param backoff the wait between retries
 * @param deliveryAttempts attempts per result upload before it waits in the outbox for the next round
 * @param clock the time for deadlines and the status
 * @param preferences the owner's preferences (idle minutes, battery floor, caps, hours...)
 * @param energy the energy meter for results' {@code energyJ} (RAPL where readable)
 * @param runnerIdleRelease how long without work before the inference runtime's models are released
 * @param runnerWrapper wraps the model runner (instrumentation, and tests that need a device
 *     that misbehaves on purpose); the identity by default
 */
public record ClientConfig(
    URI coordinator,
    Path stateDir,
    Eligibility eligibility,
    String policyName,
    String name,
    String owner,
    String enrollmentToken,
    int slots,
    int threads,
    Duration pollWait,
    Duration checkInterval,
    Duration statusInterval,
    Duration stillWantedInterval,
    Duration minPollInterval,
    Backoff backoff,
    int deliveryAttempts,
    Clock clock,
    Preferences preferences,
    EnergyMeter energy,
    Duration runnerIdleRelease,
    UnaryOperator<ModelRunner> runnerWrapper) {

  public static final String DEFAULT_POLICY = "idle-and-charging";

  public static Builder builder(URI coordinator, Path stateDir) {
    return new Builder(coordinator, stateDir);
  }

  public Builder toBuilder() {
    Builder b = new Builder(coordinator, stateDir);
    b.eligibility = eligibility;
    b.policyName = policyName;
    b.name = name;
    b.owner = owner;
    b.enrollmentToken = enrollmentToken;
    b.slots = slots;
    b.threads = threads;
    b.pollWait = pollWait;
    b.checkInterval = checkInterval;
    b.statusInterval = statusInterval;
    b.stillWantedInterval = stillWantedInterval;
    b.minPollInterval = minPollInterval;
    b.backoff = backoff;
    b.deliveryAttempts = deliveryAttempts;
    b.clock = clock;
    b.preferences = preferences;
    b.energy = energy;
    b.runnerIdleRelease = runnerIdleRelease;
    b.runnerWrapper = runnerWrapper;
    b.customEligibility = !policyName.equals("always") && !policyName.equals(DEFAULT_POLICY);
    return b;
  }

  public static final class Builder {
    private final URI coordinator;
    private final Path stateDir;
    private Eligibility eligibility;
    private String policyName = DEFAULT_POLICY;
    private String name;
    private String owner;
    private String enrollmentToken;
    private int slots = 1;
    private Integer threads;
    private Preferences preferences = Preferences.defaults();
    private EnergyMeter energy = EnergyMeter.system();
    private Duration runnerIdleRelease = Duration.ofMinutes(5);
    private UnaryOperator<ModelRunner> runnerWrapper =
        UnaryOperator.identity();
    private boolean customEligibility;
    private Duration pollWait = Duration.ofSeconds(20);
    private Duration checkInterval = Duration.ofSeconds(1);
    private Duration statusInterval = Duration.ofSeconds(30);
    private Duration stillWantedInterval = Duration.ofSeconds(30);
    private Duration minPollInterval = Duration.ofSeconds(1);
    private Backoff backoff = Backoff.standard();
    private int deliveryAttempts = 5;
    private Clock clock = Clock.systemUTC();

    private Builder(URI coordinator, Path stateDir) {
      this.coordinator = coordinator;
      this.stateDir = stateDir;
    }

    /** {@code idle-and-charging} (default) or {@code always}. */
    public Builder policy(String policy) {
      this.policyName = Eligibility.checkName(policy);
      this.eligibility = null;
      this.customEligibility = false;
      return this;
    }

    /** A custom eligibility (tests: {@link org.idlegrid.client.eligibility.ManualEligibility}). */
    public Builder eligibility(Eligibility eligibility) {
      this.eligibility = eligibility;
      this.policyName = "custom";
      this.customEligibility = true;
      return this;
    }

    /** The owner's preferences (default: {@link Preferences#defaults()}). */
    public Builder preferences(Preferences preferences) {
      this.preferences = preferences;
      return this;
    }

    public Builder energy(EnergyMeter energy) {
      this.energy = energy;
      return this;
    }

    /** Wraps the model runner: for instrumentation, and for tests of devices that cheat. */
    public Builder runnerWrapper(UnaryOperator<ModelRunner> w) {
      this.runnerWrapper = w;
      return this;
    }

    public Builder runnerIdleRelease(Duration d) {
      this.runnerIdleRelease = d;
      return this;
    }

    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder owner(String owner) {
      this.owner = owner;
      return this;
    }

    public Builder enrollmentToken(String token) {
      this.enrollmentToken = token;
      return this;
    }

    public Builder slots(int slots) {
      this.slots = slots;
      return this;
    }

    /** ONNX Runtime threads (overrides the preferences' {@code threads}). */
    public Builder threads(int threads) {
      this.threads = threads;
      return this;
    }

    public Builder pollWait(Duration d) {
      this.pollWait = d;
      return this;
    }

    public Builder checkInterval(Duration d) {
      this.checkInterval = d;
      return this;
    }

    public Builder statusInterval(Duration d) {
      this.statusInterval = d;
      return this;
    }

    public Builder stillWantedInterval(Duration d) {
      this.stillWantedInterval = d;
      return this;
    }

    public Builder minPollInterval(Duration d) {
      this.minPollInterval = d;
      return this;
    }

    public Builder backoff(Backoff backoff) {
      this.backoff = backoff;
      return this;
    }

    public Builder deliveryAttempts(int n) {
      this.deliveryAttempts = n;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public ClientConfig build() {
      if (coordinator == null) {
        throw new IllegalArgumentException("coordinator: required (for example http://localhost:8080)");
      }
      String scheme = coordinator.getScheme();
      if (!coordinator.isAbsolute() || coordinator.getHost() == null
          || !("http".equals(scheme) || "https".equals(scheme))) {
        throw new IllegalArgumentException("coordinator: must be an http:// or https:// URL with a host, got " + coordinator);
      }
      if (coordinator.getQuery() != null || coordinator.getFragment() != null) {
        throw new IllegalArgumentException("coordinator: must not have a query or fragment, got " + coordinator);
      }
      if (stateDir == null) {
        throw new IllegalArgumentException("stateDir: required (the client's own folder)");
      }
      if (slots < 1 || slots > 64) {
        throw new IllegalArgumentException("slots: must be between 1 and 64, got " + slots);
      }
      Objects.requireNonNull(preferences, "preferences");
      int t = threads != null ? threads : preferences.threads();
      if (t < 0 || t > 1024) {
        throw new IllegalArgumentException("threads: must be between 0 (engine default) and 1024, got " + t);
      }
      positive("runnerIdleRelease", runnerIdleRelease);
      positive("pollWait", pollWait);
      if (pollWait.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("pollWait: must be at most 5 minutes, got " + pollWait);
      }
      positive("checkInterval", checkInterval);
      if (checkInterval.compareTo(Duration.ofSeconds(1)) > 0) {
        throw new IllegalArgumentException("checkInterval: must be at most 1 s (the owner's promise), got " + checkInterval);
      }
      positive("statusInterval", statusInterval);
      positive("stillWantedInterval", stillWantedInterval);
      positive("minPollInterval", minPollInterval);
      if (deliveryAttempts < 1) {
        throw new IllegalArgumentException("deliveryAttempts: must be at least 1, got " + deliveryAttempts);
      }
      if (name != null && name.isBlank()) {
        throw new IllegalArgumentException("name: must not be blank");
      }
      if (owner != null && owner.isBlank()) {
        throw new IllegalArgumentException("owner: must not be blank");
      }
      Objects.requireNonNull(backoff, "backoff");
      Objects.requireNonNull(clock, "clock");
      Eligibility e = customEligibility && eligibility != null ? eligibility
          : Eligibility.forPolicy(policyName, preferences, clock);
      return new ClientConfig(coordinator, stateDir.toAbsolutePath(), e, policyName, name, owner, enrollmentToken,
          slots, t, pollWait, checkInterval, statusInterval, stillWantedInterval, minPollInterval, backoff,
          deliveryAttempts, clock,
          preferences, energy, runnerIdleRelease, Objects.requireNonNull(runnerWrapper, "runnerWrapper must not be null"));
    }

    private static void positive(String field, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(field + ": must be a positive duration, got " + d);
      }
    }
  }
}
