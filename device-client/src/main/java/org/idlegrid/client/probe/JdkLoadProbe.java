package org.idlegrid.client.probe;

import java.lang.management.ManagementFactory;

/**
 * macOS and Windows: the JDK's own counters (system CPU load minus this process's, both as a
 * share of all cores, over the interval since the previous call; the first call returns
 * nothing useful). No PSI there.
 */
public final class JdkLoadProbe implements LoadProbe {
  private final com.sun.management.OperatingSystemMXBean os;
  private boolean first = true;

  public JdkLoadProbe() {
    this.os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  }

  @Override
  public synchronized Load read() {
    double system = os.getCpuLoad();
    double self = os.getProcessCpuLoad();
    if (first) {
      first = false;
      return Load.unknown("measuring (first reading)");
    }
    if (system < 0 || self < 0) {
      return Load.unknown("the JDK cannot tell the CPU load here");
    }
    return new Load(Math.max(0, Math.min(1, system - self)), null, "JDK OperatingSystemMXBean");
  }
}
