package org.idlegrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * With {@code TrustPolicy.callOff}, a replica still out when its unit is decided is called off by
 * the coordinator (where its device vouches: it has a verified result behind it); the device
 * computing it learns so when it asks (every {@code stillWantedInterval}), stops, and sends
 * nothing: no result, no abort. Real coordinator, real clients, loopback HTTP.
 */
class CalledOffReplicaTest {
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
}
