package org.idlegrid.coordinator.store;

/** How a unit's canonical result was (or will be) accepted (units.acceptance): by a quorum of replicas, or from one trusted device. */
public enum UnitAcceptance {
  REPLICATED, ON_TRUST
}
