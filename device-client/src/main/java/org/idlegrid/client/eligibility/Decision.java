package org.idlegrid.client.eligibility;

import java.util.Objects;

/**
 * Whether work may run now. {@code reason} is what the client tells the coordinator when it
 * aborts a unit and what {@code status} shows the owner: a short code ({@code on-battery},
 * {@code user-active}, {@code thermal}, {@code paused}, {@code shutdown}) optionally followed by
 * {@code ": <detail>"}. A decision to run has the reason {@code "eligible"}.
 */
public record Decision(boolean run, String reason) {
  public static final String ELIGIBLE = "eligible";

  public Decision {
    Objects.requireNonNull(reason, "reason");
  }

  public static Decision eligible() {
    return new Decision(true, ELIGIBLE);
  }

  public static Decision refuse(String reason) {
    return new Decision(false, reason);
  }
}
