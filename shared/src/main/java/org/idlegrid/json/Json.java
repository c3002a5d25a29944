package org.idlegrid.json;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The one JSON codec of the project: every module reads and writes the wire format through
 * {@link #mapper()} so that the coordinator, the client and the Android sample agree byte for
 * byte on what they sign.
 *
 * <p>Nulls are left out on the way out ({@code energyJ} absent, not {@code null}); unknown
 * properties are ignored on the way in so that an older client talks to a newer coordinator.
 * Floating point numbers are read as doubles, which round-trips what either side writes.
 *
 * <p>Duplicate keys in an object are rejected (RFC 8785 / I-JSON forbid them): otherwise the
 * signed form and what a reader acts on could differ. {@link #read} never returns null: the
 * document {@code null} where a value was expected is a {@link JsonException}.
 */
public final class Json {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .serializationInclusion(JsonInclude.Include.NON_NULL)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(
        StreamReadConstraints.builder().maxNestingDepth(64).maxStringLength(64 << 20).build());
  }

  private Json() {}

  public static ObjectMapper mapper() {
    return MAPPER;
  }

  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  public static byte[] writeBytes(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Reads {@code json} as {@code type}; a malformed document throws {@link JsonException}. */
  public static <T> T read(byte[] json, Class<T> type) {
    try {
      return notNull(MAPPER.readValue(json, type), type);
    } catch (IOException e) {
      throw new JsonException(describe(e), e);
    }
  }

  public static <T> T read(String json, Class<T> type) {
    try {
      return notNull(MAPPER.readValue(json, type), type);
    } catch (IOException e) {
      throw new JsonException(describe(e), e);
    }
  }

  private static <T> T notNull(T value, Class<T> type) {
    if (value == null) {
      throw new JsonException("expected a JSON " + (type.isRecord() ? "object" : "value")
          + " for " + type.getSimpleName() + ", got null or an empty document", null);
    }
    return value;
  }

  public static JsonNode tree(byte[] json) {
    try {
      JsonNode node = MAPPER.readTree(json);
      if (node == null || node.isMissingNode()) {
        throw new JsonException("empty body: a JSON document was expected", null);
      }
      return node;
    } catch (IOException e) {
      throw new JsonException(describe(e), e);
    }
  }

  public static JsonNode tree(String json) {
    return tree(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  public static <T> T convert(JsonNode node, Class<T> type) {
    try {
      return notNull(MAPPER.treeToValue(node, type), type);
    } catch (IOException e) {
      throw new JsonException(describe(e), e);
    } catch (IllegalArgumentException e) {
      throw new JsonException(String.valueOf(e.getMessage()), e);
    }
  }

  public static ObjectNode toTree(Object value) {
    JsonNode node = MAPPER.valueToTree(value);
    if (!(node instanceof ObjectNode object)) {
      throw new IllegalArgumentException("not a JSON object: " + value);
    }
    return object;
  }

  private static String describe(IOException e) {
    if (e instanceof JsonProcessingException p) {
      String msg = p.getOriginalMessage();
      String where = path(p);
      if (!where.isEmpty()) {
        msg = "at " + where + ": " + msg;
      }
      if (p.getLocation() != null) {
        msg += " (line " + p.getLocation().getLineNr() + ", column " + p.getLocation().getColumnNr() + ")";
      }
      return msg;
    }
    throw new UncheckedIOException(e);
  }

  /** The JSON path of the failing field, like {@code model.bytes} or {@code records[2]}. */
  private static String path(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException m)) {
      return "";
    }
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference ref : m.getPath()) {
      if (ref.getFieldName() != null) {
        if (out.length() > 0) {
          out.append('.');
        }
        out.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        out.append('[').append(ref.getIndex()).append(']');
      }
    }
    return out.toString();
  }

  /** A document that is not valid JSON or does not fit the expected shape. */
  public static final class JsonException extends RuntimeException {
    public JsonException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
