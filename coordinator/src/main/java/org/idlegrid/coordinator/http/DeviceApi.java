package org.idlegrid.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.store.AssignmentState;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.coordinator.transitioner.Transitioner;
import org.idlegrid.coordinator.trust.Networks;
import org.idlegrid.coordinator.trust.PlatformClass;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.AbortRequest;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.EnrollRequest;
import org.idlegrid.protocol.EnrollResponse;
import org.idlegrid.protocol.WorkRequest;
import org.idlegrid.protocol.WorkResponse;
import org.idlegrid.signing.Ed25519;

/**
 * The device protocol: enroll, long-poll for work, fetch blobs, return results, abort.
 *
 * <p>A result is taken only when, in this order: the body is JSON (else 400); the assignment
 * exists and was issued to the calling device (else 404: another device's assignment looks like
 * no assignment at all); it is still ISSUED (else 409); the body's assignmentId is the path's
 * (else 422); the signature verifies with the device's enrolled key over the JSON tree as
 * received (else 403 bad-signature); there is one output object per input record (else 422).
 * Nothing is stored before all checks pass.
 */
final class DeviceApi {
  private final Services s;
  private final WorkWaiters waiters;

  DeviceApi(Services s, WorkWaiters waiters) {
    this.s = s;
    this.waiters = waiters;
  }

  void enroll(Request request, Response response, Callback callback) {
    EnrollRequest req = Http.jsonBody(request, s.maxJsonBytes(), EnrollRequest.class);
    try {
      Ed25519.PublicKey.fromBase64(req.publicKey());
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("invalid-public-key",
          "publicKey must be standard base64 of the 32 raw Ed25519 public-key bytes (" + e.getMessage() + ")");
    }
    checkLength("name", req.name(), 200);
    checkLength("owner", req.owner(), 200);
    List<String> engines = req.engines() == null ? List.of() : req.engines();
    if (engines.size() > 16 || engines.stream().anyMatch(e -> e == null || e.length() > 64)) {
      throw ApiError.invalid("invalid-enrollment", "engines must be at most 16 names of up to 64 characters");
    }
    if (req.engineVersions() != null && (req.engineVersions().size() > 16 || req.engineVersions().entrySet().stream()
        .anyMatch(e -> e.getKey() == null || e.getKey().length() > 64 || e.getValue() == null
            || e.getValue().length() > 64))) {
      throw ApiError.invalid("invalid-enrollment",
          "engineVersions must map at most 16 engine names to version strings of up to 64 characters");
    }
    if (s.tokenEnrollment() && (req.enrollmentToken() == null || req.enrollmentToken().isBlank())) {
      throw new ApiError(403, "enrollment-token-required",
          "this coordinator requires an enrollmentToken: ask an admin for one (POST /api/v1/enrollment-tokens)");
    }
    String deviceId = Secrets.newId("d-");
    String token = Secrets.newSecret(Secrets.DEVICE_TOKEN_PREFIX);
    Instant now = Instant.ofEpochMilli(s.clock().millis());
    String owner = req.owner() == null || req.owner().isBlank() ? null : req.owner().trim();
    s.store().transaction(tx -> {
      if (s.tokenEnrollment() && !tx.useEnrollmentToken(Secrets.hash(req.enrollmentToken()), deviceId, now)) {
        throw new ApiError(403, "bad-enrollment-token", "the enrollment token is unknown or already used");
      }
      tx.insertDevice(new Rows.Device(deviceId, Secrets.hash(token), req.publicKey(), req.name(), owner,
          owner == null ? "device:" + deviceId : "owner:" + owner,
          req.platform() == null ? null : Json.write(req.platform()), Json.write(engines), DeviceState.ACTIVE, null,
          now, now, 0, 0, 0, 0));
      tx.setDeviceNetwork(deviceId, Networks.prefixOf(Request.getRemoteAddr(request)));
      tx.setDevicePlatform(deviceId, req.engineVersions() == null ? null : Json.write(req.engineVersions()),
          PlatformClass.of(req.platform(), engines, req.engineVersions()));
      return null;
    });
    Http.json(response, callback, 201, new EnrollResponse(deviceId, token, s.coordinatorKey().publicKey().base64()));
  }

  private static void checkLength(String field, String value, int max) {
    if (value != null && value.length() > max) {
      throw ApiError.invalid("invalid-enrollment", field + " must be at most " + max + " characters");
    }
  }

  private static void ownDevice(Principal p, String deviceId) {
    if (!p.name().equals(deviceId)) {
      throw new ApiError(403, "forbidden", "a device may only ask for work for itself (its own deviceId)");
    }
  }

