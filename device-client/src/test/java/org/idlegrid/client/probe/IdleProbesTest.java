package org.idlegrid.client.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.idlegrid.client.probe.IdleProbe.Idle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdleProbesTest {
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  @TempDir
  Path tmp;

  Path shm(long updated, long lastActive) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
    b.putLong(updated).putLong(lastActive);
    Path f = tmp.resolve("idle_detect_shmem");
    Files.write(f, b.array());
    return f;
  }

  @Test
  void idleDetectSharedMemoryGivesTheTimeSinceTheLastActivity() throws Exception {
    long now = NOW.getEpochSecond();
    Idle i = new IdleDetectShmProbe(shm(now - 5, now - 600), CLOCK).read();
    assertEquals(Duration.ofMinutes(10), i.idleFor());
    assertEquals("idle_detect", i.detail());
  }

  @Test
  void staleIdleDetectBlockIsUnknown() throws Exception {
    long now = NOW.getEpochSecond();
    assertFalse(new IdleDetectShmProbe(shm(now - 120, now - 600), CLOCK).read().known(), "the daemon died");
    assertFalse(new IdleDetectShmProbe(tmp.resolve("none"), CLOCK).read().known());
    Files.write(tmp.resolve("short"), new byte[8]);
    assertFalse(new IdleDetectShmProbe(tmp.resolve("short"), CLOCK).read().known());
  }

  @Test
  void logindIdleHintWithItsSinceTimeIsParsedFromBusctlAndLoginctl() {
    // IdleSinceHint 1795425600000000 µs = 2026-11-23T09:20:00Z, 40 minutes before NOW
    Idle busctl = LogindIdleProbe.parse(Fixtures.text("busctl-logind-idle.txt"), NOW);
    assertEquals(Duration.ofMinutes(40), busctl.idleFor());
    assertEquals(Duration.ofMinutes(40), LogindIdleProbe.parse(Fixtures.text("loginctl-idle.txt"), NOW).idleFor());
    Idle active = LogindIdleProbe.parse(Fixtures.text("busctl-logind-active.txt"), NOW);
    assertEquals(Duration.ZERO, active.idleFor(), "IdleHint false: someone is at the machine");
    assertFalse(LogindIdleProbe.parse("Failed to get property", NOW).known());
  }

  @Test
  void logindProbeRunsBusctlOnTheSystemBus() {
    var seen = new java.util.ArrayList<java.util.List<String>>();
    CommandRunner cmd = c -> {
      seen.add(c);
      return java.util.Optional.of(Fixtures.text("busctl-logind-idle.txt"));
    };
    assertTrue(new LogindIdleProbe(cmd, CLOCK).read().known());
    assertEquals(java.util.List.of("busctl", "--system", "get-property", "org.freedesktop.login1",
        "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "IdleHint", "IdleSinceHint"), seen.get(0));
    assertFalse(new LogindIdleProbe(Fixtures.none(), CLOCK).read().known());
  }

  @Test
  void terminalAccessTimesGiveTheNewestInputIgnoringSerialLines() throws Exception {
    Path dev = tmp.resolve("dev");
    touch(dev.resolve("tty1"), NOW.minusSeconds(3600));
    touch(dev.resolve("pts/0"), NOW.minusSeconds(400));
    touch(dev.resolve("pts/1"), NOW.minusSeconds(900));
    touch(dev.resolve("ttyS0"), NOW.minusSeconds(1)); // a serial console: not a person
    touch(dev.resolve("ttyACM0"), NOW.minusSeconds(1));
    Idle i = new TtyIdleProbe(dev, CLOCK).read();
    assertEquals(Duration.ofSeconds(400), i.idleFor());
    assertFalse(new TtyIdleProbe(tmp.resolve("empty"), CLOCK).read().known());
  }

  static void touch(Path f, Instant atime) throws Exception {
    Fixtures.write(f, "");
    Files.setAttribute(f, "lastAccessTime", FileTime.from(atime));
  }

  @Test
  void firstKnownFallsThroughUnknownProbesAndSaysWhyWhenNoneKnows() {
    IdleProbe chain = IdleProbe.firstKnown(IdleProbe.unknown("no idle_detect"), () -> Idle.of(Duration.ofSeconds(9), "tty"));
    assertEquals(Duration.ofSeconds(9), chain.read().idleFor());
    Idle none = IdleProbe.firstKnown(IdleProbe.unknown("a"), IdleProbe.unknown("b")).read();
    assertNull(none.idleFor());
    assertEquals("a; b", none.detail());
  }

  @Test
  void macHidIdleTimeIsParsedFromIoreg() {
    Idle i = MacIdleProbe.parse(Fixtures.text("ioreg-hid.txt"));
    assertEquals(Duration.ofNanos(187_654_321_098L), i.idleFor());
    assertFalse(MacIdleProbe.parse("+-o Root").known());
    assertTrue(new MacIdleProbe(Fixtures.commands(Map.of("ioreg", Fixtures.text("ioreg-hid.txt")))).read().known());
  }

  @Test
  void windowsIdleSurvivesTheTickCounterWrap() {
    assertEquals(5000, WindowsIdleProbe.idleMillis(15_000, 10_000));
    assertEquals(1000 + 500, WindowsIdleProbe.idleMillis(1000, -500), "tick wrapped past 2^32 since the input");
    assertEquals(0xFFFFFFFFL, WindowsIdleProbe.idleMillis(-1, 0));
  }

  @Test
  void x11IsUsedOnlyWithADisplayAndNeverOnWayland() {
    assertTrue(X11IdleProbe.applies(Map.of("DISPLAY", ":0", "XDG_SESSION_TYPE", "x11")));
    assertFalse(X11IdleProbe.applies(Map.of()));
    assertFalse(X11IdleProbe.applies(Map.of("DISPLAY", ":0", "WAYLAND_DISPLAY", "wayland-0")), "XWayland sees no input");
    assertFalse(X11IdleProbe.applies(Map.of("DISPLAY", ":0", "XDG_SESSION_TYPE", "wayland")));
    assertNull(X11IdleProbe.forEnvironment(Map.of()));
  }
}
