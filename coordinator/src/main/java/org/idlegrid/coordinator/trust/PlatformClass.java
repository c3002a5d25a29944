package org.idlegrid.coordinator.trust;

import java.util.Map;
import java.util.TreeMap;
import org.idlegrid.protocol.Platform;

/**
 * The homogeneous-redundancy class of a device: its engines with their versions and its OS and
 * architecture, e.g. {@code OnnxRuntime=1.21.0;linux/amd64}. Replicas of a unit of a job with
 * {@code verification.homogeneous} all go to devices of one class, since two engine versions
 * (or CPUs) may legitimately disagree beyond the compare tolerance. Engines without a reported
 * version are "?" and still form a class of their own.
 */
public final class PlatformClass {
  private PlatformClass() {}

  public static String of(Platform platform, java.util.List<String> engines, Map<String, String> versions) {
    Map<String, String> sorted = new TreeMap<>();
    if (engines != null) {
      engines.forEach(e -> sorted.put(e, "?"));
    }
    if (versions != null) {
      versions.forEach((e, v) -> {
        if (e != null) {
          sorted.put(e, v == null ? "?" : v);
        }
      });
    }
    StringBuilder sb = new StringBuilder();
    sorted.forEach((e, v) -> sb.append(sb.isEmpty() ? "" : ",").append(e).append('=').append(v));
    String os = platform == null || platform.os() == null ? "?" : platform.os().toLowerCase(java.util.Locale.ROOT);
    String arch = platform == null || platform.arch() == null ? "?" : platform.arch().toLowerCase(java.util.Locale.ROOT);
    String s = sb + ";" + os + "/" + arch;
    return s.length() > 500 ? s.substring(0, 500) : s;
  }
}
