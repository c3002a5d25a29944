package org.idlegrid.coordinator.store;

/**
 * Why an assignment was issued (assignments.kind): an ordinary {@code REPLICA}; {@code ON_TRUST},
 * the only replica of a unit given to a trusted device (accepted alone unless re-verified); a
 * {@code KNOWN_ANSWER} check, a copy of an already-validated unit graded against its canonical
 * outputs and counted in no job; or an {@code AUDIT}, a second replica of a unit accepted on
 * trust, issued to a device that would otherwise sit idle (it re-opens the unit for a quorum
 * decision when it disagrees).
 */
public enum AssignmentKind {
  REPLICA, ON_TRUST, KNOWN_ANSWER, AUDIT
}
