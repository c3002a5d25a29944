package org.idlegrid.coordinator.store;

/** An enrolled device: ACTIVE gets work; QUARANTINED gets none; BANNED is refused everywhere. */
public enum DeviceState {
  ACTIVE, QUARANTINED, BANNED
}
