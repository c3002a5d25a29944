package org.idlegrid.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.idlegrid.client.testing.FakeCoordinator.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.idlegrid.client.eligibility.Decision;
import org.idlegrid.client.eligibility.ManualEligibility;
import org.idlegrid.client.eligibility.PauseFlag;
import org.idlegrid.client.identity.Identity;
import org.idlegrid.client.net.Backoff;
import org.idlegrid.client.status.ClientStatus;
import org.idlegrid.client.status.StatusFile;
import org.idlegrid.client.testing.FakeCoordinator;
import org.idlegrid.client.testing.TestModels;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Assignment;
import org.idlegrid.protocol.ModelRef;
import org.idlegrid.signing.Ed25519;
import org.idlegrid.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole client against a WireMock-served fake coordinator, with the real digits model. */
class DeviceClientTest {
  @TempDir
  Path state;
  FakeCoordinator coordinator;
  ManualEligibility eligibility;
  ModelRef mlp;
  List<JsonNode> records;
  DeviceClient client;

  @BeforeEach
  void setUp() throws Exception {
    coordinator = new FakeCoordinator();
    eligibility = ManualEligibility.eligible();
    mlp = coordinator.model(Files.readAllBytes(TestModels.file("digits-mlp.onnx")));
    records = TestModels.digitsRecords().subList(0, 40);
  }

  @AfterEach
  void tearDown() {
    if (client != null) {
      client.close();
    }
    coordinator.close();
  }

  ClientConfig.Builder config() {
    return ClientConfig.builder(coordinator.url(), state)
        .eligibility(eligibility)
        .name("test-device")
        .checkInterval(Duration.ofMillis(20))
        .minPollInterval(Duration.ofMillis(20))
        .statusInterval(Duration.ofMillis(200))
        .pollWait(Duration.ofSeconds(1))
        .backoff(Backoff.of(Duration.ofMillis(5), Duration.ofMillis(50)))
        .deliveryAttempts(2);
  }

  Assignment assignment(String id) {
    return coordinator.assignment(id, mlp, records, Instant.now().plusSeconds(600));
  }

  @Test
  void enrollsRunsASignedUnitAndUploadsTheDeviceSignedResult() throws Exception {
    coordinator.offer(coordinator.signed(assignment("a-1")));
    client = DeviceClient.start(config().build());
    eventually(20_000, "result uploaded", () -> coordinator.results("a-1").size() == 1);

    LoggedRequest enroll = coordinator.requests("/api/v1/devices").get(0);
    JsonNode req = Json.tree(enroll.getBodyAsString());
    assertEquals(client.publicKey().base64(), req.get("publicKey").asText());
    assertEquals("test-device", req.get("name").asText());
    assertEquals("device-" + client.publicKey().keyId(), req.get("owner").asText(), "default owner is per device");
    assertEquals("OnnxRuntime", req.get("engines").get(0).asText());
    assertTrue(req.get("platform").get("cores").asInt() > 0);
    assertFalse(req.get("engineVersions").path("OnnxRuntime").asText().isEmpty());

    LoggedRequest upload = coordinator.results("a-1").get(0);
    assertEquals("Bearer tok-secret-1", upload.getHeader("Authorization"));
    ObjectNode result = (ObjectNode) Json.tree(upload.getBodyAsString());
    assertTrue(client.publicKey().verifyJson(result), "signed by the enrolled device key");
    List<JsonNode> expected = TestModels.jsonl("digits-mlp.expected.jsonl");
    assertEquals(records.size(), result.get("outputs").size());
    for (int i = 0; i < records.size(); i++) {
      double[] got = Tensor.parse(result.get("outputs").get(i).get("logits")).data();
      double[] want = Tensor.parse(expected.get(i).get("logits")).data();
      for (int k = 0; k < 10; k++) {
        assertEquals(want[k], got[k], 1e-4);
      }
    }
    eventually(5_000, "outbox emptied", () -> client.status().outbox() == 0);
    assertEquals(1, client.status().resultsDone());
    var ownerOnly = PosixFilePermissions.fromString("rw-------");
    assertEquals(ownerOnly, Files.getPosixFilePermissions(state.resolve(Identity.KEY_FILE)));
    assertEquals(ownerOnly, Files.getPosixFilePermissions(state.resolve(Identity.ENROLLMENT_FILE)));
    assertFalse(Files.readString(state.resolve(StatusFile.FILE)).contains("tok-secret-1"));
  }

