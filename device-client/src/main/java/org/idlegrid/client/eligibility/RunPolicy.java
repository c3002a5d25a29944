package org.idlegrid.client.eligibility;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.idlegrid.client.probe.IdleProbe;
import org.idlegrid.client.probe.LoadProbe;
import org.idlegrid.client.probe.PowerProbe;
import org.idlegrid.client.probe.Readings;
import org.idlegrid.client.probe.ThermalProbe;

/**
 * THE decision, as one pure function: probe readings + the owner's preferences + what was
 * decided before + the time → run or not, with a reason. No I/O, no clock of its own, so every
 * transition is tested with made-up readings and instants.
 *
 * <p>Rules, first refusal wins (the reason's first word is the code the coordinator and the
 * owner see):
 * <ol>
 *   <li>{@code outside-hours}: not inside the owner's time windows;
 *   <li>power: {@code battery-saver} (the OS's saver is on), "cannot tell whether the device is on
 *       AC power" (UNKNOWN fails closed; a desktop with no battery is proven AC),
 *       {@code on-battery} (when AC is required), {@code battery-low} with HYSTERESIS: while
 *       running, stop below {@code batteryFloor}; while stopped, start only at
 *       {@code batteryFloor + batteryResumeMargin};
 *   <li>{@code user-active}: input less than {@code idleMinutes} ago; unknown idle fails closed;
 *   <li>{@code metered}: the network is known to be metered and the owner said no;
 *   <li>{@code thermal}: hotter than {@code maxTemperatureC} (resume 5 °C below it), or the CPU
 *       throttled within {@code loadResumeSeconds}; an OS that does not tell the temperature
 *       does not block (DESIGN: "where the OS tells it");
 *   <li>{@code busy}, with HYSTERESIS: others' CPU above {@code maxCpuShare} stops a running
 *       unit only after it persisted {@code loadStopSeconds}; work starts again only after
 *       {@code loadResumeSeconds} with no high reading. PSI pressure (which counts our own
 *       threads) only keeps work from starting. Unknown load fails closed.
 * </ol>
 */
public final class RunPolicy {
  private RunPolicy() {}

  /**
   * What was decided last time, and the load/thermal history hysteresis needs.
   *
   * @param running whether the last decision was to run
   * @param loadHighSince start of the current unbroken run of high-load readings, or null
   * @param lastLoadHigh the last time load was high (or unknown), or null
   * @param lastThrottle the last time the CPU was seen throttling, or null
   * @param hot whether the last decision found the CPU too hot (resume needs the margin)
   */
  public record State(boolean running, Instant loadHighSince, Instant lastLoadHigh, Instant lastThrottle, boolean hot) {
    public static State initial() {
      return new State(false, null, null, null, false);
    }
  }

  /** The decision and the state to pass next time. */
  public record Verdict(Decision decision, State next) {}

  public static Verdict decide(Readings r, Preferences p, State prev, Instant now) {
    // history first: it must advance whatever the decision
    LoadProbe.Load load = r.load();
    boolean loadHigh = load.othersCpu() != null && load.othersCpu() > p.maxCpuShare();
    Instant loadHighSince = loadHigh ? (prev.loadHighSince() != null ? prev.loadHighSince() : now) : null;
    Instant lastLoadHigh = loadHigh ? now : prev.lastLoadHigh();
    ThermalProbe.Thermal th = r.thermal();
    Instant lastThrottle = th.throttleEvents() > 0 ? now : prev.lastThrottle();
    Double celsius = th.celsius();
    boolean hot = celsius != null
        && (prev.hot() ? celsius > p.maxTemperatureC() - Preferences.THERMAL_RESUME_MARGIN : celsius > p.maxTemperatureC());

    Decision d = rules(r, p, prev, now, loadHigh, loadHighSince, lastLoadHigh, lastThrottle, hot);
    return new Verdict(d, new State(d.run(), loadHighSince, lastLoadHigh, lastThrottle, hot));
  }

