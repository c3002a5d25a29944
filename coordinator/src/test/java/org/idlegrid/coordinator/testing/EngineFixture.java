package org.idlegrid.coordinator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.engine.Engine;
import org.idlegrid.coordinator.trust.Trust;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.coordinator.model.InputSpec;
import org.idlegrid.coordinator.scheduler.Scheduler;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.SqliteStore;
import org.idlegrid.coordinator.store.Store;
import org.idlegrid.coordinator.transitioner.Heartbeats;
import org.idlegrid.coordinator.transitioner.Transitioner;
import org.idlegrid.coordinator.validator.Validator;
import org.idlegrid.coordinator.workgen.Jsonl;
import org.idlegrid.coordinator.workgen.WorkGenerator;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.signing.Ed25519;

/**
 * The engine (scheduler, transitioner, validator, assimilator) on a real SQLite store with a
 * fake clock, without HTTP. Records are {@code {"x":[i]}}; a job's model is a dummy one.
 */
public final class EngineFixture implements AutoCloseable {
  public static final Duration TIMEOUT = Duration.ofMinutes(10);
  public final MutableClock clock = new MutableClock();
  public final Store store;
  public final BlobStore blobs;
  public final Scheduler scheduler;
  public final Transitioner transitioner;
  public final Validator validator;
  public final Trust trust;
  public final AtomicInteger wakeups = new AtomicInteger();
  /** The engine's {@code judged} signals, in order: devices one of whose results was graded. */
  public final List<String> judged = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** The validator's call-offs, in order: ids of replicas called off because their unit was decided. */
  public final List<String> calledOff = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Who asked about its work (the device API feeds it; tests call {@code asked} themselves). */
  public final Heartbeats heartbeats = new Heartbeats(Heartbeats.DEFAULT_SILENT_AFTER);
  private int jobs;

  public EngineFixture(Path dir) throws IOException {
    this(dir, TrustPolicy.defaults(), 1);
  }

  /** With this trust policy and spot checks drawn from a generator seeded with {@code seed}. */
  public EngineFixture(Path dir, TrustPolicy policy, long seed) throws IOException {
    store = SqliteStore.open(dir.resolve("coordinator.db"));
    blobs = new BlobStore(dir.resolve("blobs"));
    Engine engine = Engine.create(store, blobs, Ed25519.generate(), clock, TIMEOUT, policy,
        new SplittableRandom(seed), wakeups::incrementAndGet, new Validator.Listener() {
          @Override
          public void judged(String deviceId) {
            judged.add(deviceId);
          }

          @Override
          public void calledOff(Rows.Assignment assignment) {
            calledOff.add(assignment.id());
          }
        }, heartbeats);
    scheduler = engine.scheduler();
    transitioner = engine.transitioner();
    validator = engine.validator();
    trust = engine.trust();
  }

  public Instant now() {
    return clock.instant();
  }

  public void device(String id, String owner) {
    store.transaction(tx -> {
      tx.insertDevice(new Rows.Device(id, "hash-" + id, "pk", id, owner, owner == null ? "device:" + id : "owner:" + owner,
          null, "[]", DeviceState.ACTIVE, null, now(), now(), 0, 0, 0, 0));
      return null;
    });
  }

  /** A job of {@code records} records {"x":[i]} in units of {@code unitSize}. */
  public Rows.Job job(int records, int unitSize, int replicas, int quorum, int maxReplicas, String compareJson,
      String modelId, int priority) throws IOException {
    List<JsonNode> recs = new ArrayList<>();
    for (int i = 0; i < records; i++) {
      recs.add(Json.tree("{\"x\":[" + i + "]}"));
    }
    String hex = blobs.put(Jsonl.write(recs));
    WorkGenerator.Plan plan = WorkGenerator.plan(blobs.pathOf(hex), unitSize, InputSpec.any());
    String jobId = "j" + (++jobs);
    return store.transaction(tx -> {
      if (tx.model(modelId).isEmpty()) {
        tx.insertModel(new Rows.Model(modelId, "m", "OnnxRuntime", 10, "ONNX", Json.write(InputSpec.any()), "alice", now()));
      }
      tx.insertJob(new Rows.Job(jobId, 0, "alice", jobId, modelId, hex, plan.recordCount(), unitSize, priority, replicas,
          quorum, maxReplicas, compareJson, JobState.QUEUED, now(), null, null));
      Rows.Job j = tx.job(jobId).orElseThrow();
      tx.insertUnits(WorkGenerator.units(j, plan));
      return j;
    });
  }

  public Rows.Job job(int records, int unitSize, int replicas, int quorum, int maxReplicas) throws IOException {
    return job(records, unitSize, replicas, quorum, maxReplicas, "{\"mode\":\"allclose\",\"atol\":1.0E-4,\"rtol\":0.001}",
        "sha256:" + "1".repeat(64), 0);
  }

  /** Outputs {"y":[(x+1)*scale]} for an assignment's records. */
  public static String outputs(Assignment a, double scale) {
    List<ObjectNode> out = new ArrayList<>();
    for (JsonNode r : a.records()) {
      ObjectNode o = Json.mapper().createObjectNode();
      o.putArray("y").add((r.get("x").get(0).asDouble() + 1) * scale);
      out.add(o);
    }
    return Json.write(out);
  }

  /** Claims one assignment for the device (fails if none). */
  public Assignment claim(String deviceId) {
    List<Assignment> got = scheduler.claim(deviceId, 1, List.of());
    if (got.size() != 1) {
      throw new AssertionError("device " + deviceId + " got " + got.size() + " assignments");
    }
    return got.get(0);
  }

  /** Claims one assignment for the device and returns its result at once (see {@link #submit}). */
  public Assignment claimAndSubmit(String deviceId, double scale) {
    Assignment a = claim(deviceId);
    submit(deviceId, a, scale);
    return a;
  }

  /** Returns a result and runs the validator, as the HTTP layer does. */
  public Transitioner.Outcome submit(String deviceId, Assignment a, double scale) {
    Transitioner.Outcome o = transitioner.recordResult(deviceId, a.assignmentId(), outputs(a, scale), 3, null);
    if (o.toValidate()) {
      validator.validate(o.unitId());
    }
    return o;
  }

  public Rows.Unit unit(String id) {
    return store.transaction(tx -> tx.unit(id)).orElseThrow();
  }

  public Rows.Job jobRow(String id) {
    return store.transaction(tx -> tx.job(id)).orElseThrow();
  }

  public Rows.Assignment assignment(String id) {
    return store.transaction(tx -> tx.assignment(id)).orElseThrow();
  }

  public Rows.Device deviceRow(String id) {
    return store.transaction(tx -> tx.device(id)).orElseThrow();
  }

  @Override
  public void close() {
    store.close();
  }
}
