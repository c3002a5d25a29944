package org.idlegrid.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.idlegrid.coordinator.auth.Secrets;
import org.idlegrid.coordinator.store.DeviceState;
import org.idlegrid.coordinator.store.Role;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.coordinator.store.Rows;
import org.idlegrid.json.Json;

/** Admin calls: API keys, enrollment tokens, devices (list, inspect, ban, release). */
final class AdminApi {
  private final Services s;

  AdminApi(Services s) {
    this.s = s;
  }

  private Instant now() {
    return Instant.ofEpochMilli(s.clock().millis());
  }

  void createKey(Request request, Response response, Callback callback) {
    JsonNode body = Http.jsonBody(request, s.maxJsonBytes());
    if (!body.isObject()) {
      throw new ApiError(400, "malformed-json", "the body must be a JSON object {\"role\",\"name\"}");
    }
    String name = body.path("name").isTextual() ? body.get("name").asText() : null;
    if (name == null || !SubmitterApi.NAME.matcher(name).matches()) {
      throw ApiError.invalid("invalid-key", "name must be 1-128 letters, digits, '.', '_' or '-'");
    }
    Role role;
    try {
      role = Role.fromWire(body.path("role").isTextual() ? body.get("role").asText() : null);
    } catch (IllegalArgumentException e) {
      throw ApiError.invalid("invalid-key", e.getMessage());
    }
    String key = Secrets.newSecret(Secrets.API_KEY_PREFIX);
    Instant now = now();
    boolean created = s.store().transaction(tx -> tx.insertApiKey(name, Secrets.hash(key), role, now));
    if (!created) {
      throw ApiError.conflict("key-exists", "a key named " + name + " exists: delete it first or pick another name");
    }
    Http.json(response, callback, 201, Map.of("key", key, "name", name, "role", role.wire()));
  }

  void deleteKey(String name, Response response, Callback callback) {
    String refusal = s.store().transaction(tx -> {
      Rows.ApiKey key = tx.apiKey(name).orElse(null);
      if (key == null) {
        return "missing";
      }
      if (key.role() == Role.ADMIN && tx.countApiKeys(Role.ADMIN) <= 1) {
        return "last";
      }
      tx.deleteApiKey(name);
      return null;
    });
    if ("missing".equals(refusal)) {
      throw ApiError.notFound("no key named " + name);
    }
    if ("last".equals(refusal)) {
      throw ApiError.conflict("last-admin-key", "this is the last admin key: create another admin key first");
    }
    Http.json(response, callback, 200, Map.of("deleted", name));
  }

  void createEnrollmentToken(Principal p, Response response, Callback callback) {
    String token = Secrets.newSecret(Secrets.ENROLLMENT_TOKEN_PREFIX);
    Instant now = now();
    s.store().transaction(tx -> {
      tx.insertEnrollmentToken(Secrets.hash(token), p.name(), now);
      return null;
    });
    Http.json(response, callback, 201, Map.of("token", token));
  }

  /** One device, with its trust on each model (the list leaves that out). */
  ObjectNode deviceView(Rows.Device d) {
    Rows.DeviceTrust t = s.store().transaction(tx -> tx.deviceTrust(d.id())).orElse(null);
    Map<String, Integer> streaks = s.store().transaction(tx -> tx.modelStreaks(d.id()));
    TrustPolicy policy = s.trust().policy();
    ObjectNode o = deviceView(d, t, policy);
    ObjectNode models = ((ObjectNode) o.get("trust")).putObject("models");
    streaks.forEach((model, streak) -> {
      ObjectNode m = models.putObject(model);
      m.put("streak", streak);
      m.put("trusted", o.get("trust").get("trusted").asBoolean() && policy.trusted(streak));
    });
    return o;
  }