  private static Decision rules(Readings r, Preferences p, State prev, Instant now, boolean loadHigh,
      Instant loadHighSince, Instant lastLoadHigh, Instant lastThrottle, boolean hot) {
    if (!p.windows().contains(now.atZone(p.zone()))) {
      return Decision.refuse("outside-hours: the owner's hours are " + p.windows());
    }

    PowerProbe.Power power = r.power();
    if (power.saver()) {
      return Decision.refuse("battery-saver: the OS's battery saver is on");
    }
    switch (power.state()) {
      case UNKNOWN -> {
        return Decision.refuse("cannot tell whether the device is on AC power: " + power.detail());
      }
      case BATTERY -> {
        if (p.requireAc()) {
          return Decision.refuse("on-battery: " + power.detail());
        }
      }
      default -> { }
    }
    if (power.hasBattery() && p.batteryFloor() > 0) {
      Integer pct = power.batteryPercent();
      if (pct == null) {
        return Decision.refuse("cannot tell the battery level (floor " + p.batteryFloor() + " %): " + power.detail());
      }
      int needed = prev.running() ? p.batteryFloor() : p.batteryFloor() + p.batteryResumeMargin();
      if (pct < needed) {
        return Decision.refuse("battery-low: " + pct + " %, " + (prev.running()
            ? "below the floor of " + p.batteryFloor() + " %"
            : "work resumes at " + needed + " %"));
      }
    }

    if (p.idleMinutes() > 0) {
      IdleProbe.Idle idle = r.idle();
      if (!idle.known()) {
        return Decision.refuse("cannot tell whether the device is idle: " + idle.detail());
      }
      if (idle.idleFor().compareTo(p.idle()) < 0) {
        return Decision.refuse("user-active: last input " + idle.idleFor().toSeconds() + " s ago (" + idle.detail()
            + "), work starts after " + p.idleMinutes() + " min");
      }
    }

    if (p.meteredOff() && Boolean.TRUE.equals(r.metered())) {
      return Decision.refuse("metered: the network is metered");
    }

    if (hot) {
      return Decision.refuse(String.format(Locale.ROOT, "thermal: CPU at %.0f °C, the owner's limit is %.0f °C%s",
          r.thermal().celsius(), p.maxTemperatureC(), prev.hot() ? " (resumes below "
              + Math.round(p.maxTemperatureC() - Preferences.THERMAL_RESUME_MARGIN) + " °C)" : ""));
    }
    Duration resume = Duration.ofSeconds(p.loadResumeSeconds());
    if (lastThrottle != null && Duration.between(lastThrottle, now).compareTo(resume) < 0) {
      return Decision.refuse("thermal: the CPU throttled " + Duration.between(lastThrottle, now).toSeconds() + " s ago");
    }

    LoadProbe.Load load = r.load();
    if (load.othersCpu() == null) {
      if (p.maxCpuShare() < 1) {
        return Decision.refuse("cannot tell the CPU load: " + load.detail());
      }
    } else if (prev.running()) {
      if (loadHigh && Duration.between(loadHighSince, now).compareTo(Duration.ofSeconds(p.loadStopSeconds())) >= 0) {
        return Decision.refuse("busy: other programs use " + pct(load.othersCpu()) + " of the CPU (limit "
            + pct(p.maxCpuShare()) + ") for " + Duration.between(loadHighSince, now).toSeconds() + " s");
      }
    } else {
      if (loadHigh) {
        return Decision.refuse("busy: other programs use " + pct(load.othersCpu()) + " of the CPU (limit "
            + pct(p.maxCpuShare()) + ")");
      }
      if (lastLoadHigh != null && Duration.between(lastLoadHigh, now).compareTo(resume) < 0) {
        return Decision.refuse("busy: waiting for " + p.loadResumeSeconds() + " s of quiet (other programs were busy "
            + Duration.between(lastLoadHigh, now).toSeconds() + " s ago)");
      }
      if (load.pressure() != null && load.pressure() > p.maxCpuPressure()) {
        return Decision.refuse(String.format(Locale.ROOT, "busy: CPU pressure %.0f %% (limit %.0f %%)",
            load.pressure(), p.maxCpuPressure()));
      }
    }
    return Decision.eligible();
  }

  private static String pct(double share) {
    return Math.round(share * 100) + " %";
  }
}
