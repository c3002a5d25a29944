package org.idlegrid.protocol;

import java.util.List;

/**
 * {@code POST /api/v1/devices}: {@code publicKey} is standard base64 of the 32 raw Ed25519
 * public-key bytes. {@code engineVersions} maps an engine name to its version (for example
 * {@code OnnxRuntime -> 1.21.0}); it may be null.
 */
public record EnrollRequest(
    String publicKey,
    String name,
    String owner,
    Platform platform,
    List<String> engines,
    java.util.Map<String, String> engineVersions,
    String enrollmentToken) {}
