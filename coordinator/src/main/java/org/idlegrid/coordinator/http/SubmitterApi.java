package org.idlegrid.coordinator.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.idlegrid.compare.ComparePolicy;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.blob.BlobStore;
import org.idlegrid.coordinator.model.InputException;
import org.idlegrid.coordinator.model.InputSpec;
import org.idlegrid.coordinator.model.ModelException;
import org.idlegrid.coordinator.model.ModelInspector;
import org.idlegrid.coordinator.store.JobState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.store.UnitState;
import org.idlegrid.coordinator.workgen.Jsonl;
import org.idlegrid.coordinator.workgen.WorkGenerator;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.CompareSpec;
import org.idlegrid.protocol.FileInfo;
import org.idlegrid.protocol.JobRequest;
import org.idlegrid.protocol.JobStatus;
import org.idlegrid.protocol.ModelInfo;
import org.idlegrid.protocol.Verification;

/**
 * The submitter API: models, input files, jobs, results. A submitter sees its own jobs and
 * uploads; an admin sees everything. Every check happens before anything is stored: an upload is
 * staged in a temp file, checked, and only then moved into the blob store and recorded.
 */
final class SubmitterApi {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final int MAX_UNIT_SIZE = 100_000;

  private final Services s;
  private final Runnable workAvailable;

  SubmitterApi(Services s, Runnable workAvailable) {
    this.s = s;
    this.workAvailable = workAvailable;
  }

  private Instant now() {
    return Instant.ofEpochMilli(s.clock().millis());
  }

  // ------------------------------------------------------------------ models

  void uploadModel(Principal p, Request request, Response response, Callback callback) throws IOException {
    Fields q = Http.query(request);
    String name = q.getValue("name");
    if (name == null || !NAME.matcher(name).matches()) {
      throw ApiError.invalid("invalid-parameter", "name must be 1-128 letters, digits, '.', '_' or '-' "
          + "(starting with a letter or digit), e.g. ?name=digits-mlp");
    }
    String engine = q.getValue("engine");
    if (request.getLength() > s.maxUploadBytes()) {
      throw Http.tooLarge(s.maxUploadBytes());
    }
    try (InputStream in = Content.Source.asInputStream(request);
        BlobStore.Staged staged = stage(in)) {
      if (staged.size() == 0) {
        throw ApiError.invalid("invalid-model", "the body is empty: send the model file's bytes as the body");
      }
      ModelInspector.Inspection inspection;
      try {
        inspection = ModelInspector.inspect(staged.file(), engine == null || engine.isEmpty() ? null : engine);
      } catch (ModelException e) {
        throw ApiError.invalid("invalid-model", e.getMessage());
      }
      staged.commit();
      String id = Hashes.PREFIX + staged.hex();
      Instant now = now();
      Rows.Model model = s.store().transaction(tx -> {
        tx.insertModel(new Rows.Model(id, name, inspection.engine(), staged.size(), inspection.format(),
            Json.write(inspection.inputSpec()), p.name(), now));
        tx.nameModel(name, id, now);
        tx.recordUpload(staged.hex(), p.name(), "MODEL", null, now);
        return tx.model(id).orElseThrow();
      });
      Http.json(response, callback, 201, modelView(model, name));
    }
  }

  private BlobStore.Staged stage(InputStream in) throws IOException {
    try {
      return s.blobs().stage(in, s.maxUploadBytes());
    } catch (BlobStore.TooLargeException e) {
      throw Http.tooLarge(s.maxUploadBytes());
    }
  }

  static ObjectNode modelView(Rows.Model m, String name) {
    ObjectNode o = Json.toTree(new ModelInfo(m.id(), name, m.engine(), m.bytes(), m.createdAt().toString()));
    o.put("format", m.format());
    o.set("inputs", Json.tree(m.inputSpecJson()));
    return o;
  }

