package org.idlegrid.client.probe;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import java.time.Duration;
import java.util.Map;

/**
 * Linux X11: {@code XScreenSaverQueryInfo} (libXss) gives the milliseconds since the last
 * input. Used only when {@code DISPLAY} is set and the session is not Wayland: on Wayland an X
 * client sees only XWayland's own input, and BOINC found {@code XOpenDisplay} can block there.
 * jna-platform has no libXss mapping, so the three calls are mapped here.
 */
public final class X11IdleProbe implements IdleProbe {

  /** XScreenSaverInfo. */
  @Structure.FieldOrder({"window", "state", "kind", "tilOrSince", "idle", "eventMask"})
  public static class XScreenSaverInfo extends Structure {
    public NativeLong window;
    public int state;
    public int kind;
    public NativeLong tilOrSince;
    public NativeLong idle;
    public NativeLong eventMask;

    public XScreenSaverInfo() {}

    public XScreenSaverInfo(Pointer p) {
      super(p);
    }
  }

  interface X11 extends Library {
    Pointer XOpenDisplay(String name);

    NativeLong XDefaultRootWindow(Pointer display);

    int XFree(Pointer data);
  }

  interface Xss extends Library {
    Pointer XScreenSaverAllocInfo();

    int XScreenSaverQueryInfo(Pointer display, NativeLong drawable, Pointer info);
  }

  private final String display;
  private X11 x11;
  private Xss xss;
  private Pointer dpy;
  private String broken;

  private X11IdleProbe(String display) {
    this.display = display;
  }

  /** The probe for this session, or null when X11 does not apply (no DISPLAY, or Wayland). */
  public static X11IdleProbe forEnvironment(Map<String, String> env) {
    return applies(env) ? new X11IdleProbe(env.get("DISPLAY")) : null;
  }

  static boolean applies(Map<String, String> env) {
    String d = env.get("DISPLAY");
    if (d == null || d.isBlank()) {
      return false;
    }
    if (env.get("WAYLAND_DISPLAY") != null && !env.get("WAYLAND_DISPLAY").isBlank()) {
      return false;
    }
    return !"wayland".equalsIgnoreCase(env.getOrDefault("XDG_SESSION_TYPE", ""));
  }

  @Override
  public synchronized Idle read() {
    if (broken != null) {
      return Idle.unknown(broken);
    }
    try {
      if (dpy == null) {
        x11 = Native.load("X11", X11.class);
        xss = Native.load("Xss", Xss.class);
        dpy = x11.XOpenDisplay(display);
        if (dpy == null) {
          broken = "cannot open X display " + display;
          return Idle.unknown(broken);
        }
      }
      Pointer info = xss.XScreenSaverAllocInfo();
      try {
        if (xss.XScreenSaverQueryInfo(dpy, x11.XDefaultRootWindow(dpy), info) == 0) {
          return Idle.unknown("XScreenSaverQueryInfo failed (no MIT-SCREEN-SAVER extension)");
        }
        XScreenSaverInfo i = new XScreenSaverInfo(info);
        i.read();
        return Idle.of(Duration.ofMillis(i.idle.longValue()), "X11 screensaver");
      } finally {
        x11.XFree(info);
      }
    } catch (LinkageError | RuntimeException e) {
      broken = "X11 idle unavailable: " + e.getMessage();
      return Idle.unknown(broken);
    }
  }
}
