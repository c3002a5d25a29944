package org.idlegrid.coordinator.scheduler;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.store.AssignmentKind;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitAcceptance;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.store.Vetting;
import org.idlegrid.coordinator.trust.Trust;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.coordinator.workgen.Jsonl;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.signing.Ed25519;

/**
 * Issues replicas to a polling device, in one transaction per poll:
 * <ul>
 *   <li>order: highest job priority first, then the oldest job, then unit index; among units of
 *       equal priority those whose model the device has cached come first (a preference only);</li>
 *   <li>placement: never two replicas of one unit to the same device, to two devices of one owner
 *       (an owner-less device is its own owner) or, when {@link TrustPolicy#networkPlacement} and
 *       the device's network is known, to two devices of one /24 (IPv4) or /48 (IPv6) network;
 *       for a job with homogeneous redundancy only to devices of the unit's platform class (pinned
 *       by its first replica); and, once enough of the fleet is trusted
 *       ({@link Trust#peerRuleActive}), an untrusted device only cross-checks a unit that a
 *       trusted device also holds, so untrusted colluders never form a quorum alone;</li>
 *   <li>adaptive replication: a device trusted on the device and on the unit's model
 *       ({@link Store.Tx#modelStreak}) taking a fresh unit of a job that allows it gets it
 *       alone, on trust (quorum 1, nobody else gets a replica), unless the spot check fires
 *       ({@link Trust#draw}, with the model's streak): then the unit is replicated as usual,
 *       or it is still taken on trust and a known-answer unit (a copy of a unit validated by a quorum, graded against its
 *       canonical outputs) is issued beside it;</li>
 *   <li>vetting by the submitter's known answers: an untrusted device that has no check on a
 *       submitter-supplied known answer out, waiting or passed gets one (of the model of the work
 *       it is about to take) before its work, alone whatever its slots (a device given work
 *       beside its check could drop the check and keep its votes). While that check is out it
 *       gets nothing more: a device that lost its check (it left, it crashed) and polls again
 *       would otherwise vote on work without ever being vetted. The same goes for backups and
 *       audits: an unvetted device that would get one gets the check instead (the simulator
 *       found two colluders, each with two failed checks, agreeing on a backup replica).
 *       These answers come from outside the fleet's votes, so colluders cannot capture them
 *       (docs/verification.md);</li>
 *   <li>in a fleet where the quorum-of-strangers rule applies ({@link Trust#strangerRuleActive}),
 *       a device with no verified result holds at most {@link #STRANGER_UNJUDGED} units nobody
 *       has judged: a cheater 20 times faster than the fleet would otherwise take a large share
 *       of every disputed unit's extra replicas before its first verdict;</li>
 *   <li>a replica slot is taken with a conditional decrement of {@code units.needed}, so a unit
 *       is never issued more replicas than it asked for;</li>
 *   <li>backup replicas (speculative execution, as in MapReduce): a device that would get
 *       nothing gets one extra replica of the unit whose outstanding replicas have all been out
 *       longer than {@link TrustPolicy#backupAfter} × the model's wait per unit (its measured
 *       compute or its typical turnaround, the larger; a
 *       quarter of the assignment timeout before any is measured; for a device slower than
 *       typical, that × its pace, {@link #BACKUP_PACE}; in the unit's job's endgame,
 *       {@link TrustPolicy#endgameWait} × that), oldest first. It takes no
 *       slot ({@code needed} stays 0): whichever results arrive first decide the unit, the
 *       straggler's late result is graded like any late result. Same placement rules; a unit on
 *       trust is backed up only by a device trusted on its model too (on trust too), and under
 *       the trusted-peer rule an untrusted device backs up only a unit holding a trusted
 *       device's result, since a straggling trusted holder is no cross-check;</li>
 *   <li>idle-time audits: a device that would get nothing (not even a backup) gets a second
 *       replica of a unit accepted on trust (one audit per unit, same placement rules; not while
 *       the trusted-peer rule asks this device for a trusted peer): the newest unit of the
 *       riskiest holder ({@link Rows.DeviceTrust#onTrustRisk}) while some holder is over the risk
 *       budget (the closing audits that a finished job waits for, see {@link TrustPolicy}); with
 *       the budget off, on a share of idle polls ({@link #IDLE_AUDIT_SHARE}). This turns idle
 *       capacity (the tail of a job) into verification.</li>
 * </ul>
 * The assignment rows are committed before the records are read and the assignments signed and
 * sent; if sending fails, the assignment simply times out and is reissued.
 */