  void listModels(Response response, Callback callback) {
    List<Rows.Model> models = s.store().transaction(tx -> tx.models());
    ObjectNode out = Json.mapper().createObjectNode();
    var arr = out.putArray("models");
    models.forEach(m -> arr.add(modelView(m, m.name())));
    Http.json(response, callback, 200, out);
  }

  // ------------------------------------------------------------------ files

  void uploadFile(Principal p, Request request, Response response, Callback callback) throws IOException {
    if (request.getLength() > s.maxUploadBytes()) {
      throw Http.tooLarge(s.maxUploadBytes());
    }
    try (InputStream in = Content.Source.asInputStream(request);
        BlobStore.Staged staged = stage(in)) {
      long records;
      try {
        records = Jsonl.scan(staged.file(), (index, start, end, record) -> {
          if (!record.isObject()) {
            throw new InputException("record " + index + " is not a JSON object: each line must be an object of named inputs");
          }
        });
      } catch (Json.JsonException e) {
        throw new ApiError(400, "malformed-json", e.getMessage());
      } catch (InputException e) {
        throw ApiError.invalid("invalid-input", e.getMessage());
      }
      if (records == 0) {
        throw ApiError.invalid("invalid-input", "the file holds no records: send JSON Lines, one object per line");
      }
      staged.commit();
      Instant now = now();
      s.store().transaction(tx -> {
        tx.recordUpload(staged.hex(), p.name(), "FILE", records, now);
        return null;
      });
      Http.json(response, callback, 201, new FileInfo(Hashes.PREFIX + staged.hex(), records));
    }
  }

  // ------------------------------------------------------------------ jobs

  /** A job's verification with every default filled in and every rule checked. */
  record Resolved(int replicas, int quorum, int maxReplicas, CompareSpec compare) {}

  static Resolved resolve(Verification v) {
    Integer r = v == null ? null : v.replicas();
    Integer q = v == null ? null : v.quorum();
    Integer m = v == null ? null : v.maxReplicas();
    int replicas = r != null ? r : (q != null ? Math.max(q, 2) : 2);
    int quorum = q != null ? q : Math.min(2, replicas);
    int max = m != null ? m : Math.max(5, replicas);
    if (replicas < 1 || replicas > 20) {
      throw ApiError.invalid("invalid-verification", "verification.replicas must be between 1 and 20, got " + replicas);
    }
    if (quorum < 1) {
      throw ApiError.invalid("invalid-verification", "verification.quorum must be at least 1, got " + quorum);
    }
    if (quorum > replicas) {
      throw ApiError.invalid("invalid-verification", "verification.quorum (" + quorum
          + ") must not exceed verification.replicas (" + replicas + ")");
    }
    if (max < replicas || max > 50) {
      throw ApiError.invalid("invalid-verification", "verification.maxReplicas must be between verification.replicas ("
          + replicas + ") and 50, got " + max);
    }
    ComparePolicy policy;
    try {
      policy = ComparePolicy.of(v == null ? null : v.compare());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("invalid-verification", "verification." + e.getMessage());
    }
    return new Resolved(replicas, quorum, max, policy.spec());
  }

