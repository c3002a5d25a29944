package org.idlegrid.client.eligibility;

import java.time.Clock;
import org.idlegrid.client.probe.Probes;
import org.idlegrid.client.probe.Readings;

/**
 * The {@code idle-and-charging} policy: reads this OS's probes and applies {@link RunPolicy}
 * with the owner's {@link Preferences}, keeping the hysteresis state between checks.
 */
public final class OwnerPolicy implements Eligibility {
  private final Probes probes;
  private final Preferences preferences;
  private final Clock clock;
  private RunPolicy.State state = RunPolicy.State.initial();
  private volatile Readings last;

  public OwnerPolicy(Probes probes, Preferences preferences, Clock clock) {
    this.probes = probes;
    this.preferences = preferences;
    this.clock = clock;
  }

  public static OwnerPolicy forThisOs(Preferences preferences, Clock clock) {
    return new OwnerPolicy(Probes.forThisOs(clock), preferences, clock);
  }

  @Override
  public synchronized Decision check() {
    Readings r = probes.read(clock);
    last = r;
    RunPolicy.Verdict v = RunPolicy.decide(r, preferences, state, clock.instant());
    state = v.next();
    return v.decision();
  }

  @Override
  public Readings lastReadings() {
    return last;
  }

  public Preferences preferences() {
    return preferences;
  }
}
