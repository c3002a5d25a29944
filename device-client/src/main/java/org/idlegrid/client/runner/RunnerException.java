package org.idlegrid.client.runner;

/** The unit cannot be computed: a bad record, a model that will not load, an engine error. */
public class RunnerException extends Exception {
  public RunnerException(String message) {
    super(message);
  }

  public RunnerException(String message, Throwable cause) {
    super(message, cause);
  }
}
