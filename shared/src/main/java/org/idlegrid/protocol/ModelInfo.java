package org.idlegrid.protocol;

/** {@code POST /api/v1/models} answer and list entry. */
public record ModelInfo(String id, String name, String engine, long bytes, String createdAt) {}
