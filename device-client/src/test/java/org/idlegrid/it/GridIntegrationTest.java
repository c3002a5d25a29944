package org.idlegrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.idlegrid.client.DeviceClient;
import org.idlegrid.coordinator.trust.TrustPolicy;
import org.idlegrid.client.runner.TextModelArchive;
import org.idlegrid.signing.Ed25519;
import org.idlegrid.signing.KeyFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole path of a batch job over real loopback HTTP: a real coordinator (Jetty, SQLite,
 * Flyway, Ed25519) and real device clients (DJL, ONNX Runtime, the on-disk outbox) in one JVM.
 * The tests submit through the public API and check what a submitter gets.
 */
class GridIntegrationTest {
  private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path dir;

  @Test
  void digitsJobReplicatedTwiceOnThreeClientsGivesTheExpectedLogitsInInputOrder() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(2))) {
      DeviceClient a = grid.client("a");
      DeviceClient b = grid.client("b");
      DeviceClient c = grid.client("c");
      String model = grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      String file = grid.uploadFile(Grid.digitsInput());
      String job = grid.submit("{\"name\":\"digits\",\"model\":\"digits-mlp\",\"inputFile\":\"" + file
          + "\",\"unitSize\":50,\"verification\":{\"replicas\":2,\"quorum\":2,\"maxReplicas\":4,"
          + "\"compare\":{\"mode\":\"allclose\",\"atol\":1e-4,\"rtol\":1e-3}}}");

      JsonNode status = grid.awaitCompleted(job, JOB_TIMEOUT);
      assertEquals(540, status.get("records").get("total").asInt());
      assertEquals(540, status.get("records").get("done").asInt());
      assertEquals(11, status.get("units").get("valid").asInt());

      Grid.assertDigitsResults(grid.results(job), 540);

      // every unit was computed by two different devices, and all three clients did work
      List<List<String>> perUnit = grid.query("SELECT unit_id, COUNT(DISTINCT device_id), COUNT(*) FROM assignments"
          + " WHERE job_id = ? AND state = 'RETURNED' AND outcome = 'VALID' GROUP BY unit_id", job);
      assertEquals(11, perUnit.size());
      for (List<String> row : perUnit) {
        assertEquals(row.get(2), row.get(1), "two valid replicas of unit " + row.get(0) + " came from one device");
        assertTrue(Integer.parseInt(row.get(1)) >= 2);
      }
      Set<String> workers = new HashSet<>();
      grid.query("SELECT DISTINCT device_id FROM assignments WHERE job_id = ?", job).forEach(r -> workers.add(r.get(0)));
      assertEquals(Set.of(a.deviceId(), b.deviceId(), c.deviceId()), workers);
      assertTrue(model.startsWith("sha256:"));
    }
  }

  @Test
  void textEmbeddingJobOnMiniLmIsVerifiedByCosine() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(2))) {
      grid.client("a");
      grid.client("b");
      Path archive = TextModelArchive.fromMiniLmJarResources(dir.resolve("minilm.zip"));
      grid.uploadModel("minilm", Files.readAllBytes(archive));
      StringBuilder records = new StringBuilder();
      String[] sentences = {"The cat sleeps on the sofa.", "A kitten is napping on the couch.",
          "The stock market fell sharply today.", "Shares dropped a lot this morning.", "I like green tea."};
      for (int i = 0; i < 20; i++) {
        records.append(i == 0 ? "" : ",").append("{\"text\":\"").append(sentences[i % sentences.length]).append("\"}");
      }
      String job = grid.submit("{\"name\":\"text\",\"model\":\"minilm\",\"records\":[" + records
          + "],\"unitSize\":5,\"verification\":{\"replicas\":2,\"quorum\":2,\"compare\":{\"mode\":\"cosine\",\"min\":0.9999}}}");
      grid.awaitCompleted(job, JOB_TIMEOUT);
      List<JsonNode> results = grid.results(job);
      assertEquals(20, results.size());
      double[][] e = new double[20][];
      for (int i = 0; i < 20; i++) {
        assertEquals(i, results.get(i).get("id").asInt());
        JsonNode v = results.get(i).get("output").get("embedding");
        assertEquals(384, v.size());
        e[i] = new double[384];
        for (int j = 0; j < 384; j++) {
          e[i][j] = v.get(j).asDouble();
        }
      }
      // the same sentence gives the same embedding wherever it ran; similar sentences are closer
      assertEquals(1.0, dot(e[0], e[5]), 1e-6);
      assertTrue(dot(e[0], e[1]) > dot(e[0], e[2]) + 0.2, "cat/kitten closer than cat/stocks");
      assertTrue(dot(e[2], e[3]) > dot(e[2], e[4]), "market/shares closer than market/tea");
    }
  }

  @Test
  void anAssignmentNotSignedByTheEnrolledCoordinatorKeyIsRefusedAndNeverRun() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(2))) {
      DeviceClient victim = grid.client("victim");
      String deviceId = victim.deviceId();
      victim.close();
      // an impostor takes over the coordinator's address with another signing key
      grid.stopCoordinator();
      Path keyFile = dir.resolve("coordinator").resolve("coordinator.key");
      Ed25519.PublicKey oldKey = KeyFiles.load(keyFile).publicKey();
      Files.delete(keyFile);
      grid.startCoordinator();
      assertFalse(oldKey.equals(grid.coordinator().publicKey()));

      grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      String job = grid.submit("{\"model\":\"digits-mlp\",\"records\":[" + firstDigits(4)
          + "],\"unitSize\":4,\"verification\":{\"replicas\":1,\"quorum\":1,\"maxReplicas\":1}}");
      DeviceClient again = grid.client("victim"); // same state dir: same key, same enrollment
      assertEquals(deviceId, again.deviceId());

      Grid.await("the client to refuse the assignment", Duration.ofSeconds(30), () ->
          !grid.query("SELECT state FROM assignments WHERE job_id = ? AND state <> 'ISSUED'", job).isEmpty());
      List<List<String>> rows = grid.query("SELECT state, reason, outputs FROM assignments WHERE job_id = ?", job);
      List<String> first = rows.get(0);
      assertTrue(first.get(0).equals("ERRORED") || first.get(0).equals("ABORTED"), "refused, not run: " + rows);
      assertTrue(first.get(1).contains("signature") || first.get(1).contains("key"), "the reason names the bad signature: " + first.get(1));
      assertEquals(null, first.get(2), "no result was ever uploaded");
      assertFalse(grid.job(job).get("state").asText().equals("COMPLETED"), "a refused unit completes nothing");
      assertFalse(Files.list(grid.clientDir("victim").resolve("outbox")).anyMatch(p -> p.toString().endsWith(".json")),
          "nothing computed, nothing in the outbox");
    }
  }

  /** A client that died mid-unit, and the one-unit job (20 digits, one replica) it was working on. */
  private record Doomed(DeviceClient client, String job) {}

  /**
   * Starts a client whose unit is held mid-computation, submits a one-unit job, and kills the
   * client once the unit has started: no abort, no result, its assignment simply goes silent.
   */
  private static Doomed clientKilledMidUnit(Grid grid) throws Exception {
    CountDownLatch computing = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    DeviceClient doomed = grid.client("doomed", b -> b.runnerWrapper(real -> new HeldRunner(real, computing, proceed)));
    grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
    String job = grid.submit("{\"model\":\"digits-mlp\",\"records\":[" + firstDigits(20)
        + "],\"unitSize\":20,\"verification\":{\"replicas\":1,\"quorum\":1,\"maxReplicas\":2}}");
    assertTrue(computing.await(30, TimeUnit.SECONDS), "the unit started");
    doomed.kill(); // its held unit sees the stop and ends; a crashed client sends nothing
    return new Doomed(doomed, job);
  }

  @Test
  void aClientKilledMidUnitHasItsUnitReissuedToAnotherClientAfterTheDeadline() throws Exception {
    // backup replicas off: this is the deadline path alone
    try (Grid grid = new Grid(dir, Duration.ofSeconds(3), b -> b.trust(TrustPolicy.defaults().withBackupAfter(0)))) {
      Doomed lost = clientKilledMidUnit(grid);
      DeviceClient doomed = lost.client();
      String job = lost.job();
      DeviceClient rescuer = grid.client("rescuer");

      grid.awaitCompleted(job, JOB_TIMEOUT);
      List<List<String>> rows = grid.query("SELECT device_id, state, outcome FROM assignments WHERE job_id = ? ORDER BY issued_at", job);
      assertEquals(2, rows.size(), "one lost replica and one reissued: " + rows);
      assertEquals(List.of(doomed.deviceId(), "TIMED_OUT"), rows.get(0).subList(0, 2));
      assertEquals(List.of(rescuer.deviceId(), "RETURNED", "VALID"), rows.get(1));
      Grid.assertDigitsResults(grid.results(job), 20);
    }
  }

  @Test
  void aKilledClientsUnitIsFinishedByABackupReplicaBeforeItsDeadline() throws Exception {
    // nothing is measured yet, so a backup waits a quarter of the 20 s deadline
    try (Grid grid = new Grid(dir, Duration.ofSeconds(20))) {
      Doomed lost = clientKilledMidUnit(grid);
      DeviceClient doomed = lost.client();
      String job = lost.job();
      DeviceClient rescuer = grid.client("rescuer");

      // well before the deadline only a backup replica can finish the job
      grid.awaitCompleted(job, Duration.ofSeconds(15));
      List<List<String>> rows = grid.query("SELECT device_id, state, outcome FROM assignments WHERE job_id = ? ORDER BY issued_at", job);
      assertEquals(2, rows.size(), "the lost replica and one backup: " + rows);
      assertEquals(List.of(doomed.deviceId(), "ISSUED"), rows.get(0).subList(0, 2), "the straggler is still out");
      assertEquals(List.of(rescuer.deviceId(), "RETURNED", "VALID"), rows.get(1));
      Grid.assertDigitsResults(grid.results(job), 20);
    }
  }

  @Test
  void aCoordinatorRestartedMidJobFinishesItWithEveryRecordExactlyOnce() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofSeconds(20))) {
      grid.client("a");
      grid.client("b");
      grid.client("c");
      grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      String file = grid.uploadFile(Grid.digitsInput());
      String job = grid.submit("{\"model\":\"digits-mlp\",\"inputFile\":\"" + file
          + "\",\"unitSize\":5,\"verification\":{\"replicas\":2,\"quorum\":2}}");
      Grid.await("some but not all units to be valid", Duration.ofSeconds(60), () -> {
        try {
          int valid = grid.job(job).get("units").get("valid").asInt();
          return valid >= 3;
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      });
      grid.stopCoordinator();
      int validAtStop = Integer.parseInt(grid.query("SELECT COUNT(*) FROM units WHERE job_id = ? AND state = 'VALID'", job).get(0).get(0));
      assertTrue(validAtStop < 108, "stopped mid-job");
      grid.startCoordinator();

      JsonNode status;
      try {
        status = grid.awaitCompleted(job, JOB_TIMEOUT);
      } catch (AssertionError e) {
        // for diagnosis: what the units left over hold, and who could still take them
        System.out.println("unfinished units " + grid.query("SELECT id, state, needed, quorum, acceptance, "
            + "last_issued_at FROM units WHERE job_id = ? AND state <> 'VALID'", job));
        System.out.println("their assignments " + grid.query("SELECT a.unit_id, a.device_id, a.state, a.outcome, "
            + "a.kind, a.issued_at, a.deadline, a.trusted FROM assignments a JOIN units u ON u.id = a.unit_id "
            + "WHERE u.job_id = ? AND u.state <> 'VALID'", job));
        System.out.println("devices " + grid.query("SELECT id, state, trust_streak FROM devices"));
        throw e;
      }
      assertEquals(108, status.get("units").get("valid").asInt());
      assertEquals(540, status.get("records").get("done").asInt());
      Grid.assertDigitsResults(grid.results(job), 540);
      // nothing counted twice: each unit has exactly one canonical result and no unit was validated twice
      assertEquals("108", grid.query("SELECT COUNT(*) FROM units WHERE job_id = ? AND canonical IS NOT NULL", job).get(0).get(0));
    }
  }

  @Test
  void aResultComputedBeforeACrashIsDeliveredOnceAfterTheClientRestarts() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(5))) {
      grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      String job = grid.submit("{\"model\":\"digits-mlp\",\"records\":[" + firstDigits(10)
          + "],\"unitSize\":10,\"verification\":{\"replicas\":1,\"quorum\":1,\"maxReplicas\":1}}");
      // the unit is held at the start of its computation until the coordinator is gone, so the
      // client computes a result it cannot upload
      CountDownLatch computing = new CountDownLatch(1);
      CountDownLatch proceed = new CountDownLatch(1);
      DeviceClient first = grid.client("crashy", b -> b.runnerWrapper(real -> new HeldRunner(real, computing, proceed)));
      assertTrue(computing.await(30, TimeUnit.SECONDS), "the unit started");
      grid.stopCoordinator();
      proceed.countDown();
      Path outbox = grid.clientDir("crashy").resolve("outbox");
      Grid.await("the result to reach the outbox", Duration.ofSeconds(30), () -> {
        try (var files = Files.list(outbox)) {
          return files.anyMatch(p -> p.getFileName().toString().endsWith(".json"));
        } catch (java.io.IOException e) {
          return false;
        }
      });
      first.kill(); // crash between compute and upload

      grid.startCoordinator();
      DeviceClient second = grid.client("crashy"); // same state dir: same key, same outbox
      assertEquals(first.deviceId(), second.deviceId());
      grid.awaitCompleted(job, JOB_TIMEOUT);
      List<List<String>> rows = grid.query("SELECT device_id, state, outcome FROM assignments WHERE job_id = ?", job);
      assertEquals(List.of(List.of(first.deviceId(), "RETURNED", "VALID")), rows, "delivered once, never reissued");
      Grid.assertDigitsResults(grid.results(job), 10);
      try (var files = Files.list(outbox)) {
        assertFalse(files.anyMatch(p -> p.getFileName().toString().endsWith(".json")), "the outbox is empty again");
      }
    }
  }

  private static String firstDigits(int n) throws Exception {
    StringBuilder sb = new StringBuilder();
    List<JsonNode> rows = Grid.digitsRows();
    for (int i = 0; i < n; i++) {
      sb.append(i == 0 ? "" : ",").append("{\"pixels\":").append(rows.get(i).get("pixels")).append('}');
    }
    return sb.toString();
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
