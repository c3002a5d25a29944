package org.idlegrid.client.probe;

/** One look at the device: what the policy decides on and what {@code status} shows. */
public record Readings(
    PowerProbe.Power power,
    IdleProbe.Idle idle,
    LoadProbe.Load load,
    ThermalProbe.Thermal thermal,
    Boolean metered,
    String at) {}
