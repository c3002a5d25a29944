package org.idlegrid.protocol;

/** The answer to enrollment: the device's id, its bearer token and the coordinator's public key. */
public record EnrollResponse(String deviceId, String token, String coordinatorKey) {}
