package org.idlegrid.client.cache;

/** A model that must not be used: wrong hash or size, malformed id, unsafe archive. */
public class ModelRejectedException extends Exception {
  public ModelRejectedException(String message) {
    super(message);
  }

  public ModelRejectedException(String message, Throwable cause) {
    super(message, cause);
  }
}
