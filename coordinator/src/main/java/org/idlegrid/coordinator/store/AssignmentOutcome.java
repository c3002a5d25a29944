package org.idlegrid.coordinator.store;

/** The validator's verdict on a RETURNED assignment (assignments.outcome, null until graded). */
public enum AssignmentOutcome {
  VALID, INVALID, INCONCLUSIVE
}
