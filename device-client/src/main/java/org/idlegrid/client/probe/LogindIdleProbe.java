package org.idlegrid.client.probe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Linux: systemd-logind's IdleHint / IdleSinceHint on {@code org.freedesktop.login1.Manager}
 * (the system bus, so it works from a service), read with {@code busctl}. The manager's hint is
 * true only when every session is idle; IdleSinceHint is CLOCK_REALTIME in microseconds. It is
 * only as good as the desktop's SetIdleHint (GNOME and KDE set it, on Wayland too; console
 * sessions use the tty's atime, systemd#14053). {@code IdleHint=false} is a definite "the user is
 * here". Output parsed: busctl's {@code b false}/{@code t 1700000000000000} lines, or
 * loginctl-style {@code IdleHint=no}/{@code IdleSinceHint=...}.
 */
public final class LogindIdleProbe implements IdleProbe {
  private static final Pattern BUSCTL = Pattern.compile("(?m)^b (true|false)\\s*\\R^t (\\d+)\\s*$");
  private static final Pattern HINT = Pattern.compile("(?m)^IdleHint=(yes|no)\\s*$");
  private static final Pattern SINCE = Pattern.compile("(?m)^IdleSinceHint=(\\d+)\\s*$");

  private final CommandRunner commands;
  private final Clock clock;

  public LogindIdleProbe(CommandRunner commands, Clock clock) {
    this.commands = commands;
    this.clock = clock;
  }

  @Override
  public Idle read() {
    Optional<String> out = commands.run(List.of("busctl", "--system", "get-property", "org.freedesktop.login1",
        "/org/freedesktop/login1", "org.freedesktop.login1.Manager", "IdleHint", "IdleSinceHint"));
    if (out.isEmpty()) {
      return Idle.unknown("logind not reachable (busctl)");
    }
    return parse(out.get(), clock.instant());
  }

  static Idle parse(String text, Instant now) {
    Boolean idle = null;
    long sinceMicros = -1;
    Matcher b = BUSCTL.matcher(text);
    if (b.find()) {
      idle = b.group(1).equals("true");
      sinceMicros = Long.parseLong(b.group(2));
    } else {
      Matcher h = HINT.matcher(text);
      Matcher s = SINCE.matcher(text);
      if (h.find() && s.find()) {
        idle = h.group(1).equals("yes");
        sinceMicros = Long.parseLong(s.group(1));
      }
    }
    if (idle == null) {
      return Idle.unknown("logind answered no IdleHint");
    }
    if (!idle) {
      return Idle.of(Duration.ZERO, "logind: a session is active");
    }
    Instant since = Instant.ofEpochSecond(sinceMicros / 1_000_000, (sinceMicros % 1_000_000) * 1000);
    return Idle.of(Duration.between(since, now), "logind");
  }
}