  /** The long poll: answers at once when there is work, else parks the request (no thread held). */
  void work(Principal p, String deviceId, Request request, Response response, Callback callback) {
    ownDevice(p, deviceId);
    JsonNode body = Http.optionalJsonBody(request, s.maxJsonBytes());
    WorkRequest req = body == null ? new WorkRequest(1, List.of(), 0) : Http.convert(body, WorkRequest.class);
    int slots = Math.max(1, Math.min(req.slots(), 32));
    long waitMs = Math.max(0, Math.min(req.waitMs(), s.maxWait().toMillis()));
    List<String> cached = req.cachedModels() == null ? List.of() : req.cachedModels();
    String network = Networks.prefixOf(Request.getRemoteAddr(request));
    s.transitioner().heartbeats().polled(deviceId, s.clock().millis(), req.asksEveryMs());
    // the claim records the network too, if the device moved: one transaction per poll
    List<Assignment> got = s.scheduler().claimFrom(deviceId, slots, cached, network);
    if (!got.isEmpty()) {
      Http.json(response, callback, 200, new WorkResponse(got));
    } else if (waitMs == 0 || p.device().state() != DeviceState.ACTIVE) {
      Http.empty(response, callback, 204);
    } else {
      waiters.park(deviceId, slots, cached, waitMs, request, response, callback);
    }
  }

