package org.idlegrid.client.identity;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.Platform;
import org.idlegrid.signing.Ed25519;
import org.idlegrid.signing.KeyFiles;

/**
 * The device's identity in its state folder: the Ed25519 key ({@code device.key}, PKCS#8 PEM,
 * mode 600, created once) and the enrollment ({@code enrollment.json}, mode 600, replaced
 * atomically). A device enrolls once per coordinator URL: the file is kept as long as it names
 * the same coordinator.
 */
public final class Identity {
  public static final String KEY_FILE = "device.key";
  public static final String ENROLLMENT_FILE = "enrollment.json";

  private Identity() {}

  public static Ed25519.KeyPair deviceKey(Path stateDir) throws IOException {
    Files.createDirectories(stateDir);
    return KeyFiles.loadOrCreate(stateDir.resolve(KEY_FILE));
  }

  /** The stored enrollment if there is one for {@code coordinator} (normalised URL). */
  public static Optional<Enrollment> enrollmentFor(Path stateDir, String coordinator) throws IOException {
    Path file = stateDir.resolve(ENROLLMENT_FILE);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Enrollment e;
    try {
      e = Json.read(Files.readAllBytes(file), Enrollment.class);
    } catch (Json.JsonException ex) {
      throw new IOException(file + " is damaged (" + ex.getMessage() + "): delete it to enroll again", ex);
    }
    if (e.deviceId() == null || e.token() == null || e.coordinatorKey() == null) {
      throw new IOException(file + " is incomplete: delete it to enroll again");
    }
    return coordinator.equals(e.coordinator()) ? Optional.of(e) : Optional.empty();
  }

  /** Replaces the stored enrollment atomically, readable by the owner only. */
  public static void save(Path stateDir, Enrollment enrollment) throws IOException {
    Path file = stateDir.resolve(ENROLLMENT_FILE);
    Files.deleteIfExists(file);
    KeyFiles.writeSecret(file, Json.write(enrollment));
  }

  /** The owner name used when none is given: unique to this device's key. */
  public static String defaultOwner(Ed25519.PublicKey key) {
    return "device-" + key.keyId();
  }

  public static String hostname() {
    String env = System.getenv("HOSTNAME");
    try {
      String h = InetAddress.getLocalHost().getHostName();
      if (h != null && !h.isBlank()) {
        return h;
      }
    } catch (IOException | RuntimeException ignored) {
      // fall through
    }
    return env != null && !env.isBlank() ? env : "unknown-host";
  }

  public static Platform platform() {
    String os = System.getProperty("os.name", "unknown").toLowerCase(Locale.ROOT);
    String family = os.contains("linux") ? "linux"
        : os.contains("mac") ? "macos"
        : os.contains("windows") ? "windows"
        : os.replace(' ', '-');
    long memoryMb = -1;
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean b) {
      memoryMb = b.getTotalMemorySize() / (1024 * 1024);
    }
    return new Platform(family, System.getProperty("os.arch", "unknown"),
        Runtime.getRuntime().availableProcessors(), memoryMb, null);
  }

  /**
   * The ONNX Runtime version bundled with this client, read from the runtime jar's Maven
   * metadata (cheap: no native library loaded). Empty map when it cannot be found.
   */
  public static Map<String, String> engineVersions() {
    String resource = "/META-INF/maven/com.microsoft.onnxruntime/onnxruntime/pom.xml";
    try (InputStream in = Identity.class.getResourceAsStream(resource)) {
      if (in == null) {
        return Map.of();
      }
      String pom = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("<artifactId>onnxruntime</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
      return m.find() ? Map.of("OnnxRuntime", m.group(1).trim()) : Map.of();
    } catch (IOException e) {
      return Map.of();
    }
  }
}
