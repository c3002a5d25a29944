package org.idlegrid.bench.sim;

/** What a simulated device does with a unit. */
enum Behaviour {
  /** computes the right answer, with float noise far inside the compare tolerance */
  HONEST,
  /** returns random numbers */
  RANDOM,
  /** returns the same constant for everything */
  CONSTANT,
  /** returns zeros at once without computing */
  LAZY_ZEROS,
  /** honest until it has earned trust, then wrong half the time */
  INTERMITTENT,
  /** two devices of one owner (and one network) returning the same wrong answer */
  COLLUDE_OWNER,
  /** devices of different owners and networks returning the same wrong answer */
  COLLUDE_ACROSS;

  static final Behaviour[] CHEATS = {RANDOM, CONSTANT, LAZY_ZEROS, INTERMITTENT, COLLUDE_OWNER, COLLUDE_ACROSS};
}
