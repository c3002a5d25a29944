package org.idlegrid.protocol;

/**
 * How replicas are compared: {@code mode} is {@code exact}, {@code allclose} ({@code atol},
 * {@code rtol}), {@code argmax} or {@code cosine} ({@code min} similarity).
 */
public record CompareSpec(String mode, Double atol, Double rtol, Double min) {}