  static ObjectNode deviceView(Rows.Device d, Rows.DeviceTrust t, TrustPolicy policy) {
    ObjectNode o = Json.mapper().createObjectNode();
    o.put("id", d.id());
    o.put("name", d.name());
    o.put("owner", d.owner());
    if (d.platformJson() != null) {
      o.set("platform", Json.tree(d.platformJson()));
    }
    if (d.enginesJson() != null) {
      o.set("engines", Json.tree(d.enginesJson()));
    }
    o.put("publicKey", d.publicKey());
    o.put("state", d.state().name());
    o.put("reason", d.stateReason());
    ObjectNode trust = o.putObject("trust");
    int streak = t == null ? 0 : t.streak();
    trust.put("streak", streak);
    trust.put("trusted", d.state() == DeviceState.ACTIVE && policy.trusted(streak));
    trust.put("threshold", policy.trustThreshold());
    // vouches for a quorum it is part of (docs/verification.md, "A quorum of strangers")
    trust.put("vouches", d.state() == DeviceState.ACTIVE && policy.vouchStreak() > 0 && policy.vouches(streak));
    trust.put("spotCheckProbability", Math.round(policy.spotCheckProbability(streak) * 10_000) / 10_000.0);
    trust.put("risk", t == null ? 0.0 : Math.round(t.onTrustRisk() * 10_000) / 10_000.0);
    trust.put("riskBudget", policy.riskBudget());
    trust.put("trustedSince", t == null || t.trustedSince() == null ? null : t.trustedSince().toString());
    trust.put("lastCheckAt", t == null || t.lastCheckAt() == null ? null : t.lastCheckAt().toString());
    trust.put("lastFailedAt", t == null || t.lastFailedAt() == null ? null : t.lastFailedAt().toString());
    trust.put("checksFailed", t == null ? 0 : t.checksFailed());
    if (t != null && t.network() != null) {
      o.put("network", t.network());
    }
    if (t != null && t.platformClass() != null) {
      o.put("platformClass", t.platformClass());
    }
    ObjectNode results = o.putObject("results");
    results.put("returned", d.resultsReturned());
    results.put("valid", d.resultsValid());
    results.put("invalid", d.resultsInvalid());
    results.put("errored", t == null ? 0 : t.resultsErrored());
    results.put("timedOut", t == null ? 0 : t.resultsTimedOut());
    o.put("credit", d.credit());
    o.put("enrolledAt", d.enrolledAt().toString());
    o.put("lastSeen", d.lastSeen() == null ? null : d.lastSeen().toString());
    return o;
  }

  void listDevices(Response response, Callback callback) {
    record Both(Rows.Device d, Rows.DeviceTrust t) {}
    List<Both> devices = s.store().transaction(tx -> tx.devices().stream()
        .map(d -> new Both(d, tx.deviceTrust(d.id()).orElse(null))).toList());
    ObjectNode out = Json.mapper().createObjectNode();
    var arr = out.putArray("devices");
    devices.forEach(b -> arr.add(deviceView(b.d(), b.t(), s.trust().policy())));
    Http.json(response, callback, 200, out);
  }

  private Rows.Device device(String id) {
    return s.store().transaction(tx -> tx.device(id)).orElseThrow(() -> ApiError.notFound("no device " + id));
  }

  void getDevice(String id, Response response, Callback callback) {
    Http.json(response, callback, 200, deviceView(device(id)));
  }

  void ban(String id, Request request, Response response, Callback callback) {
    JsonNode body = Http.optionalJsonBody(request, s.maxJsonBytes());
    String reason = body != null && body.path("reason").isTextual() ? body.get("reason").asText() : "banned by an admin";
    Rows.Device d = device(id);
    if (!s.transitioner().banDevice(id, reason.length() > 500 ? reason.substring(0, 500) : reason)) {
      throw ApiError.conflict("already-banned", "device " + id + " is " + d.state());
    }
    Http.json(response, callback, 200, deviceView(device(id)));
  }

  void release(String id, Response response, Callback callback) {
    Rows.Device d = device(id);
    if (!s.transitioner().releaseDevice(id)) {
      throw ApiError.conflict("not-restricted", "device " + id + " is " + d.state() + " already");
    }
    Http.json(response, callback, 200, deviceView(device(id)));
  }
}
