package org.idlegrid.client.probe;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process's resident memory (Linux {@code /proc/self/status} VmRSS); -1 where unknown. */
public final class ProcessMemory {
  private ProcessMemory() {}

  public static long rssMb() {
    return rssMb(Path.of("/proc/self/status"));
  }

  static long rssMb(Path status) {
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Long.parseLong(f[0]) / 1024; // kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
