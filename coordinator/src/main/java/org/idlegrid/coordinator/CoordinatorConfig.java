package org.idlegrid.coordinator;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.random.RandomGenerator;
import org.idlegrid.coordinator.trust.TrustPolicy;

/**
 * Everything a coordinator needs to start, validated when built ({@link Builder#build} throws
 * {@link IllegalArgumentException} naming the field and the rule).
 *
 * @param dataDir folder for the database, blobs, coordinator key and admin key (required)
 * @param host interface to listen on (default 127.0.0.1; the CLI defaults to 0.0.0.0)
 * @param port TCP port, 0 for any free one (default 0)
 * @param enrollment OPEN (default) or TOKEN (an admin-issued single-use token per device)
 * @param assignmentTimeout how long a device has for an assignment (default 10 min)
 * @param maxJsonBytes largest JSON request body (default 16 MiB)
 * @param maxUploadBytes largest model or file upload (default 1 GiB)
 * @param maxWait longest long poll a device may ask for (default 30 s)
 * @param sweepInterval how often deadlines are checked (default 5 s)
 * @param silentAfter how long a device that asks about its work (its client asks every 30 s by
 *     default) may go unheard before its replicas get another slot (default 2 min; see
 *     {@code transitioner.Heartbeats})
 * @param clock the clock for deadlines and timestamps (default UTC system clock); tests inject a fake
 * @param trust adaptive replication, quarantine and placement numbers (default {@link TrustPolicy#defaults})
 * @param random the randomness of spot checks (default: a generator seeded unpredictably, so a
 *     device cannot foresee its checks); tests and the simulator inject a seeded one
 */
public record CoordinatorConfig(
    Path dataDir,
    String host,
    int port,
    Enrollment enrollment,
    Duration assignmentTimeout,
    long maxJsonBytes,
    long maxUploadBytes,
    Duration maxWait,
    Duration sweepInterval,
    Duration silentAfter,
    Clock clock,
    TrustPolicy trust,
    RandomGenerator random) {

  public enum Enrollment { OPEN, TOKEN }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    return new Builder().dataDir(dataDir).host(host).port(port).enrollment(enrollment)
        .assignmentTimeout(assignmentTimeout).maxJsonBytes(maxJsonBytes).maxUploadBytes(maxUploadBytes)
        .maxWait(maxWait).sweepInterval(sweepInterval).silentAfter(silentAfter).clock(clock).trust(trust).random(random);
  }

  public static final class Builder {
    private Path dataDir;
    private String host = "127.0.0.1";
    private int port = 0;
    private Enrollment enrollment = Enrollment.OPEN;
    private Duration assignmentTimeout = Duration.ofMinutes(10);
    private long maxJsonBytes = 16L << 20;
    private long maxUploadBytes = 1L << 30;
    private Duration maxWait = Duration.ofSeconds(30);
    private Duration sweepInterval = Duration.ofSeconds(5);
    private Duration silentAfter = Duration.ofMinutes(2);
    private Clock clock = Clock.systemUTC();
    private TrustPolicy trust = TrustPolicy.defaults();
    private RandomGenerator random;

    public Builder dataDir(Path v) { this.dataDir = v; return this; }
    public Builder host(String v) { this.host = v; return this; }
    public Builder port(int v) { this.port = v; return this; }
    public Builder enrollment(Enrollment v) { this.enrollment = v; return this; }
    public Builder assignmentTimeout(Duration v) { this.assignmentTimeout = v; return this; }
    public Builder maxJsonBytes(long v) { this.maxJsonBytes = v; return this; }
    public Builder maxUploadBytes(long v) { this.maxUploadBytes = v; return this; }
    public Builder maxWait(Duration v) { this.maxWait = v; return this; }
    public Builder sweepInterval(Duration v) { this.sweepInterval = v; return this; }
    public Builder silentAfter(Duration v) { this.silentAfter = v; return this; }
    public Builder clock(Clock v) { this.clock = v; return this; }
    public Builder trust(TrustPolicy v) { this.trust = v; return this; }
    public Builder random(RandomGenerator v) { this.random = v; return this; }

    public CoordinatorConfig build() {
      require(dataDir != null, "dataDir is required");
      require(host != null && !host.isBlank(), "host must not be blank");
      require(port >= 0 && port <= 65535, "port must be between 0 and 65535, got " + port);
      require(enrollment != null, "enrollment must be OPEN or TOKEN");
      require(positive(assignmentTimeout), "assignmentTimeout must be positive, got " + assignmentTimeout);
      require(maxJsonBytes >= 1024, "maxJsonBytes must be at least 1024, got " + maxJsonBytes);
      require(maxUploadBytes >= 1024, "maxUploadBytes must be at least 1024, got " + maxUploadBytes);
      require(positive(maxWait) && maxWait.compareTo(Duration.ofMinutes(5)) <= 0,
          "maxWait must be positive and at most 5 minutes, got " + maxWait);
      require(positive(sweepInterval), "sweepInterval must be positive, got " + sweepInterval);
      require(positive(silentAfter), "silentAfter must be positive, got " + silentAfter);
      require(clock != null, "clock must not be null");
      require(trust != null, "trust must not be null (TrustPolicy.defaults() is the default)");
      RandomGenerator r = random != null ? random
          : new java.security.SecureRandom(); // unpredictable: a device must not foresee its checks
      return new CoordinatorConfig(dataDir, host, port, enrollment, assignmentTimeout, maxJsonBytes, maxUploadBytes,
          maxWait, sweepInterval, silentAfter, clock, trust, r);
    }

    private static boolean positive(Duration d) {
      return d != null && !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }
  }

  @Override
  public String toString() {
    return "CoordinatorConfig[dataDir=" + dataDir + ", host=" + host + ", port=" + port + ", enrollment="
        + enrollment + ", assignmentTimeout=" + assignmentTimeout + "]";
  }
}
