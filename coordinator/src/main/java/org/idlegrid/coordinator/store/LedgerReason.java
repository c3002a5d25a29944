package org.idlegrid.coordinator.store;

/** A credit_ledger row: a grant for a validated result, or the reversal of one whose vote was withdrawn. */
public enum LedgerReason {
  VALIDATED, REVERSED
}
