package org.idlegrid.coordinator.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The coordinator's one storage interface. Everything happens inside {@link #transaction}: the
 * work function gets a {@link Tx}, and all it did is committed together when it returns (rolled
 * back if it throws). Callers answer HTTP requests only after the transaction returned, so every
 * acknowledged state change is durable.
 *
 * <p>Rules every implementation keeps (checked by StoreConformanceTest):
 * <ul>
 *   <li>state changes are conditional ({@code UPDATE ... WHERE state = from}) and report whether
 *       they happened, so a change is applied once even when two callers race;</li>
 *   <li>{@link Tx#takeReplicaSlot} never lets {@code needed} go below zero, so a unit is never
 *       issued more replicas than it asked for;</li>
 *   <li>{@link Tx#dispatchCandidates} never offers a unit the device, another device of the
 *       same owner, or (when known) a device of the same network holds an assignment for that is
 *       out or returned a result (one that ended without a result leaves no vote and bars
 *       nobody); a known-answer check only ever goes to a device that was never sent the unit;</li>
 *   <li>{@link Tx#reopenUnit} and {@link Tx#regradeAssignment} are conditional too, so a
 *       re-verification is applied once.</li>
 * </ul>
 * A transaction started inside another one on the same thread joins it.
 */
public interface Store extends AutoCloseable {

  <T> T transaction(Function<Tx, T> work);

  @Override
  void close();

  /** The operations of one transaction. */
  interface Tx {
    // --- API keys and enrollment tokens
    boolean insertApiKey(String name, String keyHash, Role role, Instant now);

    Optional<Rows.ApiKey> apiKeyByHash(String keyHash);

    Optional<Rows.ApiKey> apiKey(String name);

    boolean deleteApiKey(String name);

    int countApiKeys(Role role);

    void insertEnrollmentToken(String tokenHash, String createdBy, Instant now);

    /** Marks an unused token used; false if unknown or already used. */
    boolean useEnrollmentToken(String tokenHash, String deviceId, Instant now);

    // --- devices
    void insertDevice(Rows.Device device);

    Optional<Rows.Device> device(String id);

    /** The device's state alone (one column: the validator asks it for every result it grades). */
    Optional<DeviceState> deviceState(String id);

    /**
     * The device a token belongs to, with what authenticating a request needs (four columns: this
     * is read on every device request).
     */
    Optional<Rows.Caller> callerByTokenHash(String tokenHash);

    List<Rows.Device> devices();

    boolean transitionDevice(String id, DeviceState from, DeviceState to, String reason);

    void touchDevice(String id, Instant now);

    void addDeviceCounts(String id, int returned, int valid, int invalid, double credit);

    // --- trust (V2)
    Optional<Rows.DeviceTrust> deviceTrust(String id);

    /** The device's state and result counts, in one narrow read. */
    Optional<Rows.QuarantineCounts> quarantineCounts(String id);

    /** What a work poll needs of the device, in one narrow read. */
    Optional<Rows.Claimant> claimant(String id);

    /**
     * The device returned a result: one more returned, and, unless {@code paceSample} is NaN, one
     * turnaround folded into its pace in the same update (the hot path). A sample is the time from
     * issue to result ÷ the model's wait for the unit ({@link #modelWait}); the first sets the
     * pace, each later one moves it by a quarter of the difference (V9).
     */
    void resultReturned(String id, double paceSample);

    /** Records the device's network prefix (null = unknown). */
    void setDeviceNetwork(String id, String network);

    void setDevicePlatform(String id, String engineVersionsJson, String platformClass);

    /**
     * A result verified by comparison agreed: streak + 1, last check now, trusted since now when
     * the streak reaches {@code threshold}.
     */
    void trustPassed(String id, Instant now, int threshold);

    /** A result of model {@code modelId} verified by comparison agreed: the device's streak on that model + 1. */
    void modelPassed(String deviceId, String modelId);

    /** The device's streak on one model (0 if it has none there). */
    int modelStreak(String deviceId, String modelId);

    /** The device's streak on each model it has one on, by model id. */
    java.util.Map<String, Integer> modelStreaks(String deviceId);

    /**
     * A failed check: streak 0 (on every model too), no longer trusted, one more failed check,
     * risk 0 (the conviction that follows withdraws every vote).
     */
    void trustReset(String id, Instant now);

    /**
     * The device's result was accepted on trust (quorum 1): risk + 1. The store itself halves the
     * holder's risk when an audit of a unit on trust is issued ({@link #insertAssignment}) and
     * doubles it back when that audit ends without a result ({@link #endAssignment}).
     */
    void onTrustAccepted(String deviceId);

    /** The device passed a check: its risk is halved. */
    void halveRisk(String deviceId);

    /**
     * Is job {@code jobId} waiting for closing audits: does an ACTIVE device whose risk is over
     * {@code riskBudget} hold a result of it accepted on trust and not audited yet, or is an
     * audit of one of its units still out (and not written off)?
     */
    boolean awaitingClosingAudits(String jobId, double riskBudget);

    /**
     * Writes off the audits out that straggle (issued at least {@code wait} before {@code now}:
     * its factor × the model's wait per unit, less in the job's endgame):
     * each holder gets back the risk halved in advance, and no job waits for them any more.
     * Returns how many.
     */
    int writeOffStragglingAudits(Instant now, Rows.StraggleWait wait);

    /** How many audits are out and not written off, across all jobs. */
    int auditsOut();

    /**
     * Audit {@code auditId} of a result of {@code holderId} passed: the holder's risk is halved
     * if the audit had been written off (otherwise that was done when it was issued).
     */
    void auditPassed(String auditId, String holderId);

    /** Is the job RUNNING, all its units VALID, waiting for closing audits? */
    boolean verifying(String jobId);

    /** Marks a RUNNING job whose units are all VALID as waiting for closing audits since {@code now}. */
    void setVerifyingSince(String jobId, Instant now);

    /** RUNNING jobs waiting for closing audits: id → since when. */
    Map<String, Instant> jobsVerifying();

    void addDeviceFailures(String id, int errored, int timedOut);

    /** How many ACTIVE devices there are, and how many of them have a streak of at least {@code threshold}. */
    int[] countActiveAndTrusted(int threshold);

    /** The device's VALID votes (RETURNED, outcome VALID, not known-answer checks) on units that are VALID. */
    List<Rows.Assignment> validVotesOfDevice(String deviceId);

    /** Changes a graded outcome; false unless it was {@code from}. */
    boolean regradeAssignment(String id, AssignmentOutcome from, AssignmentOutcome to);

    // --- credit ledger and model cost
    void insertLedger(Rows.LedgerEntry entry);

    /** The sum of the ledger amounts for one assignment (what it holds now). */
    double creditOfAssignment(String assignmentId);

    List<Rows.LedgerEntry> ledgerOfDevice(String deviceId);

    Optional<Double> modelCost(String modelId);

    /** Folds one measurement (ms per record) into the model's cost. */
    void addModelCost(String modelId, double msPerRecord);

    /**
     * Folds one measurement into the model's cost and, when finite, one observed turnaround (ms per
     * record, issue to result) into its typical turnaround (V10).
     */
    void addModelCost(String modelId, double msPerRecord, double turnaroundMsPerRecord);

    /**
     * The model's wait per record for scheduling: the larger of its compute time and its typical
     * turnaround (V10); empty until measured.
     */
    Optional<Double> modelWait(String modelId);

    // --- models, uploads
    /** Inserts the model; false (and nothing changed) if a model with this id exists. */
    boolean insertModel(Rows.Model model);

    Optional<Rows.Model> model(String id);

    /** Points {@code name} at model {@code modelId} (the newest naming wins). */
    void nameModel(String name, String modelId, Instant now);

    /** The model most recently given this name. */
    Optional<Rows.Model> modelByName(String name);

    List<Rows.Model> models();

    /** Records that {@code owner} uploaded blob {@code hex} (idempotent). */
    void recordUpload(String hex, String owner, String kind, Long records, Instant now);

    /** The record count of a FILE upload of {@code owner} (any owner if null). */
    Optional<Long> uploadedFile(String hex, String owner);

    boolean hasUpload(String hex, String owner);

    /** May this device read this blob: the model or input of one of its assignments? */
    boolean deviceMayReadBlob(String deviceId, String hex);

    // --- jobs
    /** Inserts the job; returns its seq. */
    long insertJob(Rows.Job job);

    Optional<Rows.Job> job(String id);

    /** Newest first; {@code owner} null means every owner; {@code beforeSeq} null means from the newest. */
    List<Rows.Job> jobs(String owner, Long beforeSeq, int limit);

    boolean transitionJob(String id, JobState from, JobState to, Instant now, String error);

    Rows.JobProgress jobProgress(String jobId);

    /**
     * The job's running count of VALID units (kept by {@link #addValidUnit} and
     * {@link #removeValidUnit}): what {@link #jobProgress} counts, in one row read.
     */
    int unitsValid(String jobId);

    /** Counts one more VALID unit for the job; true when now every unit of the job is VALID. */
    boolean addValidUnit(String jobId);

    /** Counts one VALID unit less (a unit re-opened for re-verification). */
    void removeValidUnit(String jobId);

    /** Returned (non known-answer) results of the job's units that are VALID: the replication it used. */
    long returnedResultsOfJob(String jobId);

    // --- units
    void insertUnits(List<Rows.Unit> units);

    Optional<Rows.Unit> unit(String id);

    /** Units of a job in index order, starting at {@code fromIdx}. */
    List<Rows.Unit> units(String jobId, int fromIdx, int limit);

    boolean transitionUnit(String id, UnitState from, UnitState to);

    /** needed := needed - 1 if the unit is PENDING or IN_PROGRESS and needed > 0. */
    boolean takeReplicaSlot(String unitId);

    /** needed := needed + n if the unit is in one of {@code states}. */
    boolean addReplicaSlots(String unitId, int n, List<UnitState> states);

    void setCanonical(String unitId, String canonicalJson);

    /** Sets how the unit will be accepted: its quorum override (null = the job's) and acceptance. */
    void setUnitAcceptance(String unitId, Integer quorum, UnitAcceptance acceptance);

    /** needed := n (no state condition: the caller holds the unit's transaction). */
    void setNeeded(String unitId, int n);

    /** Pins the unit's homogeneous-redundancy class if it has none; true if it now has {@code hrClass}. */
    boolean pinHrClass(String unitId, String hrClass);

    /**
     * Re-opens a VALID unit for re-verification: VALID → IN_PROGRESS, canonical cleared, quorum
     * override cleared, acceptance REPLICATED, needed := {@code needed}. False if it was not VALID.
     */
    boolean reopenUnit(String unitId, int needed);

    /**
     * A VALID unit of {@code modelId}, validated by a quorum (not on trust), that this device, its
     * owner and its network never held: a known-answer check. {@code skip} picks among the newest.
     */
    Optional<Rows.Unit> knownAnswerSource(Rows.Placement placement, String modelId, int skip);

    /**
     * A unit to audit: a VALID unit accepted on trust, of a RUNNING or COMPLETED job, with no
     * audit out (not written off) or returned, that this device, its owner and its network do not
     * hold (placement, as for work), of a homogeneous job only
     * when the device is of the unit's class. It is the newest such unit of the riskiest holder:
     * the device whose risk ({@link Rows.DeviceTrust#onTrustRisk}) is highest and above
     * {@code minRisk}; the next riskiest holders are tried (a few) when the device may audit none
     * of the first one's units. A holder each of whose results on trust has an audit out is
     * skipped, however many there are, and marked so until one of those audits is lost or it gets
     * another result on trust; a holder with nothing on trust any more gets risk 0.
     */
    Optional<Rows.Unit> auditCandidate(Rows.Placement placement, double minRisk);

    /**
     * Whether an idle poll may find a closing audit: an ACTIVE device's risk is over
     * {@code minRisk} and not all of its results on trust have an audit out. A hint for waking
     * waiting devices ({@link #auditCandidate} decides; placement may still forbid).
     */
    boolean hasClosingAudits(double minRisk);

    /**
     * Whether a unit may straggle (its replicas all out, the newest issued longer ago than the
     * cheapest model's wait, shortened if some job is in its endgame, as for
     * {@link #backupCandidate}). A hint for waking waiting devices.
     */
    boolean hasStragglers(Instant now, Rows.StraggleWait wait);

    /**
     * Gives up to {@code limit} overdue units one more replica slot ({@code needed} 0 → 1): units
     * IN_PROGRESS, replicated (not on trust), of a RUNNING job, with nothing left to issue and
     * whose newest replica out was issued at least {@code factor} × the model's wait per unit
     * ({@link #modelWait}), and at least {@code minMs}, before {@code now} (never for a model not measured yet). The
     * replicas out stay out and count if they come. Returns how many units got a slot.
     */
    int reissueOverdue(Instant now, double factor, long minMs, int limit);

    /**
     * A straggling unit for a backup replica: IN_PROGRESS with all its replicas out
     * ({@code needed = 0}), of a RUNNING job, whose outstanding replicas (known-answer checks aside)
     * were all issued at least {@code wait} before {@code now} ({@link Rows.StraggleWait}: its
     * factor × the model's wait per unit, {@link #modelWait}; less in the job's endgame). Same placement rules as
     * {@link #dispatchCandidates}, except that with {@code needTrustedPeer} the unit must hold a
     * live result of a trusted device (a straggling trusted holder is no cross-check); a unit
     * accepted on trust only when {@code trusted}. The unit whose oldest replica is oldest first.
     */
    Optional<Rows.Unit> backupCandidate(Rows.Placement placement, boolean trusted, Instant now, Rows.StraggleWait wait);

    // --- known answers supplied by the submitter (V3)
    /**
     * Stores a submitter-supplied known answer: {@code unit} (idx &lt; 0, VALID, needed 0, canonical
     * = [output]) as a unit of its job that is not counted in the job's units, and its record.
     */
    void insertKnownAnswer(Rows.Unit unit, String recordJson, Instant now);

    /** The input record of a submitter-supplied known answer (empty for any other unit). */
    Optional<String> knownAnswerRecord(String unitId);

    /** How many known answers job {@code jobId} supplied. */
    int countKnownAnswers(String jobId);

    /**
     * A submitter-supplied known answer of {@code modelId} that this device, its owner and its
     * network never held; {@code skip} picks among them.
     */
    Optional<Rows.Unit> suppliedKnownAnswer(Rows.Placement placement, String modelId, int skip);

    /** The device's vetting by checks on submitter-supplied known answers (the strongest of its checks). */
    Vetting suppliedCheck(String deviceId);

    /**
     * How many of the device's results are out or returned and waiting for a verdict (known-answer
     * checks left out): work it holds that nobody has judged yet.
     */
    int unjudged(String deviceId);

    List<String> unitIdsInState(UnitState state, int limit);

    /** Units with returned results the validator has not graded yet. */
    List<String> unitIdsWithUngradedResults(int limit);

    /**
     * Units that need a replica, of QUEUED or RUNNING jobs, that neither this device nor a
     * device of {@code ownerKey} holds an assignment for that is out or returned a result
     * (an assignment that timed out, was aborted or errored bars nobody): highest priority first, then oldest
     * job, then unit index. With {@code modelIds} non-null only units of those models.
     */
    default List<Rows.Unit> dispatchCandidates(String deviceId, String ownerKey, List<String> modelIds, int limit) {
      return dispatchCandidates(new Rows.Placement(deviceId, ownerKey, null, null, false), modelIds, limit);
    }

    /**
     * As above, with the full placement rules of {@link Rows.Placement}. With
     * {@code needTrustedPeer}, fresh (PENDING) units come first, in the same order, then the
     * others the device may take: units that wait for a replica only a trusted device may give
     * are not walked past on every poll.
     */
    List<Rows.Unit> dispatchCandidates(Rows.Placement placement, List<String> modelIds, int limit);

    boolean hasDispatchableWork();

    // --- assignments
    void insertAssignment(Rows.Assignment assignment);

    Optional<Rows.Assignment> assignment(String id);

    List<Rows.Assignment> assignmentsOfUnit(String unitId);

    /**
     * The unit's assignments without the known-answer checks on it that are still out or already
     * graded (they never change a decision, and a unit used as a known answer collects thousands);
     * returned checks awaiting their grade are included. Same order as {@link #assignmentsOfUnit}.
     */
    List<Rows.Assignment> assignmentsToDecide(String unitId);

    /**
     * How many live results the unit holds: returned replicas (not known-answer checks) whose
     * vote was not withdrawn. What {@link #assignmentsToDecide} would count, without reading outputs.
     */
    int liveResults(String unitId);

    /** Does the unit hold a replica (not a known-answer check) that is out or returned a result? */
    boolean hasReplicaOutOrReturned(String unitId);

    /** ISSUED → RETURNED with its outputs; false if not ISSUED. */
    boolean recordResult(String id, String outputsJson, long elapsedMs, Double energyJ, Instant now);

    /** ISSUED → {@code to} (ERRORED, ABORTED, TIMED_OUT) with a reason. */
    boolean endAssignment(String id, AssignmentState to, String reason, Instant now);

    /** Sets the outcome of a RETURNED, ungraded assignment. */
    boolean gradeAssignment(String id, AssignmentOutcome outcome);

    List<Rows.Assignment> expiredAssignments(Instant now, int limit);

    List<Rows.Assignment> issuedAssignmentsOfDevice(String deviceId);

    List<Rows.Assignment> issuedAssignmentsOfJob(String jobId);
  }
}
