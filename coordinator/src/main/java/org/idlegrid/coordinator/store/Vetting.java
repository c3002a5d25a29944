package org.idlegrid.coordinator.store;

/**
 * Where an untrusted device stands with its vetting: its checks on submitter-supplied known
 * answers. The strongest of its checks counts: the constants are in order of strength, and the
 * store reads them by ordinal (0, 1, 2), so keep that order.
 */
public enum Vetting {
  /** No check out, none returned, or only failed and lost ones: it needs a check before work. */
  NONE,
  /**
   * A check is out and none returned: it gets nothing more until that check comes back (or is
   * lost). Work it took after the check was issued would rest on a check that may never be graded.
   */
  OUT,
  /** A check returned and passed, or is waiting for its grade (a failed one convicts, and withdraws its votes). */
  RETURNED
}