  @Test
  void restartOnTheSameStateDirDoesNotEnrollAgain() throws Exception {
    client = DeviceClient.start(config().build());
    String id = client.deviceId();
    client.close();
    client = DeviceClient.start(config().build());
    assertEquals(id, client.deviceId());
    assertEquals(1, coordinator.requests("/api/v1/devices").size());
    eventually(5_000, "polls with the stored token", () -> !coordinator.requests(FakeCoordinator.WORK).isEmpty());
    assertEquals("Bearer tok-secret-1", coordinator.requests(FakeCoordinator.WORK).get(0).getHeader("Authorization"));
  }

  @Test
  void anotherCoordinatorUrlEnrollsAgain() throws Exception {
    client = DeviceClient.start(config().build());
    client.close();
    var other = java.net.URI.create("http://localhost:" + coordinator.server.port());
    client = DeviceClient.start(ClientConfig.builder(other, state).eligibility(eligibility).build());
    assertEquals(2, coordinator.requests("/api/v1/devices").size());
  }

  @Test
  void assignmentSignedByAnotherKeyIsRefusedReportedAndNeverRun() throws Exception {
    coordinator.offer(coordinator.signed(assignment("forged"), Ed25519.generate()));
    client = DeviceClient.start(config().build());
    eventually(10_000, "abort reported", () -> coordinator.aborts("forged").size() == 1);
    String reason = Json.tree(coordinator.aborts("forged").get(0).getBodyAsString()).get("reason").asText();
    assertTrue(reason.startsWith("error: bad signature"), reason);
    assertTrue(coordinator.results("forged").isEmpty());
    coordinator.server.verify(0, WireMock.getRequestedFor(WireMock.urlMatching("/api/v1/blobs/.*")));
  }

  @Test
  void assignmentWithATamperedFieldIsRefusedAndNeverRun() throws Exception {
    ObjectNode tampered = coordinator.signed(assignment("tampered"));
    ((ObjectNode) tampered.get("records").get(0)).putArray("pixels").add(1.0); // changed after signing
    coordinator.offer(tampered);
    client = DeviceClient.start(config().build());
    eventually(10_000, "abort reported", () -> coordinator.aborts("tampered").size() == 1);
    assertTrue(coordinator.results("tampered").isEmpty());
    coordinator.server.verify(0, WireMock.getRequestedFor(WireMock.urlMatching("/api/v1/blobs/.*")));
  }

  @Test
  void modelWhoseBytesDoNotMatchTheSignedHashIsRefused() throws Exception {
    byte[] real = Files.readAllBytes(TestModels.file("digits-mlp.onnx"));
    byte[] evil = real.clone();
    evil[evil.length - 1] ^= 1;
    String hex = org.idlegrid.json.Hashes.sha256Hex(real);
    coordinator.blob(hex, evil); // the coordinator (or someone between) serves other bytes
    coordinator.offer(coordinator.signed(assignment("bad-model")));
    client = DeviceClient.start(config().build());
    eventually(10_000, "abort reported", () -> coordinator.aborts("bad-model").size() == 1);
    String reason = Json.tree(coordinator.aborts("bad-model").get(0).getBodyAsString()).get("reason").asText();
    assertTrue(reason.startsWith("error: model sha256 mismatch"), reason);
    assertTrue(coordinator.results("bad-model").isEmpty());
    assertFalse(Files.exists(state.resolve("models").resolve(hex)), "nothing cached");
  }

  @Test
  void expiredAssignmentIsNotStarted() throws Exception {
    coordinator.offer(coordinator.signed(coordinator.assignment("late", mlp, records, Instant.now().minusSeconds(5))));
    client = DeviceClient.start(config().build());
    eventually(10_000, "abort reported", () -> coordinator.aborts("late").size() == 1);
    assertEquals("expired", Json.tree(coordinator.aborts("late").get(0).getBodyAsString()).get("reason").asText());
    coordinator.server.verify(0, WireMock.getRequestedFor(WireMock.urlMatching("/api/v1/blobs/.*")));
  }

