package org.idlegrid.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * {@code POST /api/v1/jobs}: {@code model} is a model name or {@code sha256:} id; the input is
 * either an uploaded file ({@code inputFile}) or inline {@code records}.
 */
public record JobRequest(
    String name,
    String model,
    String inputFile,
    List<JsonNode> records,
    Integer unitSize,
    Verification verification,
    Integer priority) {}
