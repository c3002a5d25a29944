package org.idlegrid.client;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.idlegrid.client.eligibility.PauseFlag;
import org.idlegrid.client.probe.Readings;
import org.idlegrid.client.status.ClientStatus;
import org.idlegrid.client.status.ClientStatus.CurrentUnit;
import org.idlegrid.client.status.ClientStatus.State;
import org.idlegrid.client.status.StatusFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The client's current state; written to status.json on every change and periodically. */
final class StatusReporter {
  private static final Logger log = LoggerFactory.getLogger(StatusReporter.class);

  private final Path stateDir;
  private final Clock clock;
  private final String coordinator;
  private final IntSupplier outboxSize;
  private final String policy;
  private volatile String deviceId;
  private volatile Supplier<Readings> readings = () -> null;
  private volatile BooleanSupplier runtimeLoaded = () -> false;
  private volatile Double credit;
  private State state = State.STARTING;
  private String reason = "starting";
  private CurrentUnit unit;
  private int running;
  private long done;
  private long aborted;

  StatusReporter(Path stateDir, Clock clock, String coordinator, IntSupplier outboxSize, String policy) {
    this.stateDir = stateDir;
    this.policy = policy;
    this.clock = clock;
    this.coordinator = coordinator;
    this.outboxSize = outboxSize;
  }

  void deviceId(String id) {
    deviceId = id;
  }

  void sources(Supplier<Readings> readings, BooleanSupplier runtimeLoaded) {
    this.readings = readings;
    this.runtimeLoaded = runtimeLoaded;
  }

  void credit(Double credit) {
    this.credit = credit;
  }

  /** Sets the state; logs and writes the file if it changed. */
  void state(State s, String why) {
    boolean changed;
    synchronized (this) {
      changed = s != state || !Objects.equals(why, reason);
      state = s;
      reason = why;
    }
    if (changed) {
      if (s == State.INELIGIBLE || s == State.BACKING_OFF) {
        log.info("{}: {}", s, why);
      } else {
        log.debug("{}: {}", s, why);
      }
      write();
    }
  }

  synchronized void units(CurrentUnit first, int count) {
    unit = first;
    running = count;
  }

  synchronized void resultDone() {
    done++;
  }

  synchronized void aborted() {
    aborted++;
  }

  synchronized ClientStatus snapshot() {
    return new ClientStatus(state, reason, coordinator, deviceId, unit, running, outboxSize.getAsInt(), done, aborted,
        ProcessHandle.current().pid(), clock.instant().toString(), policy, PauseFlag.isPaused(stateDir),
        runtimeLoaded.getAsBoolean(), credit, readings.get());
  }

  void write() {
    try {
      StatusFile.write(stateDir, snapshot());
    } catch (IOException | RuntimeException e) {
      log.warn("cannot write {}: {}", stateDir.resolve(StatusFile.FILE), e.getMessage());
    }
  }
}
