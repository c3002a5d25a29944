package org.idlegrid.coordinator.store;

import java.util.Locale;

/** What an API key may do. */
public enum Role {
  SUBMITTER, ADMIN;

  /** "submitter" / "admin" as the API spells them. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role fromWire(String s) {
    if ("submitter".equals(s)) {
      return SUBMITTER;
    }
    if ("admin".equals(s)) {
      return ADMIN;
    }
    throw new IllegalArgumentException("role must be \"submitter\" or \"admin\", got " + (s == null ? "nothing" : "\"" + s + "\""));
  }
}