public final class Scheduler {
  /**
   * With the risk budget off: the share of idle polls answered with an audit of a unit on trust.
   * A quarter keeps the energy they cost bounded.
   */
  static final double IDLE_AUDIT_SHARE = 0.25;
  /**
   * Under the quorum-of-strangers rule, the most units a device with no verified result holds
   * that nobody has judged yet (out, or returned and waiting for a verdict).
   */
  static final int STRANGER_UNJUDGED = 3;
  /**
   * The pace (turnaround ÷ the model's wait, {@link Rows.Claimant#pace}) up to which a
   * device backs up stragglers after the usual wait; a slower one waits in proportion (pace 3:
   * three times as long), so it backs up only a unit that has been out as long as it would take
   * itself. A backup races a straggler, most of all at a job's end, when every idle device could
   * take one: a slow device would often lose the race, and the unit would wait a whole backup wait
   * more before its next backup. In a small fleet a slow device still backs up a replica that was
   * lost. A device not yet measured counts as typical.
   */
  static final double BACKUP_PACE = 1.0;
  /** Up to this pace a waiting device is in the first tier a wake serves ({@link #paceTier}). */
  static final double FAST_PACE = 1.0;
  /** Past this pace a waiting device is in the last tier a wake serves ({@link #paceTier}). */
  static final double SLOW_PACE = 2.0;
  private final Store store;
  private final BlobStore blobs;
  private final Ed25519.KeyPair key;
  private final Clock clock;
  private final Duration timeout;
  private final Trust trust;

  public Scheduler(Store store, BlobStore blobs, Ed25519.KeyPair key, Clock clock, Duration timeout, Trust trust) {
    this.store = store;
    this.blobs = blobs;
    this.key = key;
    this.clock = clock;
    this.timeout = timeout;
    this.trust = trust;
  }

  /** One assignment row as issued, with what signing it needs. */
  public record Issued(Rows.Assignment row, Rows.Unit unit, Rows.Model model, String inputBlob, String recordJson) {
    /** An assignment whose records are read from the job's input blob. */
    public Issued(Rows.Assignment row, Rows.Unit unit, Rows.Model model, String inputBlob) {
      this(row, unit, model, inputBlob, null);
    }

    /** Is this a check on a known answer supplied by the submitter (its record is {@link #recordJson})? */
    public boolean supplied() {
      return recordJson != null;
    }
  }

  /**
   * Is any unit waiting for a replica, is a closing audit due (a holder over the risk budget
   * with a result left to audit), or may a unit straggle (a backup to give)? Cheap; the long
   * poll asks before trying a claim, so that waiting devices get closing audits and backups
   * when they appear, not at their next poll.
   */
  public boolean hasWork() {
    TrustPolicy policy = trust.policy();
    return store.transaction(tx -> tx.hasDispatchableWork()
        || policy.closingAudits() && tx.hasClosingAudits(policy.riskBudget())
        || policy.backupAfter() > 0 && tx.hasStragglers(Instant.ofEpochMilli(clock.millis()), straggleWait(tx, 1)));
  }

  /** Before a model's time per unit is measured, a unit straggles after a quarter of the assignment timeout. */
  private long backupFallbackMs() {
    return timeout.toMillis() / 4;
  }

  /**
   * When a unit straggles for a device {@code slower} times slower than typical (1 for a typical
   * one): in a job's endgame ({@link TrustPolicy#endgameWait}), once its units left are at most
   * the endgame share of its units and of the active fleet, sooner.
   */
  private Rows.StraggleWait straggleWait(Store.Tx tx, double slower) {
    TrustPolicy policy = trust.policy();
    double factor = policy.backupAfter() * slower;
    long fallbackMs = (long) (backupFallbackMs() * slower);
    if (policy.endgameWait() >= 1) {
      return Rows.StraggleWait.noEndgame(factor, fallbackMs);
    }
    return new Rows.StraggleWait(factor, fallbackMs, policy.endgameShare(), trust.endgameUnits(tx),
        policy.endgameWait());
  }

