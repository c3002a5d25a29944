package org.idlegrid.coordinator.transitioner;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which devices went quiet in the middle of their work.
 *
 * <p>A client computing a unit asks whether it is still wanted ({@code GET
 * /api/v1/assignments/{id}}) every {@code stillWantedInterval} (30 s by default): while it asks,
 * it is there. A device that stops asking has most likely left — powered off, gone to sleep, lost
 * its network — and its replicas would otherwise wait for their deadline (10 minutes by default),
 * or for a backup that only a device with nothing else to do gives. So a device that asked at least
 * once (it heartbeats) and has not been heard from for {@link #silentAfter} is reported silent,
 * once per silence; the transitioner then gives each unit it holds a replica one more slot. Its
 * replicas stay out: if it comes back and returns a result, the result counts like any other.
 *
 * <p>A device heartbeats once it asked, or once it said in a work request that it will
 * ({@code asksEveryMs}, at least twice per {@code silentAfter}); a request that does not say so
 * ends it. Only a device that heartbeats is ever reported: a client that does not ask (an old one,
 * or one configured not to) would look silent through every unit it computes. Any contact (a
 * claim, a result) counts as heard for a device that heartbeats.
 *
 * <p>In memory only, and that is enough: this is a hint for when to replicate, never a verdict.
 * After a restart nothing is known and the deadlines apply, as before. An entry silent for a day
 * is forgotten. Thread-safe; times are the injected clock's milliseconds.
 */
public final class Heartbeats {
  /** Four asks missed at the client's default interval of 30 s. */
  public static final Duration DEFAULT_SILENT_AFTER = Duration.ofMinutes(2);
  /** How long an entry is kept after its device was last heard from. */
  static final long FORGET_AFTER_MS = Duration.ofDays(1).toMillis();

  private static final class Heard {
    volatile long last;
    volatile boolean reported;

    Heard(long last) {
      this.last = last;
    }
  }

  private final Duration silentAfter;
  private final ConcurrentHashMap<String, Heard> devices = new ConcurrentHashMap<>();

  /** @param silentAfter how long a device that heartbeats may be unheard before it counts as gone (positive) */
  public Heartbeats(Duration silentAfter) {
    if (silentAfter == null || silentAfter.isNegative() || silentAfter.isZero()) {
      throw new IllegalArgumentException("silentAfter must be positive, got " + silentAfter);
    }
    this.silentAfter = silentAfter;
  }

  public Duration silentAfter() {
    return silentAfter;
  }

  /**
   * The device asked about one of its assignments at {@code millis} (it heartbeats). A time in the
   * future is allowed: the fleet simulator registers the asks a device will make while it
   * computes at once.
   */
  public void asked(String deviceId, long millis) {
    Heard h = devices.computeIfAbsent(deviceId, id -> new Heard(millis));
    synchronized (h) {
      note(h, millis);
    }
  }

  /**
   * The device asks for work, saying how often it asks about each unit it computes
   * ({@code asksEveryMs}, null if it does not). One that asks at least twice per
   * {@link #silentAfter} heartbeats from now on, its first unit included; one that does not (or
   * not that often) does not, whatever it did before.
   */
  public void polled(String deviceId, long millis, Long asksEveryMs) {
    if (asksEveryMs != null && asksEveryMs > 0 && asksEveryMs * 2 <= silentAfter.toMillis()) {
      asked(deviceId, millis);
    } else {
      devices.remove(deviceId);
    }
  }

  /** The device was heard from otherwise (a claim, a result); counts only for a device that heartbeats. */
  public void heard(String deviceId, long millis) {
    Heard h = devices.get(deviceId);
    if (h != null) {
      synchronized (h) {
        note(h, millis);
      }
    }
  }

  private static void note(Heard h, long millis) {
    if (millis > h.last) {
      h.last = millis;
    }
    h.reported = false;
  }

  /**
   * Devices that heartbeat and were last heard from before {@code now - silentAfter}, not
   * reported since; each is reported once until it is heard from again.
   */
  List<String> silent(long now) {
    long cutoff = now - silentAfter.toMillis();
    List<String> out = new ArrayList<>();
    devices.forEach((id, h) -> {
      synchronized (h) {
        if (h.last < cutoff && !h.reported) {
          h.reported = true;
          out.add(id);
        }
      }
    });
    devices.values().removeIf(h -> h.last < now - FORGET_AFTER_MS);
    return out;
  }
}
