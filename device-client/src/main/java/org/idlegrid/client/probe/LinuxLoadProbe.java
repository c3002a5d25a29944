package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Linux: others' CPU = (Δ busy ticks of the machine − Δ ticks of this process) / Δ all ticks,
 * from {@code /proc/stat} (first line: user nice system idle iowait irq softirq steal; busy is
 * all but idle and iowait) and {@code /proc/self/stat} (utime + stime, fields 14–15, counted
 * after the command name's closing parenthesis because a name may hold spaces). Inference runs
 * in this process (ONNX Runtime's threads included), so our own work is never counted as
 * someone else's. Both files count in USER_HZ ticks. Plus PSI {@code /proc/pressure/cpu}.
 * Stateful: each reading covers the interval since the previous one; the first has no interval.
 */
public final class LinuxLoadProbe implements LoadProbe {
  private static final Pattern SOME_AVG10 = Pattern.compile("(?m)^some avg10=([0-9.]+)");
  private final Path proc;
  private long lastTotal = -1;
  private long lastBusy;
  private long lastSelf;

  public LinuxLoadProbe(Path proc) {
    this.proc = proc;
  }

  public static LinuxLoadProbe system() {
    return new LinuxLoadProbe(Path.of("/proc"));
  }

  @Override
  public synchronized Load read() {
    Double pressure = pressure();
    long total;
    long busy;
    long self;
    try {
      String cpu = Files.readAllLines(proc.resolve("stat")).get(0);
      String[] f = cpu.trim().split("\\s+");
      if (!f[0].equals("cpu") || f.length < 9) {
        return new Load(null, pressure, "unexpected " + proc.resolve("stat") + " first line");
      }
      total = 0;
      for (int i = 1; i <= 8; i++) {
        total += Long.parseLong(f[i]);
      }
      busy = total - Long.parseLong(f[4]) - Long.parseLong(f[5]);
      String stat = Files.readString(proc.resolve("self").resolve("stat"));
      String[] s = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      self = Long.parseLong(s[11]) + Long.parseLong(s[12]);
    } catch (IOException | RuntimeException e) {
      return new Load(null, pressure, "cannot read " + proc + "/stat: " + e.getMessage());
    }
    long dTotal = total - lastTotal;
    boolean first = lastTotal < 0;
    long dBusy = busy - lastBusy;
    long dSelf = self - lastSelf;
    if (!first && dTotal <= 0) {
      return new Load(null, pressure, "no CPU time passed since the last reading"); // keep the old baseline
    }
    lastTotal = total;
    lastBusy = busy;
    lastSelf = self;
    if (first) {
      return new Load(null, pressure, "measuring (first reading)");
    }
    double others = Math.max(0, Math.min(1, (double) (dBusy - dSelf) / dTotal));
    return new Load(others, pressure, "/proc/stat");
  }

  private Double pressure() {
    try {
      Path p = proc.resolve("pressure").resolve("cpu");
      if (!Files.isReadable(p)) {
        return null;
      }
      Matcher m = SOME_AVG10.matcher(Files.readString(p));
      return m.find() ? Double.valueOf(m.group(1)) : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