  /** Up to {@code slots} signed assignments for the device; empty if there is nothing it may take. */
  public List<Assignment> claim(String deviceId, int slots, List<String> cachedModels) {
    return sign(claimRows(deviceId, slots, cachedModels, false, null));
  }

  /**
   * The same for a device that asks from the network {@code network} ({@code null}: unknown, such
   * as loopback): if it moved, its row says so first, in the same transaction, and placement uses
   * where it is now.
   */
  public List<Assignment> claimFrom(String deviceId, int slots, List<String> cachedModels, String network) {
    return sign(claimRows(deviceId, slots, cachedModels, true, network));
  }

  private List<Assignment> sign(List<Issued> issued) {
    List<Assignment> result = new ArrayList<>(issued.size());
    for (Issued i : issued) {
      result.add(sign(i));
    }
    return result;
  }

  /** The claim itself, committed, without reading records or signing (the simulator's entry). */
  public List<Issued> claimRows(String deviceId, int slots, List<String> cachedModels) {
    return claimRows(deviceId, slots, cachedModels, false, null);
  }

  private List<Issued> claimRows(String deviceId, int slots, List<String> cachedModels, boolean seen, String seenAt) {
    Instant now = Instant.ofEpochMilli(clock.millis());
    Instant deadline = now.plus(timeout);
    return store.transaction(tx -> {
      Rows.Claimant read = tx.claimant(deviceId).orElse(null);
      if (read == null) {
        return List.of();
      }
      Rows.Claimant device = read;
      if (seen && !Objects.equals(seenAt, read.network())) {
        tx.setDeviceNetwork(deviceId, seenAt);
        device = new Rows.Claimant(read.id(), read.ownerKey(), read.state(), read.streak(), seenAt,
            read.platformClass(), read.pace());
      }
      tx.touchDevice(deviceId, now);
      if (device.state() != DeviceState.ACTIVE) {
        return List.of();
      }
      TrustPolicy policy = trust.policy();
      boolean trusted = policy.trusted(device.streak());
      String network = policy.networkPlacement() ? device.network() : null;
      Rows.Placement placement = new Rows.Placement(deviceId, device.ownerKey(), network, device.platformClass(),
          !trusted && trust.peerRuleActive(tx));
      // a device with no verified result holds at most STRANGER_UNJUDGED units nobody has
      // judged: a fast cheater cannot pile onto the fleet's units faster than its results are
      // graded (docs/verification.md, "A quorum of strangers"); asked first, since a device held
      // back may poll often
      int room = Math.min(slots, strangerRoom(tx, device));
      if (room <= 0) {
        return List.of();
      }
      Vetting vetting = trusted ? Vetting.RETURNED : tx.suppliedCheck(deviceId);
      if (vetting == Vetting.OUT) {
        // its vetting check is out and has not come back: no more work (nor backups, nor
        // audits) until it does or is lost, since a check that is never graded vets nothing
        return List.of();
      }
      List<Rows.Unit> picked = pick(tx, placement, room, cachedModels);
      List<Issued> out = new ArrayList<>();
      Map<String, Rows.Job> jobs = new HashMap<>();
      Map<String, Rows.Model> models = new HashMap<>();
      Map<String, Integer> modelStreaks = new HashMap<>();
      if (vetting == Vetting.NONE && !picked.isEmpty()) {
        Rows.Unit vet = suppliedKnownAnswer(tx, placement, picked.get(0).modelId());
        if (vet != null) {
          // the check alone, however many slots: work beside it would let a device that drops
          // the check (the first of its first answer) vote without ever being graded
          return List.of(issueKnownAnswer(tx, vet, device, trusted, now, deadline, models, jobs));
        }
      }
      for (Rows.Unit u : picked) {
        if (out.size() >= room) {
          break;
        }
        Rows.Job job = jobs.computeIfAbsent(u.jobId(), id -> tx.job(id).orElseThrow());
        if (job.homogeneous() && !tx.pinHrClass(u.id(), device.platformClass() == null ? "" : device.platformClass())) {
          continue;
        }
        AssignmentKind kind = AssignmentKind.REPLICA;
        Rows.Unit knownAnswer = null;
        // trusted on the device AND on this unit's model (V8): trust earned on one model buys no
        // unchecked results of another; the spot-check probability follows the model's streak
        int modelStreak = trusted && job.adaptive()
            ? modelStreaks.computeIfAbsent(u.modelId(), m -> tx.modelStreak(deviceId, m)) : 0;
        if (trusted && job.adaptive() && policy.trusted(modelStreak) && fresh(tx, u, job)) {
          Trust.Draw draw = trust.draw(modelStreak);
          if (draw == Trust.Draw.SPOT_CHECK_KNOWN_ANSWER) {
            knownAnswer = knownAnswerSource(tx, placement, u.modelId());
          }
          if (knownAnswer != null && slots - out.size() < 2) {
            // no room for the unit and the check: the check alone (the unit stays for someone else)
            out.add(issueKnownAnswer(tx, knownAnswer, device, trusted, now, deadline, models, jobs));
            continue;
          }
          // a known-answer check needs a known answer; without one the spot check is a replica
          if (draw == Trust.Draw.ON_TRUST || knownAnswer != null) {
            kind = AssignmentKind.ON_TRUST;
          }
        }
        if (!tx.takeReplicaSlot(u.id())) {
          continue;
        }
        if (kind == AssignmentKind.ON_TRUST) {
          Trust.acceptOnTrust(tx, u);
        }
        if (u.state() == UnitState.PENDING) {
          tx.transitionUnit(u.id(), UnitState.PENDING, UnitState.IN_PROGRESS);
        }
        if (job.state() == JobState.QUEUED && tx.transitionJob(job.id(), JobState.QUEUED, JobState.RUNNING, now, null)) {
          jobs.put(job.id(), tx.job(job.id()).orElseThrow());
        }
        Rows.Model model = models.computeIfAbsent(u.modelId(), id -> tx.model(id).orElseThrow());
        Rows.Assignment row = new Rows.Assignment(Secrets.newId("a-"), u.id(), u.jobId(), deviceId, device.ownerKey(),
            AssignmentState.ISSUED, null, now, deadline, null, null, null, null, null, kind, device.network(), trusted);
        tx.insertAssignment(row);
        out.add(new Issued(row, u, model, job.inputBlob()));
        if (knownAnswer != null) {
          out.add(issueKnownAnswer(tx, knownAnswer, device, trusted, now, deadline, models, jobs));
        }
      }
      if (out.isEmpty() && policy.backupAfter() > 0) {
        // nothing to do: back up the oldest straggler (speculative execution), see backupCandidate;
        // a device slower than typical only one that has straggled as long as it would take itself
        double slower = device.pace() == null ? 1 : Math.max(1, device.pace() / BACKUP_PACE);
        Rows.Unit backup = tx.backupCandidate(placement, trusted, now, straggleWait(tx, slower)).orElse(null);
        if (backup != null && backup.acceptance() == UnitAcceptance.ON_TRUST
            && !policy.trusted(tx.modelStreak(deviceId, backup.modelId()))) {
          backup = null; // its backup completes it alone: only a device trusted on its model too
        }
        Rows.Unit vet = vettingCheckFor(tx, backup, vetting, placement);
        if (vet != null) {
          // an unvetted device backs nothing up before it passes a check: a backup is a vote
          out.add(issueKnownAnswer(tx, vet, device, trusted, now, deadline, models, jobs));
        } else if (backup != null) {
          Rows.Job job = jobs.computeIfAbsent(backup.jobId(), id -> tx.job(id).orElseThrow());
          Rows.Model model = models.computeIfAbsent(backup.modelId(), id -> tx.model(id).orElseThrow());
          // a unit on trust stays on trust: the backup (to a trusted device) completes it alone
          AssignmentKind kind = backup.acceptance() == UnitAcceptance.ON_TRUST ? AssignmentKind.ON_TRUST
              : AssignmentKind.REPLICA;
          Rows.Assignment row = new Rows.Assignment(Secrets.newId("a-"), backup.id(), backup.jobId(), deviceId,
              device.ownerKey(), AssignmentState.ISSUED, null, now, deadline, null, null, null, null, null,
              kind, device.network(), trusted);
          tx.insertAssignment(row);
          out.add(new Issued(row, backup, model, job.inputBlob()));
        }
      }
      if (out.isEmpty() && policy.idleAudits() && !placement.needTrustedPeer()) {
        // nothing to do: the idle device audits a unit accepted on trust instead, the riskiest
        // holder's newest: the closing audits, while some holder is over the risk budget (only
        // those: a job waits for the audits of its units that are out); without a budget, on a
        // share of idle polls
        Rows.Unit audit = policy.closingAudits() ? tx.auditCandidate(placement, policy.riskBudget()).orElse(null)
            : trust.nextDouble() < IDLE_AUDIT_SHARE ? tx.auditCandidate(placement, 0).orElse(null) : null;
        Rows.Unit vet = vettingCheckFor(tx, audit, vetting, placement);
        if (vet != null) {
          out.add(issueKnownAnswer(tx, vet, device, trusted, now, deadline, models, jobs)); // (as for a backup)
        } else if (audit != null) {
          Rows.Job job = jobs.computeIfAbsent(audit.jobId(), id -> tx.job(id).orElseThrow());
          Rows.Model model = models.computeIfAbsent(audit.modelId(), id -> tx.model(id).orElseThrow());
          Rows.Assignment row = new Rows.Assignment(Secrets.newId("a-"), audit.id(), audit.jobId(), deviceId,
              device.ownerKey(), AssignmentState.ISSUED, null, now, deadline, null, null, null, null, null,
              AssignmentKind.AUDIT, device.network(), trusted);
          tx.insertAssignment(row);
          out.add(new Issued(row, audit, model, job.inputBlob()));
        }
      }
      return out;
    });
  }

