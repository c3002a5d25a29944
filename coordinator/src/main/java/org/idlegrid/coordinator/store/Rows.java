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
      String error) {}

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
      String canonicalJson) {

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
      String reason) {}

  /** Counts for a job's status, computed from its units and assignments. */
  public record JobProgress(
      int unitsTotal, int unitsValid, int unitsInProgress, int unitsFailed, long recordsDone, long returnedForValid) {}
}
