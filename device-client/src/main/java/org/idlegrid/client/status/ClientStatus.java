package org.idlegrid.client.status;

import org.idlegrid.client.probe.Readings;

/**
 * What the running client reports (the control channel's {@code status} and
 * {@code <state-dir>/status.json}). {@code state} is one of {@link State}; {@code reason} says why
 * (for example why it is not eligible); {@code currentUnit} is null while no unit runs;
 * {@code readings} is what the eligibility probes saw last (null for the {@code always} policy);
 * {@code credit} is null unless the coordinator tells devices their credit.
 */
public record ClientStatus(
    State state,
    String reason,
    String coordinator,
    String deviceId,
    CurrentUnit currentUnit,
    int running,
    int outbox,
    long resultsDone,
    long unitsAborted,
    long pid,
    String updatedAt,
    String policy,
    boolean paused,
    boolean runtimeLoaded,
    Double credit,
    Readings readings) {

  public enum State { STARTING, ENROLLING, WAITING_FOR_WORK, WORKING, INELIGIBLE, BACKING_OFF, STOPPED }

  /** The unit being computed (the first one if several slots run). */
  public record CurrentUnit(String assignmentId, String unitId, String jobId, String model, int records, String startedAt) {}
}