  /**
   * Is the device held back by the stranger throttle ({@link #STRANGER_UNJUDGED} of its units
   * unjudged, none verified yet)? Then no new work lets it claim, only a verdict on one of its
   * results (the validator's {@code judged} signal, see
   * {@link org.idlegrid.coordinator.engine.Engine}). A long poll that got nothing asks, to wait
   * for that verdict instead of being tried at every wake.
   */
  public boolean waitsForVerdict(String deviceId) {
    return waiting(deviceId).forVerdict();
  }

  /**
   * How a long poll that got nothing waits: held apart until a verdict ({@link #waitsForVerdict}),
   * or with the others, woken in order of {@code tier} ({@link #paceTier}), lower first.
   */
  public record Waiting(boolean forVerdict, int tier) {}

  /** {@link Waiting} for the device, in one read of its row. */
  public Waiting waiting(String deviceId) {
    return store.transaction(tx -> {
      Rows.Claimant device = tx.claimant(deviceId).orElse(null);
      if (device == null) {
        return new Waiting(false, paceTier(null));
      }
      return new Waiting(device.state() == DeviceState.ACTIVE && strangerRoom(tx, device) <= 0,
          paceTier(device.pace()));
    });
  }

  /**
   * The order in which a wake offers work to waiting devices: 0 for a device at least as fast as
   * typical ({@link Rows.Claimant#pace} ≤ {@link #FAST_PACE}), 1 for one not yet measured or up to
   * {@link #SLOW_PACE}, 2 for a slower one. While the fleet is busy nobody waits and the order
   * does not matter; at a job's end most of the fleet waits, and every replica a wake hands out
   * (a lost one's slot, a dispute's extra result, a backup) then goes to the fastest device idle,
   * not to whichever went idle first. A 0.3× device holds a unit for three minutes that a typical
   * one finishes in one, and at the end of a job each such unit is on the critical path. BOINC
   * does the like for retries ("reliable hosts" with a short turnaround get them).
   */
  public static int paceTier(Double pace) {
    if (pace == null) {
      return 1;
    }
    return pace <= FAST_PACE ? 0 : pace <= SLOW_PACE ? 1 : 2;
  }

