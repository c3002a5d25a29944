package org.idlegrid.coordinator.store;

/** A job's life: {@code QUEUED → RUNNING → COMPLETED | FAILED | CANCELLED}. Mirrored by jobs.state's CHECK. */
public enum JobState {
  QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED;

  public boolean isFinal() {
    return this == COMPLETED || this == FAILED || this == CANCELLED;
  }
}
