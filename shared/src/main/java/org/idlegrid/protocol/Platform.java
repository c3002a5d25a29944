package org.idlegrid.protocol;

/** What a device says about itself when it enrolls. {@code gpu} may be null. */
public record Platform(String os, String arch, int cores, long memoryMb, String gpu) {}
