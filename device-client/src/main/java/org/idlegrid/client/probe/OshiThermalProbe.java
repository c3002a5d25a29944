package org.idlegrid.client.probe;

/**
 * macOS and Windows: OSHI's CPU temperature (SMC on macOS; on Windows WMI, often 0 without
 * admin rights). OSHI answers 0 or NaN when it does not know: that is "unknown". Loaded on first
 * use, so a Linux client never loads OSHI.
 */
public final class OshiThermalProbe implements ThermalProbe {
  private oshi.hardware.Sensors sensors;
  private String broken;

  @Override
  public synchronized Thermal read() {
    if (broken != null) {
      return Thermal.unknown(broken);
    }
    try {
      if (sensors == null) {
        sensors = new oshi.SystemInfo().getHardware().getSensors();
      }
      double t = sensors.getCpuTemperature();
      if (Double.isNaN(t) || t <= 0 || t > 150) {
        return Thermal.unknown("the OS does not tell the CPU temperature");
      }
      return new Thermal(t, 0, "OSHI sensors");
    } catch (LinkageError | RuntimeException e) {
      broken = "no temperature sensors: " + e.getMessage();
      return Thermal.unknown(broken);
    }
  }
}
