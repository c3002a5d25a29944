package org.idlegrid.protocol;

/**
 * A job's verification settings; a null field takes the model's default, else replicas 2,
 * quorum 2, maxReplicas 5, allclose(1e-4, 1e-3). {@code adaptive} allows single-replica work
 * for trusted devices (null means yes).
 */
public record Verification(
    Integer replicas, Integer quorum, Integer maxReplicas, CompareSpec compare, Boolean adaptive) {}
