package org.idlegrid.coordinator.http;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.ErrorBody;

/** Small helpers for JSON answers, bounded bodies and query parameters. */
final class Http {
  static final String JSON = "application/json";

  private Http() {}

  static void json(Response response, Callback callback, int status, Object body) {
    byte[] bytes = Json.writeBytes(body);
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
    response.write(true, ByteBuffer.wrap(bytes), callback);
  }

  static void empty(Response response, Callback callback, int status) {
    response.setStatus(status);
    response.write(true, null, callback);
  }

  static void error(Response response, Callback callback, ApiError e) {
    json(response, callback, e.status, new ErrorBody(e.code, e.getMessage()));
  }

  /** The request body, refused with 413 past {@code max} bytes (by Content-Length or as read). */
  static byte[] body(Request request, long max) {
    long declared = request.getLength();
    if (declared > max) {
      throw tooLarge(max);
    }
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] bytes = in.readNBytes((int) Math.min(max + 1, Integer.MAX_VALUE - 8));
      if (bytes.length > max) {
        throw tooLarge(max);
      }
      return bytes;
    } catch (IOException e) {
      throw badRequest("the request body could not be read: " + e.getMessage());
    }
  }

  /**
   * Reads and drops what is left of the request body (up to {@code cap} bytes) so that a client
   * still sending an oversized body reads our 413 instead of a reset connection. Past the cap
   * the connection is simply closed after the answer.
   */
  static void drain(Request request, long cap) {
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] buffer = new byte[64 * 1024];
      long total = 0;
      for (int n; total < cap && (n = in.read(buffer)) >= 0; ) {
        total += n;
      }
    } catch (IOException | RuntimeException e) {
      // the client went away: nothing to answer
    }
  }

  static ApiError tooLarge(long max) {
    return new ApiError(413, "too-large", "the request body is larger than the limit of " + max + " bytes");
  }

  private static ApiError badRequest(String message) {
    return ApiError.badRequest(message);
  }

  /** The body as a JSON tree; 400 when it is not JSON. */
  static JsonNode jsonBody(Request request, long max) {
    byte[] bytes = body(request, max);
    try {
      return Json.tree(bytes);
    } catch (Json.JsonException e) {
      throw new ApiError(400, "malformed-json", "the body is not valid JSON: " + e.getMessage());
    }
  }

  /** The body as a JSON object converted to {@code type}; 400 when malformed or of the wrong shape. */
  static <T> T jsonBody(Request request, long max, Class<T> type) {
    return convert(jsonBody(request, max), type);
  }

  static <T> T convert(JsonNode node, Class<T> type) {
    if (!node.isObject()) {
      throw new ApiError(400, "malformed-json", "the body must be a JSON object");
    }
    try {
      return Json.convert(node, type);
    } catch (Json.JsonException e) {
      throw new ApiError(400, "malformed-json", "the body does not have the expected fields: " + e.getMessage());
    }
  }

  /** A body that may be empty (then {@code null}). */
  static JsonNode optionalJsonBody(Request request, long max) {
    byte[] bytes = body(request, max);
    if (new String(bytes, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
      return null;
    }
    try {
      return Json.tree(bytes);
    } catch (Json.JsonException e) {
      throw new ApiError(400, "malformed-json", "the body is not valid JSON: " + e.getMessage());
    }
  }

  static Fields query(Request request) {
    return Request.extractQueryParameters(request);
  }

  static boolean flag(Fields query, String name) {
    String v = query.getValue(name);
    return v != null && (v.isEmpty() || v.toLowerCase(Locale.ROOT).equals("true") || v.equals("1"));
  }

  static int intParam(Fields query, String name, int dflt, int min, int max) {
    String v = query.getValue(name);
    if (v == null || v.isEmpty()) {
      return dflt;
    }
    try {
      int n = Integer.parseInt(v);
      if (n < min || n > max) {
        throw ApiError.invalid("invalid-parameter", name + " must be between " + min + " and " + max + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiError.invalid("invalid-parameter", name + " must be an integer, got \"" + v + "\"");
    }
  }
}
