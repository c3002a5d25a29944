package org.idlegrid.client.identity;

/**
 * What enrollment gave this device, kept in {@code <state-dir>/enrollment.json} (mode 600): the
 * coordinator it belongs to, its id, its bearer token and the coordinator's public key (base64
 * raw Ed25519) that every assignment must be signed with.
 */
public record Enrollment(String coordinator, String deviceId, String token, String coordinatorKey) {
  @Override
  public String toString() {
    return "Enrollment[coordinator=" + coordinator + ", deviceId=" + deviceId + ", token=<hidden>]";
  }
}
