package org.idlegrid.coordinator.store;

import java.time.Instant;

/** The stored rows, one record per table. Times are {@link Instant}s (epoch millis in the DB). */
public final class Rows {
  private Rows() {}

  public record ApiKey(String name, Role role, Instant createdAt) {}

  public record Device(
      String id,
      String tokenHash,
      String publicKey,
      String name,
      String owner,
      String ownerKey,
      String platformJson,
      String enginesJson,
      DeviceState state,
      String stateReason,
      Instant enrolledAt,
      Instant lastSeen,
      long resultsReturned,
      long resultsValid,
      long resultsInvalid,
      double credit) {}

  /** An enrolled device as a request's caller: its id, its key for results, and its state. */
  public record Caller(String id, String publicKey, DeviceState state, String stateReason) {}

  /** {@code format} is ONNX, DJL_ARCHIVE or TORCHSCRIPT; {@code inputSpecJson} an InputSpec as JSON. */
  public record Model(
      String id, String name, String engine, long bytes, String format, String inputSpecJson, String owner,
      Instant createdAt) {}

  /** {@code seq} is assigned by the store on insert (0 before). */
  public record Job(
      String id,
      long seq,
      String owner,
      String name,
      String modelId,
      String inputBlob,
      long recordCount,
      int unitSize,
      int priority,
      int replicas,
      int quorum,
      int maxReplicas,
      String compareJson,
      JobState state,
      Instant createdAt,
      Instant finishedAt,
      String error,
      boolean adaptive,
      boolean homogeneous) {

    /** A job with adaptive replication allowed and no homogeneous redundancy. */
    public Job(String id, long seq, String owner, String name, String modelId, String inputBlob, long recordCount,
        int unitSize, int priority, int replicas, int quorum, int maxReplicas, String compareJson, JobState state,
        Instant createdAt, Instant finishedAt, String error) {
      this(id, seq, owner, name, modelId, inputBlob, recordCount, unitSize, priority, replicas, quorum, maxReplicas,
          compareJson, state, createdAt, finishedAt, error, true, false);
    }
  }

  /**
   * Records {@code [recordStart, recordEnd)} of the job's input, found at bytes
   * {@code [byteStart, byteEnd)} of its JSONL blob. {@code needed}: replicas still to issue.
   */
  public record Unit(
      String id,
      String jobId,
      int idx,
      long recordStart,
      long recordEnd,
      long byteStart,
      long byteEnd,
      UnitState state,
      int priority,
      long jobSeq,
      String modelId,
      int needed,
      String canonicalJson,
      Integer quorum,
      UnitAcceptance acceptance,
      String hrClass) {

    public Unit(String id, String jobId, int idx, long recordStart, long recordEnd, long byteStart, long byteEnd,
        UnitState state, int priority, long jobSeq, String modelId, int needed, String canonicalJson) {
      this(id, jobId, idx, recordStart, recordEnd, byteStart, byteEnd, state, priority, jobSeq, modelId, needed,
          canonicalJson, null, UnitAcceptance.REPLICATED, null);
    }

    /** The unit's own quorum (1 while accepted on trust), else the job's. */
    public int quorumOr(int jobQuorum) {
      return quorum == null ? jobQuorum : quorum;
    }

    public int recordCount() {
      return (int) (recordEnd - recordStart);
    }
  }

  public record Assignment(
      String id,
      String unitId,
      String jobId,
      String deviceId,
      String ownerKey,
      AssignmentState state,
      AssignmentOutcome outcome,
      Instant issuedAt,
      Instant deadline,
      Instant finishedAt,
      String outputsJson,
      Long elapsedMs,
      Double energyJ,
      String reason,
      AssignmentKind kind,
      String network,
      boolean trusted) {

    public Assignment(String id, String unitId, String jobId, String deviceId, String ownerKey, AssignmentState state,
        AssignmentOutcome outcome, Instant issuedAt, Instant deadline, Instant finishedAt, String outputsJson,
        Long elapsedMs, Double energyJ, String reason) {
      this(id, unitId, jobId, deviceId, ownerKey, state, outcome, issuedAt, deadline, finishedAt, outputsJson,
          elapsedMs, energyJ, reason, AssignmentKind.REPLICA, null, false);
    }
  }

