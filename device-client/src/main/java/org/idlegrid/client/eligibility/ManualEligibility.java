package org.idlegrid.client.eligibility;

import java.util.concurrent.atomic.AtomicReference;

/**
 * An eligibility switched by hand: the fake for tests and in-process integration tests
 * ("the user came back": {@code set(Decision.refuse("user-active"))}).
 */
public final class ManualEligibility implements Eligibility {
  private final AtomicReference<Decision> current;

  public ManualEligibility(Decision initial) {
    current = new AtomicReference<>(initial);
  }

  public static ManualEligibility eligible() {
    return new ManualEligibility(Decision.eligible());
  }

  public void set(Decision decision) {
    current.set(decision);
  }

  public void refuse(String reason) {
    set(Decision.refuse(reason));
  }

  public void allow() {
    set(Decision.eligible());
  }

  @Override
  public Decision check() {
    return current.get();
  }
}
