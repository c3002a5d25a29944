package org.idlegrid.client.probe;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whether the network is metered (a phone hotspot, a capped plan). Linux: NetworkManager's
 * {@code Metered} property (NMMetered: 0 unknown, 1 yes, 2 no, 3 guess-yes, 4 guess-no). Other
 * systems (and Linux without NetworkManager) cannot tell cheaply: null, which the policy treats
 * as "not metered" (documented in docs/client.md) so a wired desktop without NetworkManager still
 * works.
 */
@FunctionalInterface
public interface MeteredProbe {
  /** true metered, false not, null unknown. */
  Boolean metered();

  static MeteredProbe unknown() {
    return () -> null;
  }

  static MeteredProbe networkManager(CommandRunner commands) {
    return () -> commands.run(List.of("busctl", "--system", "get-property", "org.freedesktop.NetworkManager",
        "/org/freedesktop/NetworkManager", "org.freedesktop.NetworkManager", "Metered"))
        .map(MeteredProbe::parseNetworkManager).orElse(null);
  }

  static Boolean parseNetworkManager(String busctl) {
    Matcher m = Pattern.compile("^u (\\d+)").matcher(busctl.trim());
    if (!m.find()) {
      return null;
    }
    return switch (Integer.parseInt(m.group(1))) {
      case 1, 3 -> true;
      case 2, 4 -> false;
      default -> null;
    };
  }
}