  /**
   * A device's trust and placement data (the V2 columns of devices). {@code streak}: consecutive
   * results verified by comparison; {@code network}: its /24 (IPv4) or /48 (IPv6) prefix, null
   * when unknown; {@code platformClass}: engines with versions + os/arch; {@code onTrustRisk}: how
   * much of its work rests on trust alone (V5, see TrustPolicy).
   */
  public record DeviceTrust(
      String deviceId,
      int streak,
      Instant trustedSince,
      Instant lastCheckAt,
      Instant lastFailedAt,
      long checksFailed,
      long resultsErrored,
      long resultsTimedOut,
      String network,
      String engineVersionsJson,
      String platformClass,
      double onTrustRisk) {}

  /** A device and its trust, read together (one row of devices: the work poll needs both). */
  /** What automatic quarantine weighs, in one read: the device's state and its result counts. */
  public record QuarantineCounts(DeviceState state, long resultsReturned, long resultsValid, long resultsInvalid,
      long resultsErrored, long resultsTimedOut) {}

  /**
   * What a work poll needs of its device, in one narrow read (the claim is the hot path): who it
   * is, its state, its trust streak, where it stands for placement, and its pace (its turnaround
   * ÷ the model's wait, {@link Store.Tx#modelWait}; null until measured).
   */
  public record Claimant(String id, String ownerKey, DeviceState state, int streak, String network,
      String platformClass, Double pace) {}

  /**
   * Where a device stands for placement: a unit is offered only if no assignment of it that is
   * out or returned a result went to this device, its owner or (when {@code network} is not null)
   * its network (for a known-answer check: no assignment of it at all); for homogeneous
   * jobs only if the unit's class is unset or {@code platformClass}; with {@code needTrustedPeer}
   * only units with no assignment yet or one held by a device that was trusted when issued.
   */
  public record Placement(String deviceId, String ownerKey, String network, String platformClass,
      boolean needTrustedPeer) {}

  /**
   * How long a unit's replicas, or an audit, are out before they straggle: {@code factor} × the
   * model's wait per unit ({@link Store.Tx#modelWait}), or {@code fallbackMs} before anything is
   * measured; in a job's endgame {@code endgameWait} × that
   * ({@link org.idlegrid.coordinator.trust.TrustPolicy#endgameWait}). A job is in its endgame while
   * its units not yet valid are at most {@code endgameShare} of its units and at most
   * {@code endgameUnits} (the same share of the active fleet: nearly every device is idle).
   */
  public record StraggleWait(double factor, long fallbackMs, double endgameShare, long endgameUnits,
      double endgameWait) {
    /** The same without an endgame. */
    public static StraggleWait noEndgame(double factor, long fallbackMs) {
      return new StraggleWait(factor, fallbackMs, 0, 0, 1);
    }

    /** The wait before any unit of any job straggles, given the cheapest model's wait per unit (0: none measured). */
    public long shortest(double cheapestModelWait, boolean anyEndgame) {
      double scale = anyEndgame ? endgameWait : 1;
      long fallback = (long) (fallbackMs * scale);
      return cheapestModelWait > 0 ? Math.min(fallback, (long) (factor * scale * cheapestModelWait)) : fallback;
    }
  }

  public record LedgerEntry(long seq, String deviceId, String ownerKey, String unitId, String assignmentId,
      double amount, LedgerReason reason, Instant at) {}

  /** Counts for a job's status, computed from its units and assignments. */
  public record JobProgress(
      int unitsTotal, int unitsValid, int unitsInProgress, int unitsFailed, long recordsDone, long returnedForValid) {}
}
