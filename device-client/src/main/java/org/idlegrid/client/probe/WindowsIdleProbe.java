package org.idlegrid.client.probe;

import com.sun.jna.platform.win32.Kernel32;
import com.sun.jna.platform.win32.User32;
import com.sun.jna.platform.win32.WinUser;
import java.time.Duration;

/**
 * Windows: {@code GetLastInputInfo} against {@code GetTickCount} (both 32-bit millisecond
 * counters that wrap after 49.7 days, hence the unsigned difference).
 *
 * <p>Why the client runs per user (Task Scheduler "at log on") and not as a Windows service:
 * GetLastInputInfo is per session, and services live in session 0, which never receives user
 * input, so a service would always see the machine as idle. BOINC solves it with a per-user tray
 * process; idlegrid runs the whole client in the user's session instead.
 */
public final class WindowsIdleProbe implements IdleProbe {
  @Override
  public Idle read() {
    try {
      WinUser.LASTINPUTINFO info = new WinUser.LASTINPUTINFO();
      if (!User32.INSTANCE.GetLastInputInfo(info)) {
        return Idle.unknown("GetLastInputInfo failed");
      }
      return Idle.of(Duration.ofMillis(idleMillis(Kernel32.INSTANCE.GetTickCount(), info.dwTime)), "GetLastInputInfo");
    } catch (LinkageError | RuntimeException e) {
      return Idle.unknown("GetLastInputInfo unavailable: " + e.getMessage());
    }
  }

  /** Milliseconds between two GetTickCount values, across the 32-bit wrap. */
  static long idleMillis(int tickNow, int lastInput) {
    return Integer.toUnsignedLong(tickNow - lastInput);
  }
}