  @Test
  void resultSurvivesACrashAndIsDeliveredExactlyOnceAfterRestart() throws Exception {
    coordinator.server.stubFor(post(urlEqualTo("/api/v1/assignments/c-1/result")).atPriority(1)
        .willReturn(aResponse().withStatus(503)));
    coordinator.offer(coordinator.signed(assignment("c-1")));
    client = DeviceClient.start(config().build());
    eventually(20_000, "upload tried", () -> coordinator.results("c-1").size() >= 2);
    client.kill();
    client = null;
    Path stored = state.resolve("outbox").resolve("c-1.json");
    assertTrue(Files.exists(stored), "the result waits in the outbox");
    byte[] signed = Files.readAllBytes(stored);

    coordinator.server.resetRequests();
    coordinator.server.stubFor(post(urlEqualTo("/api/v1/assignments/c-1/result")).atPriority(1)
        .willReturn(aResponse().withStatus(200).withBody("{\"accepted\":true}")));
    client = DeviceClient.start(config().build());
    eventually(10_000, "outbox delivered", () -> !Files.exists(stored));
    eventually(5_000, "polling again", () -> coordinator.requests(FakeCoordinator.WORK).size() >= 3);
    assertEquals(1, coordinator.results("c-1").size(), "delivered once");
    assertEquals(new String(signed), coordinator.results("c-1").get(0).getBodyAsString(), "the stored bytes, as signed");
    assertTrue(coordinator.aborts("c-1").isEmpty(), "a crash sends no abort");
  }

  @Test
  void alreadyReturnedResultLeavesTheOutbox() throws Exception {
    coordinator.server.stubFor(post(urlEqualTo("/api/v1/assignments/d-1/result")).atPriority(1)
        .willReturn(FakeCoordinator.json(409, Json.tree("{\"error\":\"already-returned\",\"message\":\"sent twice\"}"))));
    coordinator.offer(coordinator.signed(assignment("d-1")));
    client = DeviceClient.start(config().build());
    eventually(20_000, "result answered", () -> coordinator.results("d-1").size() == 1);
    eventually(5_000, "outbox emptied", () -> !Files.exists(state.resolve("outbox").resolve("d-1.json")));
    eventually(5_000, "polling again", () -> coordinator.requests(FakeCoordinator.WORK).size() >= 3);
    assertEquals(1, coordinator.results("d-1").size(), "not retried");
  }

  /** The model download takes 700 ms, so the unit is surely still running when the test acts. */
  void slowModelDownload() {
    coordinator.server.stubFor(get(urlEqualTo(mlp.url())).willReturn(aResponse().withStatus(200)
        .withBody(readModel()).withFixedDelay(700)));
  }

