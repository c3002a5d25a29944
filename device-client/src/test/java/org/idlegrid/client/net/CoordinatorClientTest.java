package org.idlegrid.client.net;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.idlegrid.json.Hashes;
import org.idlegrid.protocol.WorkRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Faults a real coordinator cannot be made to produce, injected with WireMock. */
class CoordinatorClientTest {
  static final String RESULT = "/api/v1/assignments/a-1/result";
  WireMockServer server;
  final List<Duration> slept = new CopyOnWriteArrayList<>();
  final StopSignal stop = new StopSignal();
  final Clock clock = Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC);
  CoordinatorClient client;
  @TempDir
  Path tmp;

  @BeforeEach
  void setUp() {
    server = new WireMockServer(options().dynamicPort());
    server.start();
    client = client(URI.create("http://127.0.0.1:" + server.port()));
    client.token("tok-1");
  }

  CoordinatorClient client(URI uri) {
    // jitter fixed at 1: attempt n waits exactly min(max, 100 ms * 2^(n-1))
    return new CoordinatorClient(uri, new Backoff(Duration.ofMillis(100), Duration.ofMillis(400), () -> 1.0),
        slept::add, stop, clock);
  }

  @AfterEach
  void tearDown() {
    server.stop();
  }

  void failThenSucceed(int failures, com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder failure) {
    String state = Scenario.STARTED;
    for (int i = 1; i <= failures; i++) {
      server.stubFor(post(urlEqualTo(RESULT)).inScenario("flaky").whenScenarioStateIs(state)
          .willReturn(failure).willSetStateTo("failed-" + i));
      state = "failed-" + i;
    }
    server.stubFor(post(urlEqualTo(RESULT)).inScenario("flaky").whenScenarioStateIs(state)
        .willReturn(aResponse().withStatus(200).withBody("{\"accepted\":true}")));
  }

  @Test
  void anUnansweredStillWantedQuestionIsAskedOnceAndChangesNothingWhileARefusalMeansStop() {
    server.stubFor(get(urlEqualTo("/api/v1/assignments/a-1")).willReturn(aResponse().withStatus(503)));
    assertEquals(java.util.Optional.empty(), client.assignmentState("a-1"), "unknown: keep computing");
    server.verify(1, getRequestedFor(urlEqualTo("/api/v1/assignments/a-1")));
    assertEquals(List.of(), slept, "no retries: the question comes again at the next check");
    server.stubFor(get(urlEqualTo("/api/v1/assignments/a-2")).willReturn(aResponse().withStatus(200)
        .withBody("{\"assignmentId\":\"a-2\",\"state\":\"ABORTED\",\"reason\":\"unit-decided\"}")));
    assertEquals(java.util.Optional.of("ABORTED"), client.assignmentState("a-2"));
    server.stubFor(get(urlEqualTo("/api/v1/assignments/a-3")).willReturn(aResponse().withStatus(403)
        .withBody("{\"error\":\"device-banned\",\"message\":\"this device is banned\"}")));
    assertEquals(java.util.Optional.of("FORBIDDEN"), client.assignmentState("a-3"), "nobody will take its result");
  }

  @Test
  void serverErrorsAreRetriedWithGrowingCappedBackoffUntilAccepted() {
    failThenSucceed(4, aResponse().withStatus(503));
    assertEquals(200, client.submitResult("a-1", "{}".getBytes(), 10));
    server.verify(5, postRequestedFor(urlEqualTo(RESULT)));
    assertEquals(List.of(Duration.ofMillis(100), Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofMillis(400)), slept);
  }

  @Test
  void connectionResetIsRetried() {
    failThenSucceed(2, aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
    assertEquals(200, client.submitResult("a-1", "{}".getBytes(), 5));
    assertEquals(2, slept.size());
  }

  @Test
  void emptyResponseAndGarbageAreRetried() {
    String state = Scenario.STARTED;
    server.stubFor(post(urlEqualTo(RESULT)).inScenario("f").whenScenarioStateIs(state)
        .willReturn(aResponse().withFault(Fault.EMPTY_RESPONSE)).willSetStateTo("s1"));
    server.stubFor(post(urlEqualTo(RESULT)).inScenario("f").whenScenarioStateIs("s1")
        .willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)).willSetStateTo("s2"));
    server.stubFor(post(urlEqualTo(RESULT)).inScenario("f").whenScenarioStateIs("s2")
        .willReturn(aResponse().withStatus(200)));
    assertEquals(200, client.submitResult("a-1", "{}".getBytes(), 5));
  }

  @Test
  void retryAfterSecondsIsHonouredAsTheLeastWait() {
    failThenSucceed(1, aResponse().withStatus(429).withHeader("Retry-After", "7"));
    assertEquals(200, client.submitResult("a-1", "{}".getBytes(), 5));
    assertEquals(List.of(Duration.ofSeconds(7)), slept);
  }

  @Test
  void retryAfterHttpDateIsHonoured() {
    String at = DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().plusSeconds(90).atZone(ZoneOffset.UTC));
    failThenSucceed(1, aResponse().withStatus(503).withHeader("Retry-After", at));
    assertEquals(200, client.submitResult("a-1", "{}".getBytes(), 5));
    assertEquals(List.of(Duration.ofSeconds(90)), slept);
  }

  @Test
  void givesUpAfterMaxAttemptsWithTransientFailure() {
    server.stubFor(post(urlEqualTo(RESULT)).willReturn(aResponse().withStatus(500)));
    TransientFailure f = assertThrows(TransientFailure.class, () -> client.submitResult("a-1", "{}".getBytes(), 3));
    assertTrue(f.getMessage().contains("after 3 attempt(s)"), f.getMessage());
    server.verify(3, postRequestedFor(urlEqualTo(RESULT)));
    assertEquals(2, slept.size(), "no wait after the last attempt");
  }

  @Test
  void clientErrorsAreAnswersNotRetried() {
    server.stubFor(post(urlEqualTo(RESULT)).willReturn(aResponse().withStatus(403)
        .withBody("{\"error\":\"forbidden\",\"message\":\"not your assignment\"}")));
    assertEquals(403, client.submitResult("a-1", "{}".getBytes(), 5));
    server.verify(1, postRequestedFor(urlEqualTo(RESULT)));
    assertTrue(slept.isEmpty());
  }

  @Test
  void unreachableCoordinatorIsRetriedThenReported() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    CoordinatorClient down = client(URI.create("http://127.0.0.1:" + port));
    assertThrows(TransientFailure.class, () -> down.work("d", new WorkRequest(1, List.of(), 1000), 4));
    assertEquals(3, slept.size());
  }

  @Test
  void workAnswers204AsNothingAndSendsTheBearerToken() {
    server.stubFor(post(urlEqualTo("/api/v1/devices/d/work")).willReturn(aResponse().withStatus(204)));
    assertTrue(client.work("d", new WorkRequest(1, List.of(), 1000), 1).isEmpty());
    server.verify(postRequestedFor(urlEqualTo("/api/v1/devices/d/work"))
        .withHeader("Authorization", com.github.tomakehurst.wiremock.client.WireMock.equalTo("Bearer tok-1")));
  }

  @Test
  void forbiddenWorkRequestIsACoordinatorExceptionWithTheErrorCode() {
    server.stubFor(post(urlEqualTo("/api/v1/devices/d/work")).willReturn(aResponse().withStatus(403)
        .withBody("{\"error\":\"banned\",\"message\":\"device banned: cheating\"}")));
    CoordinatorException e = assertThrows(CoordinatorException.class,
        () -> client.work("d", new WorkRequest(1, List.of(), 1000), 3));
    assertEquals(403, e.status());
    assertEquals("banned", e.error());
  }

  @Test
  void downloadHashesWhileStreamingAndRetriesACutConnection() throws Exception {
    byte[] blob = new byte[300_000];
    new java.util.Random(1).nextBytes(blob);
    server.stubFor(get(urlEqualTo("/api/v1/blobs/x")).inScenario("cut").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE)).willSetStateTo("ok"));
    server.stubFor(get(urlEqualTo("/api/v1/blobs/x")).inScenario("cut").whenScenarioStateIs("ok")
        .willReturn(aResponse().withStatus(200).withBody(blob)));
    Path target = tmp.resolve("blob");
    CoordinatorClient.Download d = client.download("/api/v1/blobs/x", target, blob.length, 3);
    assertEquals(blob.length, d.bytes());
    assertEquals(Hashes.sha256Hex(blob), d.sha256Hex());
    assertEquals(Hashes.sha256Hex(blob), Hashes.sha256Hex(Files.readAllBytes(target)));
  }

  @Test
  void downloadStopsReadingPastTheDeclaredSize() throws Exception {
    server.stubFor(get(urlEqualTo("/api/v1/blobs/big")).willReturn(aResponse().withStatus(200).withBody(new byte[100_000])));
    CoordinatorClient.Download d = client.download("/api/v1/blobs/big", tmp.resolve("b"), 1000, 1);
    assertEquals(1001, d.bytes());
    assertEquals(1001, Files.size(tmp.resolve("b")));
  }

  @Test
  void bearerTokenIsNotSentToAnotherOrigin() throws Exception {
    WireMockServer other = new WireMockServer(options().dynamicPort());
    other.start();
    try {
      other.stubFor(get(urlEqualTo("/m")).willReturn(aResponse().withStatus(200).withBody("x")));
      client.download("http://127.0.0.1:" + other.port() + "/m", tmp.resolve("m"), 10, 1);
      assertNull(other.findAll(getRequestedFor(urlEqualTo("/m"))).get(0).getHeader("Authorization"));
    } finally {
      other.stop();
    }
  }

  @Test
  void stopEndsALongPollAtOnce() throws Exception {
    server.stubFor(post(urlEqualTo("/api/v1/devices/d/work")).willReturn(aResponse().withStatus(204).withFixedDelay(30_000)));
    var thrown = new java.util.concurrent.atomic.AtomicReference<Throwable>();
    Thread t = new Thread(() -> {
      try {
        client.work("d", new WorkRequest(1, List.of(), 20_000), 5);
      } catch (Throwable e) {
        thrown.set(e);
      }
    });
    t.start();
    org.idlegrid.client.testing.FakeCoordinator.eventually(10_000, "poll sent",
        () -> !server.findAll(postRequestedFor(urlEqualTo("/api/v1/devices/d/work"))).isEmpty());
    stop.stop();
    t.join(10_000);
    assertTrue(!t.isAlive(), "the poll ended on stop, long before the coordinator's 30 s answer");
    assertTrue(thrown.get() instanceof StopSignal.Stopped, String.valueOf(thrown.get()));
    assertTrue(slept.isEmpty(), "a stop is not retried");
  }

  @Test
  void aStalledUploadTimesOutAndIsRetried() {
    client.timeouts(Duration.ofMillis(300), Duration.ofMillis(300));
    failThenSucceed(1, aResponse().withStatus(200).withFixedDelay(5_000)); // answers, but far too late
    long t0 = System.nanoTime();
    assertEquals(200, client.submitResult("a-1", "{}".getBytes(), 3));
    assertTrue((System.nanoTime() - t0) / 1_000_000 < 4_000, "did not wait for the stalled answer");
    server.verify(2, postRequestedFor(urlEqualTo(RESULT)));
    assertEquals(1, slept.size());
  }

  @Test
  void aLongPollThatStaysSilentPastItsWaitIsDroppedAndRetried() {
    client.timeouts(Duration.ofMillis(300), Duration.ofMillis(200));
    String work = "/api/v1/devices/d/work";
    server.stubFor(post(urlEqualTo(work)).inScenario("stall").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(204).withFixedDelay(5_000)).willSetStateTo("ok"));
    server.stubFor(post(urlEqualTo(work)).inScenario("stall").whenScenarioStateIs("ok")
        .willReturn(aResponse().withStatus(204)));
    assertTrue(client.work("d", new WorkRequest(1, List.of(), 100), 3).isEmpty());
    server.verify(2, postRequestedFor(urlEqualTo(work)));
  }

  @Test
  void aTruncatedWorkAnswerIsRetriedNotFatal() {
    String work = "/api/v1/devices/d/work";
    server.stubFor(post(urlEqualTo(work)).inScenario("cut").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(200).withBody("{\"assignments\":[{\"assignmentId\":\"a-")).willSetStateTo("ok"));
    server.stubFor(post(urlEqualTo(work)).inScenario("cut").whenScenarioStateIs("ok")
        .willReturn(aResponse().withStatus(200).withBody("{\"assignments\":[]}")));
    var answer = client.work("d", new WorkRequest(1, List.of(), 100), 3);
    assertEquals(0, answer.orElseThrow().get("assignments").size());
    assertEquals(1, slept.size());
  }

  @Test
  void aTruncatedEnrollmentAnswerIsRetried() {
    server.stubFor(post(urlEqualTo("/api/v1/devices")).inScenario("cut").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(201).withBody("{\"deviceId\":\"d-1\",\"tok")).willSetStateTo("ok"));
    server.stubFor(post(urlEqualTo("/api/v1/devices")).inScenario("cut").whenScenarioStateIs("ok")
        .willReturn(aResponse().withStatus(201).withBody("{\"deviceId\":\"d-1\",\"token\":\"t\",\"coordinatorKey\":\"k\"}")));
    var r = client.enroll(new org.idlegrid.protocol.EnrollRequest("pk", "n", "o", null, List.of(), null, null), 3);
    assertEquals("d-1", r.deviceId());
    assertEquals(1, slept.size());
  }

  @Test
  void aDownloadCutShortIsRetriedAndNeverTakenForTheModel() throws Exception {
    byte[] blob = new byte[200_000];
    new java.util.Random(2).nextBytes(blob);
    server.stubFor(get(urlEqualTo("/api/v1/blobs/t")).inScenario("cut").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withStatus(200).withFault(Fault.MALFORMED_RESPONSE_CHUNK)).willSetStateTo("ok"));
    server.stubFor(get(urlEqualTo("/api/v1/blobs/t")).inScenario("cut").whenScenarioStateIs("ok")
        .willReturn(aResponse().withStatus(200).withBody(blob)));
    CoordinatorClient.Download d = client.download("/api/v1/blobs/t", tmp.resolve("t"), blob.length, 3);
    assertEquals(Hashes.sha256Hex(blob), d.sha256Hex());
  }
}
