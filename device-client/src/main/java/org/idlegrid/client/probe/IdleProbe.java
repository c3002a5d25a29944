package org.idlegrid.client.probe;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/** How long the user has left the device alone. FAILS CLOSED: unknown is a reading, not zero. */
@FunctionalInterface
public interface IdleProbe {
  Idle read();

  /**
   * @param idleFor the time since the last user input, or null when this probe cannot tell
   * @param detail which source told it (logind, X11, ...), or why it cannot tell
   */
  record Idle(@JsonIgnore Duration idleFor, String detail) {
    public static Idle of(Duration idleFor, String source) {
      return new Idle(idleFor.isNegative() ? Duration.ZERO : idleFor, source);
    }

    public static Idle unknown(String why) {
      return new Idle(null, why);
    }

    @JsonIgnore
    public boolean known() {
      return idleFor != null;
    }

    /** For status JSON: whole seconds, or null when unknown. */
    @JsonProperty("idleSeconds")
    public Long idleSeconds() {
      return idleFor == null ? null : idleFor.toSeconds();
    }
  }

  static IdleProbe unknown(String why) {
    return () -> Idle.unknown(why);
  }

  /** The first probe that can tell; unknown (with every probe's reason) if none can. */
  static IdleProbe firstKnown(IdleProbe... probes) {
    return () -> {
      StringBuilder why = new StringBuilder();
      for (IdleProbe p : probes) {
        Idle r = p.read();
        if (r.known()) {
          return r;
        }
        why.append(why.isEmpty() ? "" : "; ").append(r.detail());
      }
      return Idle.unknown(why.toString());
    };
  }
}