  void submitJob(Principal p, Request request, Response response, Callback callback) throws IOException {
    JsonNode tree = Http.jsonBody(request, s.maxJsonBytes());
    JobRequest req = Http.convert(tree, JobRequest.class);
    // verification.homogeneous is read from the raw JSON: the shared Verification record lacks it
    JsonNode homogeneousNode = tree.path("verification").path("homogeneous");
    if (!homogeneousNode.isMissingNode() && !homogeneousNode.isNull() && !homogeneousNode.isBoolean()) {
      throw ApiError.invalid("invalid-verification", "verification.homogeneous must be true or false");
    }
    boolean homogeneous = homogeneousNode.asBoolean(false);
    boolean adaptive = req.verification() == null || req.verification().adaptive() == null
        || req.verification().adaptive();
    if (req.name() != null && req.name().length() > 200) {
      throw ApiError.invalid("invalid-job", "name must be at most 200 characters");
    }
    if (req.model() == null || req.model().isBlank()) {
      throw ApiError.invalid("invalid-job", "model is required: a model name or its sha256:<hex> id");
    }
    int unitSize = req.unitSize() == null ? 50 : req.unitSize();
    if (unitSize < 1 || unitSize > MAX_UNIT_SIZE) {
      throw ApiError.invalid("invalid-job", "unitSize must be between 1 and " + MAX_UNIT_SIZE + ", got " + unitSize);
    }
    int priority = req.priority() == null ? 0 : req.priority();
    if (priority < -1000 || priority > 1000) {
      throw ApiError.invalid("invalid-job", "priority must be between -1000 and 1000, got " + priority);
    }
    if ((req.inputFile() == null) == (req.records() == null)) {
      throw ApiError.invalid("invalid-job", "give exactly one of inputFile (a sha256: id from POST /api/v1/files) "
          + "or records (an array of input objects)");
    }
    Resolved v = resolve(req.verification());
    Rows.Model model = s.store().transaction(tx -> Hashes.isContentId(req.model()) && req.model().startsWith(Hashes.PREFIX)
        ? tx.model(req.model()) : tx.modelByName(req.model())).orElseThrow(() -> ApiError.invalid("unknown-model",
            "no model \"" + req.model() + "\": upload it with POST /api/v1/models?name=...&engine=OnnxRuntime first"));
    InputSpec spec = Json.read(model.inputSpecJson(), InputSpec.class);
    List<KnownAnswer> knownAnswers = knownAnswers(tree.get("knownAnswers"), spec);

    String inputHex;
    WorkGenerator.Plan plan;
    if (req.inputFile() != null) {
      if (!Hashes.isContentId(req.inputFile())) {
        throw ApiError.invalid("invalid-job", "inputFile must be a sha256:<hex> id from POST /api/v1/files");
      }
      inputHex = Hashes.hexOf(req.inputFile());
      boolean known = s.store().transaction(tx -> tx.uploadedFile(inputHex, p.isAdmin() ? null : p.name()).isPresent());
      if (!known || s.blobs().find(inputHex).isEmpty()) {
        throw ApiError.invalid("unknown-file", "no uploaded file " + req.inputFile() + ": upload it with POST /api/v1/files");
      }
      plan = plan(s.blobs().pathOf(inputHex), unitSize, spec);
    } else {
      if (req.records().isEmpty()) {
        throw ApiError.invalid("invalid-input", "records must not be empty");
      }
      for (int i = 0; i < req.records().size(); i++) {
        try {
          spec.validate(req.records().get(i), i);
        } catch (InputException e) {
          throw ApiError.invalid("invalid-input", e.getMessage());
        }
      }
      try (BlobStore.Staged staged = s.blobs().stage(new java.io.ByteArrayInputStream(Jsonl.write(req.records())),
          Long.MAX_VALUE)) {
        plan = plan(staged.file(), unitSize, spec);
        staged.commit();
        inputHex = staged.hex();
      }
    }
    Instant now = now();
    String jobId = Secrets.newId("j-");
    Rows.Job job = s.store().transaction(tx -> {
      if (req.records() != null) {
        tx.recordUpload(inputHex, p.name(), "INPUT", plan.recordCount(), now);
      }
      Rows.Job j = new Rows.Job(jobId, 0, p.name(), req.name(), model.id(), inputHex, plan.recordCount(), unitSize,
          priority, v.replicas(), v.quorum(), v.maxReplicas(), Json.write(v.compare()), JobState.QUEUED, now, null, null,
          adaptive, homogeneous);
      tx.insertJob(j);
      Rows.Job stored = tx.job(jobId).orElseThrow();
      tx.insertUnits(WorkGenerator.units(stored, plan));
      int first = plan.ranges().size();
      for (int i = 0; i < knownAnswers.size(); i++) {
        KnownAnswer k = knownAnswers.get(i);
        // an id shaped like any unit's; idx < 0 keeps it out of the job's units (see V3__known_answers.sql)
        tx.insertKnownAnswer(new Rows.Unit(jobId + "-u" + (first + i), jobId, -1 - i, 0, 1, 0, 0, UnitState.VALID,
            priority, stored.seq(), model.id(), 0, "[" + Json.write(k.output()) + "]"), Json.write(k.record()), now);
      }
      return stored;
    });
    workAvailable.run();
    Http.json(response, callback, 201, status(job));
  }

