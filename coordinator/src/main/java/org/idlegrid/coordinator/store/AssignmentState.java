package org.idlegrid.coordinator.store;

/** One replica's life: {@code ISSUED → RETURNED | ERRORED | ABORTED | TIMED_OUT}. Mirrored by assignments.state. */
public enum AssignmentState {
  ISSUED, RETURNED, ERRORED, ABORTED, TIMED_OUT
}