  /** How many more units the device may take under the stranger throttle (MAX_VALUE if it does not apply). */
  private int strangerRoom(Store.Tx tx, Rows.Claimant device) {
    if (trust.policy().vouches(device.streak()) || !trust.strangerRuleActive(tx)) {
      return Integer.MAX_VALUE;
    }
    return STRANGER_UNJUDGED - tx.unjudged(device.id());
  }

  /** A fresh unit: all its replicas still to issue, none out or returned (so it may go out alone). */
  private static boolean fresh(Store.Tx tx, Rows.Unit u, Rows.Job job) {
    if (u.needed() != job.replicas() || u.acceptance() != UnitAcceptance.REPLICATED) {
      return false;
    }
    return !tx.hasReplicaOutOrReturned(u.id());
  }

  /** A unit already validated by a quorum that this device, its owner and network never held. */
  private Rows.Unit knownAnswerSource(Store.Tx tx, Rows.Placement placement, String modelId) {
    Rows.Unit source = tx.knownAnswerSource(placement, modelId, trust.nextInt(16)).orElse(null);
    return source != null ? source : tx.knownAnswerSource(placement, modelId, 0).orElse(null);
  }

  /** The check an unvetted device gets in place of {@code work} (a backup, an audit); null if none is due. */
  private Rows.Unit vettingCheckFor(Store.Tx tx, Rows.Unit work, Vetting vetting, Rows.Placement placement) {
    return work != null && vetting == Vetting.NONE ? suppliedKnownAnswer(tx, placement, work.modelId()) : null;
  }