  /** Most known answers one job may supply: each is a check for the fleet, not work for the job. */
  static final int MAX_KNOWN_ANSWERS = 1000;

  /** An input record whose output the submitter knows (a root of trust, see docs/verification.md). */
  record KnownAnswer(JsonNode record, JsonNode output) {}

  /**
   * Reads {@code knownAnswers} from the raw job JSON (the shared JobRequest lacks it): an array of
   * at most {@link #MAX_KNOWN_ANSWERS} objects {"record": {...}, "output": {...}}, each record valid
   * for the model like an ordinary record, each output an object of named outputs.
   */
  static List<KnownAnswer> knownAnswers(JsonNode node, InputSpec spec) {
    if (node == null || node.isNull()) {
      return List.of();
    }
    if (!node.isArray()) {
      throw ApiError.invalid("invalid-known-answers", "knownAnswers must be an array of "
          + "{\"record\": {...}, \"output\": {...}} objects");
    }
    if (node.size() > MAX_KNOWN_ANSWERS) {
      throw ApiError.invalid("invalid-known-answers", "knownAnswers holds " + node.size() + " entries; at most "
          + MAX_KNOWN_ANSWERS + " are accepted per job");
    }
    List<KnownAnswer> out = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode k = node.get(i);
      if (!k.isObject()) {
        throw ApiError.invalid("invalid-known-answers", "knownAnswers[" + i + "] must be an object with a record "
            + "and an output");
      }
      JsonNode record = k.get("record");
      JsonNode output = k.get("output");
      try {
        spec.validate(record, i);
      } catch (InputException e) {
        throw ApiError.invalid("invalid-known-answers", "knownAnswers[" + i + "].record does not fit the model: "
            + e.getMessage());
      }
      if (output == null || !output.isObject()) {
        throw ApiError.invalid("invalid-known-answers", "knownAnswers[" + i + "].output must be an object of named "
            + "outputs, as the job's results give them");
      }
      out.add(new KnownAnswer(record, output));
    }
    return out;
  }

  private static WorkGenerator.Plan plan(java.nio.file.Path file, int unitSize, InputSpec spec) throws IOException {
    try {
      WorkGenerator.Plan plan = WorkGenerator.plan(file, unitSize, spec);
      if (plan.recordCount() == 0) {
        throw ApiError.invalid("invalid-input", "the input holds no records");
      }
      return plan;
    } catch (InputException e) {
      throw ApiError.invalid("invalid-input", e.getMessage());
    } catch (Json.JsonException e) {
      throw new ApiError(400, "malformed-json", e.getMessage());
    }
  }

  JobStatus status(Rows.Job job) {
    Rows.JobProgress pr = s.store().transaction(tx -> tx.jobProgress(job.id()));
    Rows.Model model = s.store().transaction(tx -> tx.model(job.modelId()).orElseThrow());
    // results actually computed per validated unit: 1 on trust, 2+ when replicated or re-verified
    double factor = pr.unitsValid() == 0 ? 0 : (double) pr.returnedForValid() / pr.unitsValid();
    return new JobStatus(job.id(), job.name(), job.state().name(), model.id(), job.priority(), job.unitSize(),
        new JobStatus.Units(pr.unitsTotal(), pr.unitsValid(), pr.unitsInProgress(), pr.unitsFailed()),
        new JobStatus.Records(job.recordCount(), pr.recordsDone()),
        new Verification(job.replicas(), job.quorum(), job.maxReplicas(),
            Json.read(job.compareJson(), CompareSpec.class), job.adaptive()),
        Math.round(factor * 1000) / 1000.0, job.createdAt().toString(),
        job.finishedAt() == null ? null : job.finishedAt().toString(), job.error(),
        s.store().transaction(tx -> tx.verifying(job.id())));
  }

  Rows.Job visibleJob(Principal p, String id) {
    return s.store().transaction(tx -> tx.job(id))
        .filter(j -> p.isAdmin() || j.owner().equals(p.name()))
        .orElseThrow(() -> ApiError.notFound("no job " + id));
  }

  void getJob(Principal p, String id, Response response, Callback callback) {
    Http.json(response, callback, 200, status(visibleJob(p, id)));
  }

  void listJobs(Principal p, Request request, Response response, Callback callback) {
    Fields q = Http.query(request);
    int limit = Http.intParam(q, "limit", 50, 1, 500);
    String cursor = q.getValue("cursor");
    Long before = null;
    if (cursor != null && !cursor.isEmpty()) {
      try {
        before = Long.parseLong(cursor);
      } catch (NumberFormatException e) {
        throw ApiError.invalid("invalid-parameter", "cursor must be the nextCursor of a previous page");
      }
    }
    Long b = before;
    List<Rows.Job> jobs = s.store().transaction(tx -> tx.jobs(p.isAdmin() ? null : p.name(), b, limit + 1));
    ObjectNode out = Json.mapper().createObjectNode();
    var arr = out.putArray("jobs");
    for (Rows.Job j : jobs.subList(0, Math.min(limit, jobs.size()))) {
      arr.add(Json.toTree(status(j)));
    }
    if (jobs.size() > limit) {
      out.put("nextCursor", Long.toString(jobs.get(limit - 1).seq()));
    }
    Http.json(response, callback, 200, out);
  }

  void cancelJob(Principal p, String id, Response response, Callback callback) {
    Rows.Job job = visibleJob(p, id);
    if (!s.transitioner().cancelJob(job.id())) {
      throw ApiError.conflict("job-finished", "job " + id + " is " + job.state() + " and can no longer be cancelled");
    }
    Http.json(response, callback, 200, status(visibleJob(p, id)));
  }

  void results(Principal p, String id, Request request, Response response, Callback callback) throws IOException {
    Rows.Job job = visibleJob(p, id);
    boolean partial = Http.flag(Http.query(request), "partial");
    if (job.state() != JobState.COMPLETED && !partial) {
      throw ApiError.conflict("job-not-complete", "job " + id + " is " + job.state()
          + "; results are available when it is COMPLETED (or ask for ?partial=true)");
    }
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
    try (OutputStream out = Response.asBufferedOutputStream(request, response);
        JsonGenerator gen = Json.mapper().getFactory().createGenerator(out)) {
      gen.setRootValueSeparator(null);
      int from = 0;
      while (true) {
        int start = from;
        List<Rows.Unit> units = s.store().transaction(tx -> tx.units(job.id(), start, 256));
        if (units.isEmpty()) {
          break;
        }
        for (Rows.Unit u : units) {
          if (u.state() != UnitState.VALID || u.canonicalJson() == null) {
            continue;
          }
          JsonNode outputs = Json.tree(u.canonicalJson());
          for (int i = 0; i < outputs.size(); i++) {
            gen.writeStartObject();
            gen.writeNumberField("id", u.recordStart() + i);
            gen.writeFieldName("output");
            gen.writeTree(outputs.get(i));
            gen.writeEndObject();
            gen.writeRaw('\n');
          }
        }
        from = units.get(units.size() - 1).idx() + 1;
      }
      gen.flush();
    }
    callback.succeeded();
  }
}
