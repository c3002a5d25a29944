package org.idlegrid.bench.footprint;

import org.idlegrid.bench.TempDirs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.idlegrid.coordinator.Coordinator;
import org.idlegrid.coordinator.CoordinatorConfig;

/**
 * The idle client's footprint (DESIGN.md target: ≤ 0.1 % of one core and ≤ 80 MB RSS while
 * waiting, with no inference runtime loaded). Starts a real coordinator in this JVM with no work,
 * starts the real client jar as a separate process against it, lets it settle, then samples the
 * client's {@code /proc/<pid>/stat} CPU ticks and {@code /proc/<pid>/status} VmRSS once a second.
 * Each window gives CPU % of one core (Δ(utime+stime) / (CLK_TCK · seconds)) and the median RSS;
 * the report gives every window and the median over windows. It also checks
 * {@code /proc/<pid>/maps} for the ONNX Runtime library (it must not be loaded while waiting).
 *
 * <pre>
 * java -cp bench/target/... org.idlegrid.bench.footprint.ClientFootprint \
 *   [--jar device-client/target/idlegrid-client.jar] [--windows 3] [--seconds 60] [--warmup 20] \
 *   [--policy always|idle-and-charging] [--jvm "-Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"]
 * </pre>
 * Linux only (it reads /proc).
 */
public final class ClientFootprint {
  static final String DEFAULT_FLAGS = "-Xms8m -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -XX:-UsePerfData";
  static final long CLK_TCK = 100; // USER_HZ on every Linux architecture the JDK runs on

  public static void main(String[] args) throws Exception {
    Path jar = Path.of("device-client/target/idlegrid-client.jar");
    int windows = 3;
    int seconds = 60;
    int warmup = 20;
    String policy = "always";
    String flags = DEFAULT_FLAGS;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jar" -> jar = Path.of(args[++i]);
        case "--windows" -> windows = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--policy" -> policy = args[++i];
        case "--jvm" -> flags = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException(jar.toAbsolutePath() + " is missing: build it with ./mvnw -q -o -pl device-client package -DskipTests");
    }
    Path work = Files.createTempDirectory("idlegrid-footprint-");
    try (Coordinator coordinator = Coordinator.start(CoordinatorConfig.builder().dataDir(work.resolve("coordinator")).build())) {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
      cmd.addAll(List.of("-jar", jar.toAbsolutePath().toString(), "run", "--coordinator", coordinator.baseUri().toString(),
          "--state-dir", work.resolve("client").toString(), "--policy", policy, "--name", "footprint"));
      Process client = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(work.resolve("client.log").toFile()).start();
      try {
        long pid = client.pid();
        System.out.printf(Locale.ROOT, "client pid %d: %s%n", pid, String.join(" ", cmd));
        Thread.sleep(Duration.ofSeconds(warmup));
        if (!client.isAlive()) {
          throw new IllegalStateException("the client exited: " + Files.readString(work.resolve("client.log")));
        }
        double[] cpu = new double[windows];
        double[] rss = new double[windows];
        for (int w = 0; w < windows; w++) {
          long t0 = ticks(pid);
          long n0 = System.nanoTime();
          List<Long> samples = new ArrayList<>();
          for (int s = 0; s < seconds; s++) {
            Thread.sleep(1000);
            samples.add(rssKb(pid));
          }
          double elapsed = (System.nanoTime() - n0) / 1e9;
          cpu[w] = 100.0 * (ticks(pid) - t0) / (CLK_TCK * elapsed);
          rss[w] = median(samples.stream().mapToDouble(Long::doubleValue).toArray()) / 1024.0;
          System.out.printf(Locale.ROOT, "window %d: %.3f %% of one core, RSS median %.1f MB (%d s)%n",
              w + 1, cpu[w], rss[w], seconds);
        }
        boolean ort = Files.readString(Path.of("/proc/" + pid + "/maps")).toLowerCase(Locale.ROOT).contains("onnxruntime");
        System.out.printf(Locale.ROOT, "RESULT policy=%s cpu_median=%.3f%% rss_median=%.1fMB onnxruntime_loaded=%s flags=[%s]%n",
            policy, median(cpu), median(rss), ort ? "yes" : "no", flags);
      } finally {
        client.destroy();
        client.waitFor();
      }
    } finally {
      TempDirs.deleteTree(work);
    }
  }

  /** utime + stime of {@code pid}, in clock ticks (fields 14 and 15, counted after the name's ')'). */
  static long ticks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("no VmRSS for " + pid);
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

}