  byte[] readModel() {
    try {
      return Files.readAllBytes(TestModels.file("digits-mlp.onnx"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void userActivityStopsTheUnitAbortsItAndWaitsUntilEligibleAgain() throws Exception {
    slowModelDownload();
    coordinator.offer(coordinator.signed(assignment("u-1")));
    client = DeviceClient.start(config().build());
    eventually(10_000, "unit running", () -> client.status().state() == ClientStatus.State.WORKING);
    eligibility.set(Decision.refuse("user-active"));
    eventually(10_000, "abort reported", () -> coordinator.aborts("u-1").size() == 1);
    assertEquals("user-active", Json.tree(coordinator.aborts("u-1").get(0).getBodyAsString()).get("reason").asText());
    assertTrue(coordinator.results("u-1").isEmpty());
    assertEquals(ClientStatus.State.INELIGIBLE, client.status().state());
    int polls = coordinator.requests(FakeCoordinator.WORK).size();
    eventually(2_000, "several eligibility checks", () -> client.status().reason().equals("user-active"));
    assertEquals(polls, coordinator.requests(FakeCoordinator.WORK).size(), "no work requests while ineligible");
    eligibility.allow();
    eventually(5_000, "asks for work again", () -> coordinator.requests(FakeCoordinator.WORK).size() > polls);
  }

  @Test
  void pauseFileStopsWorkAndResumeStartsItAgain() throws Exception {
    client = DeviceClient.start(config().build());
    eventually(5_000, "polling", () -> !coordinator.requests(FakeCoordinator.WORK).isEmpty());
    PauseFlag.pause(state);
    eventually(5_000, "paused", () -> "paused".equals(client.status().reason()));
    int polls = coordinator.requests(FakeCoordinator.WORK).size();
    Thread.sleep(200); // ten eligibility checks
    assertEquals(polls, coordinator.requests(FakeCoordinator.WORK).size(), "no work requests while paused");
    assertEquals("INELIGIBLE", Json.tree(Files.readString(state.resolve(StatusFile.FILE))).get("state").asText());
    PauseFlag.resume(state);
    eventually(5_000, "asks for work again", () -> coordinator.requests(FakeCoordinator.WORK).size() > polls);
  }

  @Test
  void shutdownDuringAUnitAbortsItWithReasonShutdown() throws Exception {
    slowModelDownload();
    coordinator.offer(coordinator.signed(assignment("s-1")));
    client = DeviceClient.start(config().build());
    eventually(10_000, "unit running", () -> client.status().state() == ClientStatus.State.WORKING);
    client.close();
    assertFalse(client.isRunning());
    assertEquals(1, coordinator.aborts("s-1").size());
    assertEquals("shutdown", Json.tree(coordinator.aborts("s-1").get(0).getBodyAsString()).get("reason").asText());
    assertEquals("STOPPED", Json.tree(Files.readString(state.resolve(StatusFile.FILE))).get("state").asText());
    client = null;
  }

  @Test
  void ownerPolicyRefusesWhenItCannotTellThePowerSourceAsksForNoWorkAndShowsItsReadings() throws Exception {
    var probes = new org.idlegrid.client.probe.Probes(
        org.idlegrid.client.probe.PowerProbe.unknown("no power_supply in sysfs, no upower"),
        () -> org.idlegrid.client.probe.IdleProbe.Idle.of(Duration.ofHours(1), "test"),
        () -> new org.idlegrid.client.probe.LoadProbe.Load(0.0, 0.0, "test"),
        org.idlegrid.client.probe.ThermalProbe.unknown("none"), () -> null);
    var policy = new org.idlegrid.client.eligibility.OwnerPolicy(probes,
        org.idlegrid.client.eligibility.Preferences.defaults(), java.time.Clock.systemUTC());
    client = DeviceClient.start(config().eligibility(policy).build());
    eventually(5_000, "reason shown", () -> client.status().state() == ClientStatus.State.INELIGIBLE);
    assertTrue(client.status().reason().startsWith("cannot tell whether the device is on AC power"), client.status().reason());
    assertEquals("no power_supply in sysfs, no upower", client.status().readings().power().detail());
    assertNotNull(client.deviceId());
    assertTrue(coordinator.requests(FakeCoordinator.WORK).isEmpty());
  }

  @Test
  void twoSlotsRunTwoAssignmentsFromOnePollAndDeliverBoth() throws Exception {
    coordinator.offer(coordinator.signed(assignment("p-1")), coordinator.signed(assignment("p-2")));
    client = DeviceClient.start(config().slots(2).build());
    eventually(20_000, "both delivered", () -> coordinator.results("p-1").size() == 1 && coordinator.results("p-2").size() == 1);
    assertEquals(2, Json.tree(coordinator.requests(FakeCoordinator.WORK).get(0).getBodyAsString()).get("slots").asInt());
    assertEquals(Json.tree(coordinator.results("p-1").get(0).getBodyAsString()).get("outputs"),
        Json.tree(coordinator.results("p-2").get(0).getBodyAsString()).get("outputs"), "same unit, same outputs");
  }

  @Test
  void inputUrlRecordsAreFetchedCheckedAgainstTheirHashAndRun() throws Exception {
    StringBuilder jsonl = new StringBuilder();
    for (JsonNode r : records.subList(0, 3)) {
      jsonl.append(Json.write(r)).append('\n');
    }
    byte[] input = jsonl.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String hex = org.idlegrid.json.Hashes.sha256Hex(input);
    coordinator.blob(hex, input);
    Assignment a = new Assignment("i-1", "u-i", "job-1", mlp, null, "/api/v1/blobs/" + hex,
        Instant.now().plusSeconds(600).toString(), null, null);
    coordinator.offer(coordinator.signed(a));
    client = DeviceClient.start(config().build());
    eventually(20_000, "result delivered", () -> coordinator.results("i-1").size() == 1);
    assertEquals(3, Json.tree(coordinator.results("i-1").get(0).getBodyAsString()).get("outputs").size());
  }

  @Test
  void cachedModelsAreAnnouncedInLaterWorkRequests() throws Exception {
    coordinator.offer(coordinator.signed(assignment("k-1")));
    client = DeviceClient.start(config().build());
    eventually(20_000, "result delivered", () -> coordinator.results("k-1").size() == 1);
    eventually(5_000, "polled after the unit", () -> coordinator.requests(FakeCoordinator.WORK).size() >= 2);
    var polls = coordinator.requests(FakeCoordinator.WORK);
    JsonNode last = Json.tree(polls.get(polls.size() - 1).getBodyAsString());
    assertEquals(mlp.id(), last.get("cachedModels").get(0).asText());
    assertEquals(1000, last.get("waitMs").asInt());
  }

  /** Offers one unit of 4,000 sentences for the real MiniLM model: far longer than any test waits. */
  private void offerLongTextUnit(String id) throws Exception {
    Path archive = org.idlegrid.client.runner.TextModelArchive.fromMiniLmJarResources(state.resolveSibling(
        state.getFileName() + "-minilm.zip"));
    ModelRef minilm = coordinator.model(Files.readAllBytes(archive));
    List<JsonNode> texts = new java.util.ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      texts.add(Json.tree("{\"text\":\"record " + i + ": a volunteer grid computes embeddings only while the owner is"
          + " away, the machine is on mains power and nothing else needs the processor\"}"));
    }
    coordinator.offer(coordinator.signed(coordinator.assignment(id, minilm, texts, Instant.now().plusSeconds(600))));
  }

  @Test
  void ineligibilityStopsALongRealUnitWithinSecondsAbortsItAndTheUnitNeverCompletes() throws Exception {
    offerLongTextUnit("long-1");
    client = DeviceClient.start(config().build());
    assertFalse(client.status().runtimeLoaded(), "no inference runtime before work arrives");
    eventually(30_000, "inference running", () -> client.status().runtimeLoaded()
        && client.status().state() == ClientStatus.State.WORKING);
    Thread.sleep(1000); // well inside the unit: 4000 records take far longer than this
    long t0 = System.nanoTime();
    eligibility.set(Decision.refuse("user-active"));
    eventually(10_000, "abort reported", () -> coordinator.aborts("long-1").size() == 1);
    long stopMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(stopMs < 5_000, "stopped and reported in " + stopMs + " ms");
    assertEquals("user-active", Json.tree(coordinator.aborts("long-1").get(0).getBodyAsString()).get("reason").asText());
    assertEquals(ClientStatus.State.INELIGIBLE, client.status().state());
    assertEquals(1, client.status().unitsAborted());
    Thread.sleep(500);
    assertTrue(coordinator.results("long-1").isEmpty(), "the unit never completed");
    assertEquals(0, client.status().outbox());
    assertEquals(0, client.status().resultsDone());
  }

  @Test
  void aSlowStillWantedAnswerNeverDelaysTheEligibilityCheckThatStopsAUnit() throws Exception {
    offerLongTextUnit("long-2");
    // the coordinator takes 20 s to say whether the unit is still wanted (it is)
    coordinator.server.stubFor(com.github.tomakehurst.wiremock.client.WireMock.get(
            com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo("/api/v1/assignments/long-2"))
        .willReturn(com.github.tomakehurst.wiremock.client.WireMock.aResponse().withStatus(200).withFixedDelay(20_000)
            .withBody("{\"assignmentId\":\"long-2\",\"state\":\"ISSUED\"}")));
    client = DeviceClient.start(config().stillWantedInterval(Duration.ofMillis(100)).build());
    eventually(30_000, "inference running", () -> client.status().state() == ClientStatus.State.WORKING);
    eventually(10_000, "the question is out", () -> !coordinator.server.findAll(
        com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor(
            com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo("/api/v1/assignments/long-2"))).isEmpty());
    long t0 = System.nanoTime();
    eligibility.set(Decision.refuse("user-active"));
    eventually(10_000, "abort reported", () -> coordinator.aborts("long-2").size() == 1);
    long stopMs = (System.nanoTime() - t0) / 1_000_000;
    assertTrue(stopMs < 5_000, "stopped and reported in " + stopMs + " ms, not after the 20 s answer");
    assertEquals("user-active", Json.tree(coordinator.aborts("long-2").get(0).getBodyAsString()).get("reason").asText());
  }

  @Test
  void pauseAndResumeCommandsReachTheRunningClientOverItsControlChannel() throws Exception {
    client = DeviceClient.start(config().build());
    eventually(5_000, "polling", () -> !coordinator.requests(FakeCoordinator.WORK).isEmpty());
    assertTrue(client.controlPort() > 0);
    assertEquals(0, Main.execute("pause", "--state-dir", state.toString()));
    eventually(5_000, "paused", () -> "paused".equals(client.status().reason()));
    assertTrue(client.status().paused());
    assertTrue(PauseFlag.isPaused(state), "the pause survives a restart");
    int polls = coordinator.requests(FakeCoordinator.WORK).size();
    assertEquals(0, Main.execute("status", "--state-dir", state.toString()), "a running client answers");
    Thread.sleep(200);
    assertEquals(polls, coordinator.requests(FakeCoordinator.WORK).size(), "no work requests while paused");
    assertEquals(0, Main.execute("resume", "--state-dir", state.toString()));
    eventually(5_000, "asks for work again", () -> coordinator.requests(FakeCoordinator.WORK).size() > polls);
    client.close();
    assertFalse(Files.exists(state.resolve("control.json")), "removed on a clean stop");
    assertEquals(3, Main.execute("status", "--state-dir", state.toString()), "not running");
    client = null;
  }

  @Test
  void theInferenceRuntimeIsReleasedAfterAWhileWithoutWork() throws Exception {
    coordinator.offer(coordinator.signed(assignment("r-1")));
    client = DeviceClient.start(config().runnerIdleRelease(Duration.ofMillis(300)).build());
    eventually(20_000, "result uploaded", () -> coordinator.results("r-1").size() == 1);
    eventually(5_000, "runtime released", () -> !client.status().runtimeLoaded());
  }

  @Test
  void energyMeasuredByRaplTravelsWithTheResultAndIsAbsentWithoutIt() throws Exception {
    Path rapl = state.resolveSibling(state.getFileName() + "-powercap").resolve("intel-rapl:0");
    Files.createDirectories(rapl);
    Files.writeString(rapl.resolve("energy_uj"), "5000000\n");
    Files.writeString(rapl.resolve("max_energy_range_uj"), "262143328850\n");
    coordinator.offer(coordinator.signed(assignment("e-1")));
    client = DeviceClient.start(config().energy(new org.idlegrid.client.probe.EnergyMeter(rapl.getParent())).build());
    eventually(20_000, "result uploaded", () -> coordinator.results("e-1").size() == 1);
    JsonNode result = Json.tree(coordinator.results("e-1").get(0).getBodyAsString());
    assertTrue(result.get("energyJ").isNumber(), result.toString());
    assertTrue(client.publicKey().verifyJson((ObjectNode) result), "energyJ is covered by the signature");
    client.close();
    coordinator.offer(coordinator.signed(assignment("e-2")));
    client = DeviceClient.start(config().energy(new org.idlegrid.client.probe.EnergyMeter(state.resolve("none"))).build());
    eventually(20_000, "result uploaded", () -> coordinator.results("e-2").size() == 1);
    assertNull(Json.tree(coordinator.results("e-2").get(0).getBodyAsString()).get("energyJ"));
  }
}
