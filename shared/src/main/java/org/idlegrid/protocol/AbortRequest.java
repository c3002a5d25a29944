package org.idlegrid.protocol;

/**
 * {@code POST /api/v1/assignments/{id}/abort}: {@code user-active}, {@code on-battery},
 * {@code thermal}, {@code shutdown} or {@code error: <what>}.
 */
public record AbortRequest(String reason) {}