  /** A known answer supplied by a submitter that this device, its owner and network never held. */
  private Rows.Unit suppliedKnownAnswer(Store.Tx tx, Rows.Placement placement, String modelId) {
    Rows.Unit source = tx.suppliedKnownAnswer(placement, modelId, trust.nextInt(16)).orElse(null);
    return source != null ? source : tx.suppliedKnownAnswer(placement, modelId, 0).orElse(null);
  }

  /**
   * A copy of {@code source} for the device: a fresh assignment id on the source unit, shaped
   * exactly like any other replica on the wire, graded against the unit's canonical outputs.
   */
  private static Issued issueKnownAnswer(Store.Tx tx, Rows.Unit source, Rows.Claimant device, boolean trusted,
      Instant now, Instant deadline, Map<String, Rows.Model> models, Map<String, Rows.Job> jobs) {
    Rows.Job job = jobs.computeIfAbsent(source.jobId(), id -> tx.job(id).orElseThrow());
    Rows.Model model = models.computeIfAbsent(source.modelId(), id -> tx.model(id).orElseThrow());
    Rows.Assignment row = new Rows.Assignment(Secrets.newId("a-"), source.id(), source.jobId(), device.id(),
        device.ownerKey(), AssignmentState.ISSUED, null, now, deadline, null, null, null, null, null,
        AssignmentKind.KNOWN_ANSWER, device.network(), trusted);
    tx.insertAssignment(row);
    // a supplied known answer's record is in the store, not in the job's input
    return new Issued(row, source, model, job.inputBlob(), tx.knownAnswerRecord(source.id()).orElse(null));
  }

  private static List<Rows.Unit> pick(Store.Tx tx, Rows.Placement device, int slots, List<String> cachedModels) {
    List<Rows.Unit> any = tx.dispatchCandidates(device, null, slots);
    if (cachedModels == null || cachedModels.isEmpty() || any.isEmpty()) {
      return any;
    }
    Set<String> cached = Set.copyOf(cachedModels.stream().filter(Hashes::isContentId).toList());
    if (any.stream().allMatch(u -> cached.contains(u.modelId()))) {
      return any;
    }
    // the top `slots` by (priority, cached first, age) lie within the top `slots` of each list
    List<Rows.Unit> preferred = tx.dispatchCandidates(device, List.copyOf(cached), slots);
    Map<String, Rows.Unit> union = new LinkedHashMap<>();
    preferred.forEach(u -> union.put(u.id(), u));
    any.forEach(u -> union.putIfAbsent(u.id(), u));
    return union.values().stream()
        .sorted(Comparator.comparingInt((Rows.Unit u) -> -u.priority())
            .thenComparing(u -> cached.contains(u.modelId()) ? 0 : 1)
            .thenComparingLong(Rows.Unit::jobSeq)
            .thenComparingInt(Rows.Unit::idx))
        .limit(slots)
        .toList();
  }

  private Assignment sign(Issued i) {
    List<JsonNode> records;
    if (i.supplied()) {
      records = List.of(Json.tree(i.recordJson()));
    } else {
      try {
        records = Jsonl.read(blobs.pathOf(i.inputBlob()), i.unit().byteStart(), i.unit().byteEnd());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the input of unit " + i.unit().id(), e);
      }
    }
    Rows.Model m = i.model();
    ModelRef model = new ModelRef(m.id(), "/api/v1/blobs/" + Hashes.hexOf(m.id()), m.engine(), m.bytes());
    Assignment unsigned = new Assignment(i.row().id(), i.unit().id(), i.unit().jobId(), model, records, null,
        i.row().deadline().toString(), key.keyId(), null);
    return unsigned.withSignature(key.keyId(), key.privateKey().signJson(unsigned));
  }
}
