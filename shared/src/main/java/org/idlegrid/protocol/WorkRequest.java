package org.idlegrid.protocol;

import java.util.List;

/**
 * {@code POST /api/v1/devices/{id}/work}: a long poll for up to {@code slots} assignments.
 * {@code asksEveryMs}: how often the device asks about each unit it computes ({@code GET
 * /api/v1/assignments/{id}}); absent if it does not. A device that asks is presumed gone once it
 * goes quiet for the coordinator's {@code silentAfter}, and its replicas get another slot.
 */
public record WorkRequest(int slots, List<String> cachedModels, long waitMs, Long asksEveryMs) {
  /** A device that does not say it asks about its units. */
  public WorkRequest(int slots, List<String> cachedModels, long waitMs) {
    this(slots, cachedModels, waitMs, null);
  }
}
