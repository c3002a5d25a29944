package org.idlegrid.coordinator.trust;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.idlegrid.coordinator.testing.EngineFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The trusted-peer rule switches on once enough of the fleet is trusted, from the very first count. */
class TrustedPeerRuleTest {

  @Test
  void peerRuleIsInForceAsSoonAsEnoughDevicesAreTrusted(@TempDir Path dir) throws Exception {
    try (EngineFixture f = new EngineFixture(dir, TrustPolicy.defaults().withTrustThreshold(2), 1)) {
      for (String d : new String[] {"a", "b", "c", "d"}) {
        f.device(d, "owner-" + d);
      }
      f.store.transaction(tx -> {
        tx.trustPassed("a", f.now(), 2);
        tx.trustPassed("a", f.now(), 2);
        return null;
      });
      // one of four trusted = 25% >= the default 20%: counted on the first call (no stale cache)
      boolean active = f.store.transaction(tx -> f.trust.peerRuleActive(tx));
      assertTrue(active);
    }
  }

  @Test
  void peerRuleIsOffWhileTooFewDevicesAreTrusted(@TempDir Path dir) throws Exception {
    try (EngineFixture f = new EngineFixture(dir, TrustPolicy.defaults().withTrustThreshold(2), 1)) {
      for (String d : new String[] {"a", "b", "c", "d", "e", "f"}) {
        f.device(d, "owner-" + d);
      }
      f.store.transaction(tx -> {
        tx.trustPassed("a", f.now(), 2);
        return null;
      });
      boolean active = f.store.transaction(tx -> f.trust.peerRuleActive(tx));
      assertFalse(active);
    }
  }
}
