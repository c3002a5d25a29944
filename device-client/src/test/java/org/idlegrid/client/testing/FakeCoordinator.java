package org.idlegrid.client.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.signing.Ed25519;

/**
 * A coordinator faked with WireMock, for what a real coordinator cannot be made to do (and
 * until the real one exists): it enrolls, offers signed assignments once, serves blobs, takes
 * results and aborts. Assignments are signed with a real Ed25519 coordinator key.
 */
public final class FakeCoordinator implements AutoCloseable {
  public static final String WORK = "/api/v1/devices/dev-1/work";
  public final WireMockServer server = new WireMockServer(options().dynamicPort().asynchronousResponseEnabled(true));
  public final Ed25519.KeyPair key = Ed25519.generate();
  private int offers;

  public FakeCoordinator() {
    server.start();
    ObjectNode enrolled = Json.mapper().createObjectNode()
        .put("deviceId", "dev-1").put("token", "tok-secret-1").put("coordinatorKey", key.publicKey().base64());
    server.stubFor(post(urlEqualTo("/api/v1/devices")).willReturn(json(201, enrolled)));
    server.stubFor(post(urlEqualTo(WORK)).atPriority(10).willReturn(aResponse().withStatus(204)));
    server.stubFor(post(urlPathMatching("/api/v1/assignments/[^/]+/result"))
        .willReturn(json(200, Json.tree("{\"accepted\":true}"))));
    server.stubFor(post(urlPathMatching("/api/v1/assignments/[^/]+/abort")).willReturn(aResponse().withStatus(200)));
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.port());
  }

  public static ResponseDefinitionBuilder json(int status, JsonNode body) {
    return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(Json.write(body));
  }

  /** Serves {@code bytes} at /api/v1/blobs/{@code hex}. */
  public void blob(String hex, byte[] bytes) {
    server.stubFor(get(urlEqualTo("/api/v1/blobs/" + hex)).willReturn(aResponse().withStatus(200).withBody(bytes)));
  }

  /** A model ref for {@code bytes}, served here. */
  public ModelRef model(byte[] bytes) {
    String hex = Hashes.sha256Hex(bytes);
    blob(hex, bytes);
    return new ModelRef(Hashes.PREFIX + hex, "/api/v1/blobs/" + hex, "OnnxRuntime", bytes.length);
  }

  public Assignment assignment(String id, ModelRef model, List<JsonNode> records, Instant deadline) {
    return new Assignment(id, "unit-" + id, "job-1", model, records, null, deadline.toString(), null, null);
  }

  /** The assignment as JSON, signed by {@code signer} (the coordinator key, or another to test refusal). */
  public ObjectNode signed(Assignment a, Ed25519.KeyPair signer) {
    ObjectNode tree = Json.toTree(a.withSignature(key.keyId(), null));
    tree.put("signature", signer.privateKey().signJson(tree));
    return tree;
  }

  public ObjectNode signed(Assignment a) {
    return signed(a, key);
  }

  /** The next work request gets these assignments (as JSON trees, sent as they are); later ones 204. */
  public void offer(JsonNode... assignments) {
    String scenario = "offer-" + (++offers);
    ObjectNode body = Json.mapper().createObjectNode();
    body.putArray("assignments").addAll(List.of(assignments));
    server.stubFor(post(urlEqualTo(WORK)).atPriority(1).inScenario(scenario)
        .whenScenarioStateIs(Scenario.STARTED).willReturn(json(200, body)).willSetStateTo("taken"));
  }

  public List<LoggedRequest> requests(String urlRegex) {
    return server.findAll(postRequestedFor(urlMatching(urlRegex)));
  }

  public List<LoggedRequest> results(String assignmentId) {
    return requests("/api/v1/assignments/" + assignmentId + "/result");
  }

  public List<LoggedRequest> aborts(String assignmentId) {
    return requests("/api/v1/assignments/" + assignmentId + "/abort");
  }

  public static String header(LoggedRequest r, String name) {
    return r.getHeader(name);
  }

  public static com.github.tomakehurst.wiremock.matching.StringValuePattern eq(String s) {
    return equalTo(s);
  }

  /** Polls {@code condition} every 10 ms until true or {@code timeoutMs} passes. */
  public static void eventually(long timeoutMs, String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + timeoutMs * 1_000_000;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      Thread.sleep(10);
    }
  }

  @Override
  public void close() {
    server.stop();
  }
}
