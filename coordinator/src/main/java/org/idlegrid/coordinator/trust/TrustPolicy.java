package org.idlegrid.coordinator.trust;

/**
 * The numbers of adaptive replication, quarantine and placement, validated when built.
 *
 * <p>Spot-check schedule: a device is trusted once {@code streak >= trustThreshold}, where the
 * streak counts consecutive results verified by comparison. Each unit a trusted device takes on
 * trust is checked with probability {@code p(streak) = max(pMin, 1 / (1 + k * (streak - trustThreshold + 1)))}:
 * p starts at {@code 1/(1+k)} when trust is earned and falls harmonically as checks keep passing,
 * to the floor {@code pMin}. A check is a second replica or, with probability
 * {@code knownAnswerShare}, a known-answer unit. docs/verification.md explains the choice.
 *
 * <p>Risk and closing audits: the draw checks a device in proportion to the units it takes, so
 * every device ends a job with its last ~1/p results unchecked, and a device that turned bad
 * after a long honest streak is caught only by the checks since it turned. Each device carries
 * a <em>risk</em>: the sum, over its results accepted on trust, of 2^-(checks it passed after
 * that result) (+1 per result on trust, halved per passed check). For a device that started
 * cheating on half its units at any moment, the chance that it passed every check since is
 * 2^-(checks since), so the risk bounds the number of results on trust it could be holding
 * wrongly, discounted by that chance. A job whose units are all valid completes only once no
 * device holding its results on trust is over {@code riskBudget}: idle devices audit the
 * riskiest devices' newest results first (the closing audits); a device needs about
 * {@code log2(risk / riskBudget)} of them.
 *
 * @param trustThreshold consecutive verified results before single-replica work (default 10)
 * @param k how fast the spot-check probability falls with the streak (default 2)
 * @param pMin the floor of the spot-check probability (default 0.05)
 * @param knownAnswerShare share of spot checks done as known-answer units when one is available (default 0.5)
 * @param quarantineMinSample the sample the invalid rate is judged over: a device is quarantined
 *     once its invalid results reach {@code quarantineInvalidRate} × its graded results or × this
 *     sample, the larger, so it is judged before the sample is full only where the verdict is
 *     already certain (default 4: two invalid results, at any count up to four)
 * @param quarantineInvalidRate invalid ÷ graded at or above which a device is quarantined (default 0.5)
 * @param failureMinSample the same for errors and timeouts: finished assignments (default 20)
 * @param quarantineFailureRate (errored + timed out) ÷ finished at or above which a device is quarantined (default 0.8)
 * @param networkPlacement replicas of a unit never share a /24 (IPv4) or /48 (IPv6) network (default true)
 * @param trustedPeerShare when at least this share of active devices is trusted, an untrusted
 *     device's result is only ever cross-checked by a trusted one (default 0.2; 0 disables)
 * @param idleAudits a device with nothing to do audits a unit accepted on trust: the closing audits
 *     (or, without a risk budget, a random one on a share of idle polls; default true)
 * @param backupAfter a device with nothing to do gets a backup replica of a unit whose outstanding
 *     replicas were all issued more than {@code backupAfter} × the model's wait per unit (its
 *     measured compute or typical turnaround, the larger)
 *     ago (speculative execution, as in MapReduce; default 1; 0 turns backups off)
 * @param riskBudget the risk above which a device's results on trust hold a job back for closing
 *     audits, and above which idle devices audit (default 1/32; 0, or idleAudits off, turns closing
 *     audits off)
 * @param vouchStreak the streak a device needs to vouch for a quorum: a class of agreeing results
 *     none of whose devices has it (a quorum of strangers) needs one agreeing result more than a
 *     class with such a device would, where {@code maxReplicas} allows (default 1; 0 turns the
 *     rule off; docs/verification.md, "A quorum of strangers")
 * @param callOff replicas still out when their unit is decided, held by devices that vouch, are
 *     called off (ABORTED, reason {@code unit-decided}; the device stops when it asks). Saves the
 *     compute of results that decide nothing (replication after warm-up 2.31 → 1.93 at 100,000
 *     devices × 2 units each), but those late results are checks that convict cheaters and spare
 *     votes for units re-opened by a conviction: with it on, that run accepted 1–2 wrong units in
 *     each of three runs, against 0 without (default false; docs/verification.md)
 * @param endgameShare a job is in its endgame once its units not yet valid are at most this
 *     share of its units and at most this share of the active devices, so that nearly every
 *     device is idle (its closing audits included: then none is) (default 0.01)
 * @param endgameWait in a job's endgame, a backup waits this share of its usual wait, and so
 *     does the write-off of a straggling audit while the audits out are at most
 *     {@code endgameShare} of the active devices (default 0.25; 1 turns the endgame off). By then
 *     most of the fleet is idle, each unit left is on the critical path, and the spare capacity
 *     would otherwise go unused (docs/verification.md, "The endgame")
 */
