package org.idlegrid.client.probe;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * macOS: IOHIDSystem's {@code HIDIdleTime} (nanoseconds since the last keyboard/mouse/trackpad
 * event, for the whole machine; works from a LaunchAgent and a daemon), read with
 * {@code ioreg -c IOHIDSystem -d 4 -r -k HIDIdleTime}: a line {@code "HIDIdleTime" = 123456789}.
 */
public final class MacIdleProbe implements IdleProbe {
  private static final Pattern IDLE = Pattern.compile("\"HIDIdleTime\"\\s*=\\s*(\\d+)");
  private final CommandRunner commands;

  public MacIdleProbe(CommandRunner commands) {
    this.commands = commands;
  }

  @Override
  public Idle read() {
    Optional<String> out = commands.run(List.of("ioreg", "-c", "IOHIDSystem", "-d", "4", "-r", "-k", "HIDIdleTime"));
    return out.map(MacIdleProbe::parse).orElseGet(() -> Idle.unknown("ioreg failed"));
  }

  static Idle parse(String text) {
    Matcher m = IDLE.matcher(text);
    if (!m.find()) {
      return Idle.unknown("ioreg printed no HIDIdleTime");
    }
    return Idle.of(Duration.ofNanos(Long.parseLong(m.group(1))), "IOHIDSystem HIDIdleTime");
  }
}
