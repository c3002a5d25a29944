package org.idlegrid.protocol;

import java.util.List;

/** {@code POST /api/v1/devices/{id}/work}: a long poll for up to {@code slots} assignments. */
public record WorkRequest(int slots, List<String> cachedModels, long waitMs) {}
