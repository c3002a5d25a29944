package org.idlegrid.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.idlegrid.client.DeviceClient;
import org.idlegrid.client.cache.LocalModel;
import org.idlegrid.client.runner.ModelRunner;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One of four real clients cheats: it runs the model and then shifts every logit, a wrong
 * answer that is consistent and plausible. Its results are outvoted, it is quarantined, and the
 * job still completes with only correct results.
 */
class CheatingClientTest {
  @TempDir Path dir;

  @Test
  void aCheatingClientIsOutvotedAndQuarantinedWhileTheJobCompletesCorrectly() throws Exception {
    try (Grid grid = new Grid(dir, Duration.ofMinutes(2))) {
      grid.client("honest-1");
      grid.client("honest-2");
      grid.client("honest-3");
      DeviceClient cheater = grid.client("cheater", b -> b.runnerWrapper(Cheat::new));
      grid.uploadModel("digits-mlp", Files.readAllBytes(Grid.MODELS.resolve("digits-mlp.onnx")));
      String file = grid.uploadFile(Grid.digitsInput());
      String job = grid.submit("{\"model\":\"digits-mlp\",\"inputFile\":\"" + file
          + "\",\"unitSize\":10,\"verification\":{\"replicas\":2,\"quorum\":2,\"maxReplicas\":5,"
          + "\"compare\":{\"mode\":\"allclose\",\"atol\":1e-4,\"rtol\":1e-3}}}");

      grid.awaitCompleted(job, Duration.ofSeconds(120));
      Grid.assertDigitsResults(grid.results(job), 540); // no cheat was accepted

      List<List<String>> cheats = grid.query(
          "SELECT outcome FROM assignments WHERE device_id = ? AND state = 'RETURNED'", cheater.deviceId());
      assertTrue(!cheats.isEmpty(), "the cheater did return work");
      assertTrue(cheats.stream().noneMatch(r -> "VALID".equals(r.get(0))), "no cheat was graded valid: " + cheats);

      JsonNode device = Json.tree(grid.call("GET", "/api/v1/devices/" + cheater.deviceId(),
          grid.coordinator().adminKey(), null, 200));
      assertEquals("QUARANTINED", device.get("state").asText(), device.toString());
      assertTrue(device.get("reason").asText().length() > 0, "the reason is recorded");
      assertEquals(0.0, device.get("credit").asDouble(), "no credit for invalid work");
    }
  }

  /** Runs the real model, then adds 0.5 to every number of every output. */
  private record Cheat(ModelRunner real) implements DelegatingRunner {
    @Override
    public List<JsonNode> run(LocalModel model, List<JsonNode> records, java.util.function.BooleanSupplier cancelled)
        throws org.idlegrid.client.runner.UnitCancelledException, org.idlegrid.client.runner.RunnerException {
      List<JsonNode> out = new ArrayList<>();
      for (JsonNode o : real.run(model, records, cancelled)) {
        ObjectNode copy = ((ObjectNode) o).deepCopy();
        copy.fieldNames().forEachRemaining(name -> {
          if (copy.get(name) instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
              if (a.get(i).isNumber()) {
                a.set(i, Json.mapper().getNodeFactory().numberNode(a.get(i).asDouble() + 0.5));
              }
            }
          }
        });
        out.add(copy);
      }
      return out;
    }
  }
}
