package org.idlegrid.coordinator.store;

/**
 * A unit's life: {@code PENDING → IN_PROGRESS → VALIDATING → VALID | FAILED}; a VALIDATING unit
 * whose results disagree goes back to IN_PROGRESS for more replicas. Mirrored by units.state's
 * CHECK. See docs/state-machine.md.
 */
public enum UnitState {
  PENDING, IN_PROGRESS, VALIDATING, VALID, FAILED
}
