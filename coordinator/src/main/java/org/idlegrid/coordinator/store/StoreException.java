package org.idlegrid.coordinator.store;

/** A storage failure (the database is unreachable, corrupt or full): never the caller's fault. */
public class StoreException extends RuntimeException {
  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