public record TrustPolicy(
    int trustThreshold,
    double k,
    double pMin,
    double knownAnswerShare,
    int quarantineMinSample,
    double quarantineInvalidRate,
    int failureMinSample,
    double quarantineFailureRate,
    boolean networkPlacement,
    double trustedPeerShare,
    boolean idleAudits,
    double backupAfter,
    double riskBudget,
    int vouchStreak,
    boolean callOff,
    double endgameShare,
    double endgameWait) {

  /** The default risk budget: 1/32 (docs/verification.md, "Risk and closing audits"). */
  public static final double DEFAULT_RISK_BUDGET = 1.0 / 32;

  /** The default vouch streak: one result verified by comparison since the device's last failure. */
  public static final int DEFAULT_VOUCH_STREAK = 1;

  /**
   * The quorum-of-strangers rule applies in a fleet of at least this many active devices: in a
   * smaller one the extra result may have no device of another owner and network to come from
   * (and its owners are few enough for an admin to know).
   */
  public static final int STRANGER_RULE_MIN_FLEET = 12;

  /** The default endgame: the last 1% of a job's units, and no more units than 1% of the fleet. */
  public static final double DEFAULT_ENDGAME_SHARE = 0.01;

  /** The default wait in the endgame: a quarter of the usual. */
  public static final double DEFAULT_ENDGAME_WAIT = 0.25;

  /** Without an endgame given: {@link #DEFAULT_ENDGAME_SHARE}, {@link #DEFAULT_ENDGAME_WAIT}. */
  public TrustPolicy(int trustThreshold, double k, double pMin, double knownAnswerShare, int quarantineMinSample,
      double quarantineInvalidRate, int failureMinSample, double quarantineFailureRate, boolean networkPlacement,
      double trustedPeerShare, boolean idleAudits, double backupAfter, double riskBudget, int vouchStreak,
      boolean callOff) {
    this(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, riskBudget, vouchStreak,
        callOff, DEFAULT_ENDGAME_SHARE, DEFAULT_ENDGAME_WAIT);
  }

  /** Without call-offs given: off. */
  public TrustPolicy(int trustThreshold, double k, double pMin, double knownAnswerShare, int quarantineMinSample,
      double quarantineInvalidRate, int failureMinSample, double quarantineFailureRate, boolean networkPlacement,
      double trustedPeerShare, boolean idleAudits, double backupAfter, double riskBudget, int vouchStreak) {
    this(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, riskBudget, vouchStreak,
        false);
  }

  /** Without a vouch streak given: {@link #DEFAULT_VOUCH_STREAK}. */
  public TrustPolicy(int trustThreshold, double k, double pMin, double knownAnswerShare, int quarantineMinSample,
      double quarantineInvalidRate, int failureMinSample, double quarantineFailureRate, boolean networkPlacement,
      double trustedPeerShare, boolean idleAudits, double backupAfter, double riskBudget) {
    this(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, riskBudget,
        DEFAULT_VOUCH_STREAK);
  }

  /** Without a risk budget given: {@link #DEFAULT_RISK_BUDGET}. */
  public TrustPolicy(int trustThreshold, double k, double pMin, double knownAnswerShare, int quarantineMinSample,
      double quarantineInvalidRate, int failureMinSample, double quarantineFailureRate, boolean networkPlacement,
      double trustedPeerShare, boolean idleAudits, double backupAfter) {
    this(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, DEFAULT_RISK_BUDGET);
  }

  /** Without backups given: after 2 × the measured time per unit. */
  public TrustPolicy(int trustThreshold, double k, double pMin, double knownAnswerShare, int quarantineMinSample,
      double quarantineInvalidRate, int failureMinSample, double quarantineFailureRate, boolean networkPlacement,
      double trustedPeerShare, boolean idleAudits) {
    this(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, 2.0);
  }

  /** Without idle audits given: they are on. */
  public TrustPolicy(int trustThreshold, double k, double pMin, double knownAnswerShare, int quarantineMinSample,
      double quarantineInvalidRate, int failureMinSample, double quarantineFailureRate, boolean networkPlacement,
      double trustedPeerShare) {
    this(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, true);
  }

  public TrustPolicy {
    require(trustThreshold >= 1, "trustThreshold must be at least 1, got " + trustThreshold);
    require(k > 0 && Double.isFinite(k), "k must be positive, got " + k);
    require(pMin > 0 && pMin <= 1, "pMin must be in (0, 1], got " + pMin);
    require(knownAnswerShare >= 0 && knownAnswerShare <= 1, "knownAnswerShare must be in [0, 1], got " + knownAnswerShare);
    require(quarantineMinSample >= 1, "quarantineMinSample must be at least 1, got " + quarantineMinSample);
    require(quarantineInvalidRate > 0 && quarantineInvalidRate <= 1,
        "quarantineInvalidRate must be in (0, 1], got " + quarantineInvalidRate);
    require(failureMinSample >= 1, "failureMinSample must be at least 1, got " + failureMinSample);
    require(quarantineFailureRate > 0 && quarantineFailureRate <= 1,
        "quarantineFailureRate must be in (0, 1], got " + quarantineFailureRate);
    require(trustedPeerShare >= 0 && trustedPeerShare <= 1, "trustedPeerShare must be in [0, 1], got " + trustedPeerShare);
    require(backupAfter == 0 || (backupAfter >= 1 && Double.isFinite(backupAfter)),
        "backupAfter must be 0 (off) or at least 1 (times the measured time per unit), got " + backupAfter);
    require(riskBudget >= 0 && Double.isFinite(riskBudget),
        "riskBudget must be 0 (off) or a positive number of results, got " + riskBudget);
    require(vouchStreak >= 0, "vouchStreak must be 0 (off) or a number of verified results, got " + vouchStreak);
    require(endgameShare >= 0 && endgameShare <= 1, "endgameShare must be in [0, 1], got " + endgameShare);
    require(endgameWait > 0 && endgameWait <= 1,
        "endgameWait must be in (0, 1] (a share of the usual wait; 1 is off), got " + endgameWait);
  }

  public static TrustPolicy defaults() {
    return new TrustPolicy(10, 2, 0.05, 0.5, 4, 0.5, 20, 0.8, true, 0.2, true, 1.0, DEFAULT_RISK_BUDGET,
        DEFAULT_VOUCH_STREAK);
  }

  public TrustPolicy withTrustThreshold(int n) {
    return new TrustPolicy(n, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, riskBudget, vouchStreak,
        callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withNetworkPlacement(boolean on) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, on, trustedPeerShare, idleAudits, backupAfter, riskBudget,
        vouchStreak, callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withKnownAnswerShare(double share) {
    return new TrustPolicy(trustThreshold, k, pMin, share, quarantineMinSample, quarantineInvalidRate, failureMinSample,
        quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, riskBudget, vouchStreak,
        callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withTrustedPeerShare(double share) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, share, idleAudits, backupAfter, riskBudget,
        vouchStreak, callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withIdleAudits(boolean on) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, trustedPeerShare, on, backupAfter, riskBudget,
        vouchStreak, callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withBackupAfter(double factor) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, factor, riskBudget,
        vouchStreak, callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withRiskBudget(double budget) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter, budget,
        vouchStreak, callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withVouchStreak(int streak) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter,
        riskBudget, streak, callOff, endgameShare, endgameWait);
  }

  public TrustPolicy withCallOff(boolean on) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter,
        riskBudget, vouchStreak, on, endgameShare, endgameWait);
  }

  public TrustPolicy withEndgame(double share, double wait) {
    return new TrustPolicy(trustThreshold, k, pMin, knownAnswerShare, quarantineMinSample, quarantineInvalidRate,
        failureMinSample, quarantineFailureRate, networkPlacement, trustedPeerShare, idleAudits, backupAfter,
        riskBudget, vouchStreak, callOff, share, wait);
  }

  /** Does a device with this streak vouch for a quorum it is part of? */
  public boolean vouches(int streak) {
    return vouchStreak == 0 || streak >= vouchStreak;
  }

  /** Are there closing audits (idle-time audits on and a risk budget)? */
  public boolean closingAudits() {
    return idleAudits && riskBudget > 0;
  }

  public boolean trusted(int streak) {
    return streak >= trustThreshold;
  }

  /** The probability that a unit a device with this streak takes on trust is spot-checked (1 when untrusted). */
  public double spotCheckProbability(int streak) {
    if (!trusted(streak)) {
      return 1.0;
    }
    return Math.max(pMin, 1.0 / (1.0 + k * (streak - trustThreshold + 1)));
  }

  /**
   * Should a device with these counts be quarantined? Returns the reason, or null. A rate is
   * judged over the device's count or the minimum sample, the larger: before the sample is full,
   * a device is quarantined only if the rest of the sample could not save it, had every one of
   * those results been good. With the defaults, two invalid results of two or three quarantine
   * it at once. Waiting for the fourth gave a cheater that holds three units before its first
   * verdict one or two more results nobody could use, and cost an honest replica each
   * (docs/verification.md, "Quarantine when the verdict is certain").
   */
  public String quarantineReason(long valid, long invalid, long returned, long errored, long timedOut) {
    long graded = valid + invalid;
    if (invalid > 0 && invalid >= quarantineInvalidRate * Math.max(graded, quarantineMinSample)) {
      return "invalid results: " + invalid + " of " + graded + " (threshold " + quarantineInvalidRate
          + " of at least " + quarantineMinSample + ")";
    }
    long finished = returned + errored + timedOut;
    long failed = errored + timedOut;
    if (failed > 0 && failed >= quarantineFailureRate * Math.max(finished, failureMinSample)) {
      return "errors and timeouts: " + failed + " of " + finished + " assignments (threshold "
          + quarantineFailureRate + " of at least " + failureMinSample + ")";
    }
    return null;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
