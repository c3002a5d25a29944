package org.idlegrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.idlegrid.client.DeviceClient;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device computing a unit asks every {@code stillWantedInterval} whether the coordinator still
 * wants it, and stops and sends nothing (no result, no abort) when it does not: the unit's job
 * was cancelled, or, with {@code TrustPolicy.callOff}, the replica was called off because its
 * unit was decided without it (only where its device vouches: it has a verified result behind
 * it). The questions are also its heartbeat: a device that goes quiet (here: its network is cut,
 * with WireMock as the network) has its unit finished by another long before the deadline. Real
 * coordinator, real clients, loopback HTTP.
 */
class StillWantedTest {
  @TempDir Path dir;

  @Test
  void aReplicaCalledOffBecauseItsUnitWasDecidedStopsOnItsDeviceAndSendsNothing() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(2), b -> b.trust(TrustPolicy.defaults().withCallOff(true)))) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch never = new CountDownLatch(1);
      // its first unit runs at once; its second is held until it is cancelled
      DeviceClient slow = grid.client("slow", b -> b.stillWantedInterval(Duration.ofMillis(200))
          .runnerWrapper(real -> new HeldRunner(real, started, never, 1)));
      grid.client("fast-1");
      grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      List<JsonNode> rows = Grid.digitsRows().subList(0, 10);
      // first a unit that slow and fast-1 agree on: slow now vouches (a verified result behind
      // it), so a replica of it still out when its unit is decided is called off
      String first = grid.submit("{\"model\":\"digits-mlp\",\"records\":" + Json.write(rows) + ",\"unitSize\":10,"
          + "\"verification\":{\"replicas\":2,\"quorum\":2}}");
      grid.awaitCompleted(first, Duration.ofSeconds(60));
      String job = grid.submit("{\"model\":\"digits-mlp\",\"records\":" + Json.write(rows) + ",\"unitSize\":10,"
          + "\"verification\":{\"replicas\":3,\"quorum\":2,\"maxReplicas\":5}}");
      assertTrue(started.await(60, TimeUnit.SECONDS), "the slow device took a replica");
      grid.client("fast-2");
      grid.awaitCompleted(job, Duration.ofSeconds(60)); // the two fast replicas agree: a quorum
      Grid.assertDigitsResults(grid.results(job), 10);

      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (slow.status().unitsAborted() < 1 && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertEquals(1, slow.status().unitsAborted(), "the slow device stopped its called-off unit");
      assertEquals(1, slow.status().resultsDone(), "the first unit only");
      assertEquals(0, slow.status().outbox(), "nothing to send");
      // as the validator left it: no result came, and no abort (which would have been refused)
      assertEquals(List.of(List.of("ABORTED", "unit-decided")), grid.query(
          "SELECT state, reason FROM assignments WHERE device_id = ? AND job_id = ?", slow.deviceId(), job));
    }
  }

  @Test
  void aUnitOfADeviceThatLostItsNetworkIsFinishedByAnotherLongBeforeItsDeadline() throws Exception {
    // a 10-minute deadline; a device that asks and goes quiet for 1 s is presumed gone
    try (Grid grid = new Grid(dir, Duration.ofMinutes(10), b -> b.silentAfter(Duration.ofSeconds(1)))) {
      WireMockServer network = new WireMockServer(options().dynamicPort());
      network.start();
      try {
        network.stubFor(any(anyUrl()).willReturn(aResponse().proxiedFrom(grid.base().toString().replaceAll("/$", ""))));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        DeviceClient lost = grid.client("lost", URI.create(network.baseUrl()),
            b -> b.stillWantedInterval(Duration.ofMillis(200)).runnerWrapper(real -> new HeldRunner(real, started, never)));
        grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
        String job = grid.submit("{\"model\":\"digits-mlp\",\"records\":"
            + Json.write(Grid.digitsRows().subList(0, 10)) + ",\"unitSize\":10,"
            + "\"verification\":{\"replicas\":1,\"quorum\":1}}");
        assertTrue(started.await(60, TimeUnit.SECONDS), "the device is computing the unit");
        // its network goes: every request fails, its questions go unanswered, it keeps computing
        network.resetAll();
        network.stubFor(any(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        grid.client("other");
        grid.awaitCompleted(job, Duration.ofSeconds(60)); // not 10 minutes
        Grid.assertDigitsResults(grid.results(job), 10);
        assertEquals(List.of(List.of("ISSUED"), List.of("RETURNED")), grid.query(
            "SELECT state FROM assignments WHERE job_id = ? ORDER BY issued_at", job),
            "the lost device's replica stays out; the other device's result decided the unit");
        assertEquals(0, lost.status().unitsAborted(), "the lost device never gave up on its unit");
      } finally {
        network.stop();
      }
    }
  }

  @Test
  void aUnitOfACancelledJobStopsOnItsDeviceAtItsNextCheck() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(2))) {
      CountDownLatch started = new CountDownLatch(1);
      CountDownLatch never = new CountDownLatch(1);
      DeviceClient d = grid.client("d", b -> b.stillWantedInterval(Duration.ofMillis(200))
          .runnerWrapper(real -> new HeldRunner(real, started, never)));
      grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      String job = grid.submit("{\"model\":\"digits-mlp\",\"records\":" + Json.write(Grid.digitsRows().subList(0, 10))
          + ",\"unitSize\":10,\"verification\":{\"replicas\":1,\"quorum\":1}}");
      assertTrue(started.await(60, TimeUnit.SECONDS), "the device is computing the unit");
      grid.call("DELETE", "/api/v1/jobs/" + job, grid.key(), null, 200);
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (d.status().unitsAborted() < 1 && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertEquals(1, d.status().unitsAborted(), "it stopped the cancelled job's unit");
      assertEquals(0, d.status().resultsDone());
      assertEquals(List.of(List.of("ABORTED", "job-cancelled")),
          grid.query("SELECT state, reason FROM assignments WHERE job_id = ?", job));
    }
  }
}