  void blob(Principal p, String idOrHex, Request request, Response response, Callback callback) throws IOException {
    if (!Hashes.isContentId(idOrHex)) {
      throw ApiError.notFound("no blob " + idOrHex + ": blobs are named by their sha256");
    }
    String hex = Hashes.hexOf(idOrHex);
    boolean allowed = switch (p.kind()) {
      case ADMIN -> true;
      case SUBMITTER -> s.store().transaction(tx -> tx.hasUpload(hex, p.name()));
      case DEVICE -> s.store().transaction(tx -> tx.deviceMayReadBlob(p.name(), hex));
    };
    Path file = allowed ? s.blobs().find(hex).orElse(null) : null;
    if (file == null) {
      throw ApiError.notFound("no blob " + idOrHex + " that this caller may read");
    }
    long size = Files.size(file);
    long start = 0;
    long end = size - 1;
    String range = request.getHeaders().get(HttpHeader.RANGE);
    int status = 200;
    if (range != null && range.startsWith("bytes=") && !range.contains(",")) {
      long[] r = parseRange(range.substring(6).trim(), size);
      if (r == null) {
        response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes */" + size);
        throw new ApiError(416, "range-not-satisfiable", "the range " + range + " is outside the blob's " + size + " bytes");
      }
      start = r[0];
      end = r[1];
      status = 206;
      response.getHeaders().put(HttpHeader.CONTENT_RANGE, "bytes " + start + "-" + end + "/" + size);
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.ACCEPT_RANGES, "bytes");
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(end - start + 1));
    response.getHeaders().put(HttpHeader.ETAG, "\"" + hex + "\"");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        OutputStream out = Response.asBufferedOutputStream(request, response)) {
      long pos = start;
      long remaining = end - start + 1;
      var target = Channels.newChannel(out);
      while (remaining > 0) {
        long n = ch.transferTo(pos, Math.min(remaining, 1 << 20), target);
        if (n <= 0) {
          break;
        }
        pos += n;
        remaining -= n;
      }
    }
    callback.succeeded();
  }

  /** [start, end] inclusive, or null if unsatisfiable; a malformed spec means the whole blob. */
  static long[] parseRange(String spec, long size) {
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return new long[] {0, size - 1};
    }
    try {
      String a = spec.substring(0, dash).trim();
      String b = spec.substring(dash + 1).trim();
      if (a.isEmpty()) {
        long suffix = Long.parseLong(b);
        if (suffix <= 0 || size == 0) {
          return null;
        }
        return new long[] {Math.max(0, size - suffix), size - 1};
      }
      long start = Long.parseLong(a);
      long end = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
      if (start >= size || start > end) {
        return null;
      }
      return new long[] {start, end};
    } catch (NumberFormatException e) {
      return new long[] {0, size - 1};
    }
  }

  /**
   * Is the assignment still wanted? A device computing it asks now and then: {@code ISSUED} goes
   * on; anything else (a replica called off because its unit was decided, reason
   * {@code unit-decided}; timed out; aborted) means stop, and send nothing.
   */
  void assignment(Principal p, String assignmentId, Response response, Callback callback) {
    Rows.Assignment a = s.transitioner().assignmentOf(p.name(), assignmentId);
    if (a == null) {
      throw ApiError.notFound("no assignment " + assignmentId + " issued to this device");
    }
    // a device that asks about its work heartbeats: once it goes quiet, its replicas get another slot
    s.transitioner().heartbeats().asked(p.name(), s.clock().millis());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("assignmentId", a.id());
    body.put("state", a.state().name());
    body.put("reason", a.state() == AssignmentState.ISSUED ? null : a.reason());
    body.put("deadline", a.deadline().toString());
    Http.json(response, callback, 200, body);
  }

  void result(Principal p, String assignmentId, Request request, Response response, Callback callback) {
    JsonNode tree = Http.jsonBody(request, s.maxJsonBytes());
    if (!(tree instanceof ObjectNode body)) {
      throw new ApiError(400, "malformed-json", "the body must be a JSON object");
    }
    Rows.Assignment a = s.transitioner().assignmentOf(p.name(), assignmentId);
    if (a == null) {
      throw ApiError.notFound("no assignment " + assignmentId + " issued to this device");
    }
    refuseIfNotIssued(a.state(), assignmentId);
    JsonNode idNode = body.get("assignmentId");
    if (idNode == null || !idNode.isTextual() || !idNode.asText().equals(assignmentId)) {
      throw ApiError.invalid("assignment-mismatch", "the body's assignmentId must be " + assignmentId
          + " (the assignment in the path)");
    }
    Ed25519.PublicKey key = Ed25519.PublicKey.fromBase64(p.device().publicKey());
    if (!key.verifyJson(body)) {
      throw new ApiError(403, "bad-signature", "the result's signature does not verify with this device's enrolled "
          + "key: sign the RFC 8785 form of the body without its signature field");
    }
    JsonNode outputs = body.get("outputs");
    if (outputs == null || !outputs.isArray()) {
      throw ApiError.invalid("invalid-result", "outputs must be an array with one output object per input record");
    }
    for (int i = 0; i < outputs.size(); i++) {
      if (!outputs.get(i).isObject()) {
        throw ApiError.invalid("invalid-result", "outputs[" + i + "] is not a JSON object of named outputs");
      }
    }
    JsonNode elapsed = body.get("elapsedMs");
    long elapsedMs = elapsed != null && elapsed.canConvertToLong() ? Math.max(0, elapsed.asLong()) : 0;
    JsonNode energy = body.get("energyJ");
    Double energyJ = energy != null && energy.isNumber() && Double.isFinite(energy.asDouble()) ? energy.asDouble() : null;
    String outputsJson = Json.write(outputs);
    s.transitioner().heartbeats().heard(p.name(), s.clock().millis());
    // the result and its validation commit together: one commit instead of two, and no moment
    // at which a result is stored but its unit not yet decided
    Transitioner.Outcome out = s.store().transaction(tx -> {
      // read here, not in a transaction of its own: one lock and one commit per result
      int records = tx.unit(a.unitId()).orElseThrow().recordCount();
      if (outputs.size() != records) {
        throw ApiError.invalid("invalid-result", "outputs has " + outputs.size() + " entries but the assignment has "
            + records + " records: send one output object per input record, in order");
      }
      Transitioner.Outcome o = s.transitioner().recordResult(p.name(), assignmentId, outputsJson, elapsedMs, energyJ);
      if (o.toValidate()) {
        s.validator().validate(o.unitId());
      }
      return o;
    });
    if (!out.done()) {
      if (out.refusal() == Transitioner.Refusal.NOT_FOUND) {
        throw ApiError.notFound("no assignment " + assignmentId + " issued to this device");
      }
      refuseIfNotIssued(out.state(), assignmentId);
    }
    Http.json(response, callback, 200, Map.of("accepted", true));
  }

  private static void refuseIfNotIssued(AssignmentState state, String id) {
    switch (state) {
      case ISSUED -> { }
      case RETURNED -> throw ApiError.conflict("already-returned", "a result for assignment " + id + " was already received");
      case TIMED_OUT -> throw ApiError.conflict("timed-out", "assignment " + id + " passed its deadline and was reissued");
      default -> throw ApiError.conflict("aborted", "assignment " + id + " was " + state.name().toLowerCase()
          + " and no longer takes results");
    }
  }

  void abort(Principal p, String assignmentId, Request request, Response response, Callback callback) {
    JsonNode body = Http.optionalJsonBody(request, s.maxJsonBytes());
    AbortRequest req = body == null ? new AbortRequest(null) : Http.convert(body, AbortRequest.class);
    String reason = req.reason() == null || req.reason().isBlank() ? "unspecified" : req.reason().trim();
    if (reason.length() > 500) {
      reason = reason.substring(0, 500);
    }
    Transitioner.Outcome out = s.transitioner().abort(p.name(), assignmentId, reason);
    if (!out.done()) {
      if (out.refusal() == Transitioner.Refusal.NOT_FOUND) {
        throw ApiError.notFound("no assignment " + assignmentId + " issued to this device");
      }
      refuseIfNotIssued(out.state(), assignmentId);
    }
    Http.json(response, callback, 200, Map.of("aborted", true, "state", out.state().name()));
  }
}
