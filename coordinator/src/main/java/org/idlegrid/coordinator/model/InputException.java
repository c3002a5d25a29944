package org.idlegrid.coordinator.model;

/** An input record that does not fit the model; the message names the record and the input. */
public final class InputException extends RuntimeException {
  public InputException(String message) {
    super(message);
  }
}
