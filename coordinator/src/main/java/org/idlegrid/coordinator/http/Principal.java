package org.idlegrid.coordinator.http;

import org.idlegrid.coordinator.store.Rows;

/** Who is calling: an API key (by name) or an enrolled device. */
record Principal(Kind kind, String name, Rows.Caller device) {
  enum Kind { ADMIN, SUBMITTER, DEVICE }

  boolean isAdmin() {
    return kind == Kind.ADMIN;
  }
}
