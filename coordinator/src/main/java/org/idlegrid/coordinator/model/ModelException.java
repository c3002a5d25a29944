package org.idlegrid.coordinator.model;

/** An uploaded model that is not a model this coordinator accepts; the message says why. */
public final class ModelException extends RuntimeException {
  public ModelException(String message) {
    super(message);
  }
}
