package org.idlegrid.client.net;

/**
 * The coordinator answered with a status that retrying will not change (a 4xx other than 429,
 * or an unexpected code): {@link #status()} and the {@code error} code and message it sent.
 */
public class CoordinatorException extends RuntimeException {
  private final int status;
  private final String error;

  public CoordinatorException(String what, int status, String error, String message) {
    super(what + ": HTTP " + status + (error == null ? "" : " " + error) + (message == null ? "" : ": " + message));
    this.status = status;
    this.error = error;
  }

  public int status() {
    return status;
  }

  /** The {@code error} code of the coordinator's JSON error body, or null. */
  public String error() {
    return error;
  }
}
