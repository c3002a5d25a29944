package org.idlegrid.coordinator.store;

/**
 * The validator's verdict on a RETURNED assignment (assignments.outcome, null until graded).
 * {@code WITHDRAWN}: the result had been counted VALID but its device was later convicted of
 * cheating (a failed check or quarantine), so its vote was taken back and its credit reversed.
 */
public enum AssignmentOutcome {
  VALID, INVALID, INCONCLUSIVE, WITHDRAWN
}
