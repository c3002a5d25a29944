package org.idlegrid.coordinator.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.idlegrid.json.Json;

/** A tiny client for the coordinator's API over real loopback HTTP. */
public final class ApiClient {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;
  private final String token;

  public ApiClient(URI base, String token) {
    this.base = base;
    this.token = token;
  }

  /** The same caller talking to another coordinator address (e.g. after a restart). */
  public ApiClient at(URI otherBase) {
    return new ApiClient(otherBase, token);
  }

  public ApiClient as(String otherToken) {
    return new ApiClient(base, otherToken);
  }

  /** An answer: status, raw body, and the body as JSON (null if not JSON). */
  public record Answer(int status, byte[] body) {
    public JsonNode json() {
      return body.length == 0 ? null : Json.tree(body);
    }

    public String text() {
      return new String(body, StandardCharsets.UTF_8);
    }

    public String error() {
      JsonNode j = json();
      return j == null ? null : j.path("error").asText(null);
    }

    @Override
    public String toString() {
      return status + " " + text();
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  public HttpRequest build(String method, String path, byte[] body) {
    HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
        : HttpRequest.BodyPublishers.ofByteArray(body);
    return request(path).method(method, pub).build();
  }

  public Answer send(String method, String path, byte[] body) {
    try {
      HttpResponse<byte[]> r = HTTP.send(build(method, path, body), HttpResponse.BodyHandlers.ofByteArray());
      return new Answer(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public CompletableFuture<Answer> sendAsync(String method, String path, byte[] body) {
    return HTTP.sendAsync(build(method, path, body), HttpResponse.BodyHandlers.ofByteArray())
        .thenApply(r -> new Answer(r.statusCode(), r.body()));
  }

  public Answer get(String path) {
    return send("GET", path, null);
  }

  public Answer delete(String path) {
    return send("DELETE", path, null);
  }

  public Answer post(String path, byte[] body) {
    return send("POST", path, body);
  }

  public Answer post(String path, String json) {
    return send("POST", path, json.getBytes(StandardCharsets.UTF_8));
  }

  public Answer postJson(String path, Object value) {
    return send("POST", path, Json.writeBytes(value));
  }
}
