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
import java.util.Set;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.workgen.Jsonl;
import org.idlegrid.json.Hashes;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.signing.Ed25519;

/**
 * Issues replicas to a polling device, in one transaction per poll:
 * <ul>
 *   <li>order: highest job priority first, then the oldest job, then unit index; among units of
 *       equal priority those whose model the device has cached come first (a preference only);</li>
 *   <li>never two replicas of one unit to the same device, nor to two devices of one owner (an
 *       owner-less device is its own owner), so colluding devices of one owner never form a
 *       quorum;</li>
 *   <li>a replica slot is taken with a conditional decrement of {@code units.needed}, so a unit
 *       is never issued more replicas than it asked for.</li>
 * </ul>
 * The assignment rows are committed before the records are read and the assignments signed and
 * sent; if sending fails, the assignment simply times out and is reissued.
 */
public final class Scheduler {
  private final Store store;
  private final BlobStore blobs;
  private final Ed25519.KeyPair key;
  private final Clock clock;
  private final Duration timeout;

  public Scheduler(Store store, BlobStore blobs, Ed25519.KeyPair key, Clock clock, Duration timeout) {
    this.store = store;
    this.blobs = blobs;
    this.key = key;
    this.clock = clock;
    this.timeout = timeout;
  }

  private record Issued(Rows.Assignment row, Rows.Unit unit, Rows.Model model, String inputBlob) {}

  /** Is any unit waiting for a replica? (Cheap; the long poll asks before trying a claim.) */
  public boolean hasWork() {
    return store.transaction(Store.Tx::hasDispatchableWork);
  }

  /** Up to {@code slots} signed assignments for the device; empty if there is nothing it may take. */
  public List<Assignment> claim(String deviceId, int slots, List<String> cachedModels) {
    Instant now = Instant.ofEpochMilli(clock.millis());
    Instant deadline = now.plus(timeout);
    List<Issued> issued = store.transaction(tx -> {
      Rows.Device device = tx.device(deviceId).orElse(null);
      if (device == null) {
        return List.of();
      }
      tx.touchDevice(deviceId, now);
      if (device.state() != DeviceState.ACTIVE) {
        return List.of();
      }
      List<Rows.Unit> picked = pick(tx, device, slots, cachedModels);
      List<Issued> out = new ArrayList<>();
      Map<String, Rows.Job> jobs = new HashMap<>();
      Map<String, Rows.Model> models = new HashMap<>();
      for (Rows.Unit u : picked) {
        if (!tx.takeReplicaSlot(u.id())) {
          continue;
        }
        if (u.state() == UnitState.PENDING) {
          tx.transitionUnit(u.id(), UnitState.PENDING, UnitState.IN_PROGRESS);
        }
        Rows.Job job = jobs.computeIfAbsent(u.jobId(), id -> tx.job(id).orElseThrow());
        if (job.state() == JobState.QUEUED && tx.transitionJob(job.id(), JobState.QUEUED, JobState.RUNNING, now, null)) {
          jobs.put(job.id(), tx.job(job.id()).orElseThrow());
        }
        Rows.Model model = models.computeIfAbsent(u.modelId(), id -> tx.model(id).orElseThrow());
        Rows.Assignment row = new Rows.Assignment(Secrets.newId("a-"), u.id(), u.jobId(), deviceId, device.ownerKey(),
            AssignmentState.ISSUED, null, now, deadline, null, null, null, null, null);
        tx.insertAssignment(row);
        out.add(new Issued(row, u, model, job.inputBlob()));
      }
      return out;
    });
    List<Assignment> result = new ArrayList<>(issued.size());
    for (Issued i : issued) {
      result.add(sign(i));
    }
    return result;
  }

  private static List<Rows.Unit> pick(Store.Tx tx, Rows.Device device, int slots, List<String> cachedModels) {
    List<Rows.Unit> any = tx.dispatchCandidates(device.id(), device.ownerKey(), null, slots);
    if (cachedModels == null || cachedModels.isEmpty() || any.isEmpty()) {
      return any;
    }
    Set<String> cached = Set.copyOf(cachedModels.stream().filter(Hashes::isContentId).toList());
    if (any.stream().allMatch(u -> cached.contains(u.modelId()))) {
      return any;
    }
    // the top `slots` by (priority, cached first, age) lie within the top `slots` of each list
    List<Rows.Unit> preferred = tx.dispatchCandidates(device.id(), device.ownerKey(), List.copyOf(cached), slots);
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
    try {
      records = Jsonl.read(blobs.pathOf(i.inputBlob()), i.unit().byteStart(), i.unit().byteEnd());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the input of unit " + i.unit().id(), e);
    }
    Rows.Model m = i.model();
    ModelRef model = new ModelRef(m.id(), "/api/v1/blobs/" + Hashes.hexOf(m.id()), m.engine(), m.bytes());
    Assignment unsigned = new Assignment(i.row().id(), i.unit().id(), i.unit().jobId(), model, records, null,
        i.row().deadline().toString(), key.keyId(), null);
    return unsigned.withSignature(key.keyId(), key.privateKey().signJson(unsigned));
  }
}
