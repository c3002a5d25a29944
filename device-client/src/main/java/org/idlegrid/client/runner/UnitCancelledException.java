package org.idlegrid.client.runner;

/** The unit was stopped before it finished (the device became ineligible, pause, shutdown). */
public class UnitCancelledException extends Exception {
  public UnitCancelledException() {
    super("unit cancelled", null, false, false);
  }
}
