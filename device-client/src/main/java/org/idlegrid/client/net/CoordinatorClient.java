package org.idlegrid.client.net;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import org.idlegrid.json.Hashes;
import org.idlegrid.json.Json;
import org.idlegrid.protocol.AbortRequest;
import org.idlegrid.protocol.EnrollRequest;
import org.idlegrid.protocol.EnrollResponse;
import org.idlegrid.protocol.ErrorBody;
import org.idlegrid.protocol.WorkRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The device side of the device protocol (DESIGN.md, "Device protocol (v1)") over
 * {@link HttpClient}.
 *
 * <p>Retries: a connection failure (refused, reset, timeout, a body cut short) or a 5xx/429
 * answer is retried up to {@code maxAttempts} times with {@link Backoff} (capped exponential,
 * jittered); a {@code Retry-After} header (seconds or an HTTP date) is honoured as the minimum
 * wait. Any other status is an answer: the caller gets it ({@link CoordinatorException} or a
 * status code). Nothing here ever loops without waiting.
 *
 * <p>Auth: the bearer token goes only to the coordinator's own origin, never to a model URL on
 * another host. The token is never logged.
 *
 * <p>Stopping: a {@link StopSignal} cancels in-flight exchanges and ends waits. After a graceful
 * stop, {@link #abort} still makes one short attempt (telling the coordinator "shutdown" is the
 * point of a graceful stop); after a {@linkplain StopSignal#crash() crash} nothing is sent.
 */
public final class CoordinatorClient {
  private static final Logger log = LoggerFactory.getLogger(CoordinatorClient.class);
  private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(30);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  private static final long MAX_JSON_BYTES = 512L << 20;

  private final URI base;
  private final HttpClient http;
  private final Backoff backoff;
  private final Sleeper sleeper;
  private final StopSignal stop;
  private final Clock clock;
  private final Set<Closeable> inflight = ConcurrentHashMap.newKeySet();
  private volatile String token;
  private volatile Duration callTimeout = CALL_TIMEOUT;
  private volatile Duration pollMargin = Duration.ofSeconds(15);

  public CoordinatorClient(URI coordinator, Backoff backoff, Sleeper sleeper, StopSignal stop, Clock clock) {
    this.base = normalize(coordinator);
    this.backoff = Objects.requireNonNull(backoff);
    this.sleeper = Objects.requireNonNull(sleeper);
    this.stop = Objects.requireNonNull(stop);
    this.clock = Objects.requireNonNull(clock);
    this.http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    stop.onStop(this::cancelInflight);
  }

  /** {@code url} without a trailing slash: the form stored in enrollment.json and compared. */
  public static URI normalize(URI url) {
    String s = url.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return URI.create(s);
  }

  public URI base() {
    return base;
  }

  /**
   * How long one call may take (default 30 s) and how long past its {@code waitMs} a long poll
   * may stay silent (default 15 s); a coordinator that stalls longer is treated like a dropped
   * connection: retried with backoff.
   */
  public void timeouts(Duration call, Duration pollMargin) {
    this.callTimeout = call;
    this.pollMargin = pollMargin;
  }

  /** Sets the bearer token for every later call (after enrollment). */
  public void token(String token) {
    this.token = token;
  }

  /** A URL as an assignment gives it, relative ones resolved against the coordinator. */
  public URI resolve(String url) {
    URI u = URI.create(url);
    if (u.isAbsolute()) {
      return u;
    }
    return URI.create(base + "/").resolve(url);
  }

  // ---------------------------------------------------------------- calls

  public EnrollResponse enroll(EnrollRequest request, int maxAttempts) {
    HttpRequest req = post(api("/devices"), Json.writeBytes(request), callTimeout);
    return withRetries("enroll", maxAttempts, false, lastChance -> {
      Answer a = sendJson(req, lastChance);
      if (a.status == 200 || a.status == 201) {
        return Json.convert(parsed(a.body, "enrollment answer"), EnrollResponse.class);
      }
      throw a.failure("enroll");
    });
  }

  /**
   * The long poll: the assignments array of a 200 as received (for signature checks on the
   * tree), or empty on 204.
   */
  public Optional<JsonNode> work(String deviceId, WorkRequest request, int maxAttempts) {
    Duration timeout = Duration.ofMillis(request.waitMs()).plus(pollMargin);
    HttpRequest req = post(api("/devices/" + deviceId + "/work"), Json.writeBytes(request), timeout);
    return withRetries("work request", maxAttempts, false, lastChance -> {
      Answer a = sendJson(req, lastChance);
      if (a.status == 204) {
        return Optional.<JsonNode>empty();
      }
      if (a.status == 200) {
        return Optional.of(parsed(a.body, "work answer"));
      }
      throw a.failure("work request");
    });
  }

  /** A download: how many bytes came (at most {@code maxBytes + 1}) and their sha256. */
  public record Download(long bytes, String sha256Hex) {}

  /**
   * Streams {@code url} to {@code target} while hashing; stops reading one byte past
   * {@code maxBytes} (the caller then sees a size mismatch).
   */
  public Download download(String url, Path target, long maxBytes, int maxAttempts) {
    URI uri = resolve(url);
    HttpRequest req = request(uri, Duration.ofSeconds(60)).GET().build();
    return withRetries("download " + uri, maxAttempts, false, lastChance -> {
      HttpResponse<InputStream> r = send(req, lastChance);
      InputStream body = r.body();
      inflight.add(body); // a stop closes the stream: a stalled read ends at once
      try (InputStream in = body) {
        if (r.statusCode() / 100 != 2) {
          throw new Answer(r.statusCode(), readLimited(in, 64 << 10), r.headers()).failure("download " + uri);
        }
        MessageDigest digest = Hashes.sha256();
        long n = 0;
        try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
          byte[] buffer = new byte[64 * 1024];
          for (int k; n <= maxBytes && (k = in.read(buffer, 0, (int) Math.min(buffer.length, maxBytes + 1 - n))) > 0; ) {
            stop.check();
            digest.update(buffer, 0, k);
            out.write(buffer, 0, k);
            n += k;
          }
        }
        return new Download(n, HexFormat.of().formatHex(digest.digest()));
      } finally {
        inflight.remove(body);
      }
    });
  }

  /** The bytes at {@code url} (for inputUrl), at most {@code maxBytes}. */
  public byte[] fetch(String url, long maxBytes, int maxAttempts) {
    URI uri = resolve(url);
    HttpRequest req = request(uri, callTimeout).GET().build();
    return withRetries("fetch " + uri, maxAttempts, false, lastChance -> {
      HttpResponse<InputStream> r = send(req, lastChance);
      try (InputStream in = r.body()) {
        byte[] body = readLimited(in, maxBytes);
        if (r.statusCode() / 100 != 2) {
          throw new Answer(r.statusCode(), body, r.headers()).failure("fetch " + uri);
        }
        return body;
      }
    });
  }

  /**
   * Posts a signed result exactly as stored in the outbox; returns the status of the first
   * answer that is not transient (200 accepted, 409 already returned, 404, 403...).
   */
  public int submitResult(String assignmentId, byte[] signedJson, int maxAttempts) {
    HttpRequest req = post(api("/assignments/" + assignmentId + "/result"), signedJson, callTimeout);
    return withRetries("result " + assignmentId, maxAttempts, false, lastChance -> {
      Answer a = sendJson(req, lastChance);
      if (a.status / 100 == 2 || (a.status / 100 == 4 && a.status != 429)) {
        if (a.status / 100 == 4) {
          log.warn("result {}: coordinator answered {}", assignmentId, a.describe());
        }
        return a.status;
      }
      throw a.failure("result " + assignmentId);
    });
  }

  /**
   * Is the assignment still wanted? Its state as the coordinator has it ({@code ISSUED}: go on;
   * anything else, such as {@code ABORTED} for a cancelled job or a replica called off, or
   * {@code TIMED_OUT}: stop; {@code UNKNOWN} for a 404, {@code FORBIDDEN} for a 403), or empty
   * when the question could not be answered (one attempt, no retries: the caller asks again
   * later and keeps computing meanwhile). Never throws but Stopped.
   */
  public Optional<String> assignmentState(String assignmentId) {
    HttpRequest req = request(api("/assignments/" + assignmentId), Duration.ofSeconds(10)).GET().build();
    try {
      return withRetries("assignment " + assignmentId, 1, false, lastChance -> {
        Answer a = sendJson(req, lastChance);
        if (a.status == 200) {
          JsonNode state = parsed(a.body, "assignment answer").get("state");
          return state != null && state.isTextual() ? Optional.of(state.asText()) : Optional.<String>empty();
        }
        if (a.status == 404 || a.status == 403) {
          // not this device's (any more), or the device is banned: nobody will take its result
          return Optional.of(a.status == 404 ? "UNKNOWN" : "FORBIDDEN");
        }
        throw a.failure("assignment " + assignmentId);
      });
    } catch (CoordinatorException | TransientFailure e) {
      log.debug("could not ask about assignment {}: {}", assignmentId, e.getMessage());
      return Optional.empty();
    }
  }

  /** Tells the coordinator a unit will not be finished; best effort, never throws but Stopped. */
  public boolean abort(String assignmentId, String reason, int maxAttempts) {
    if (stop.crashed()) {
      return false;
    }
    HttpRequest req = post(api("/assignments/" + assignmentId + "/abort"),
        Json.writeBytes(new AbortRequest(reason)), stop.stopped() ? Duration.ofSeconds(3) : callTimeout);
    try {
      return withRetries("abort " + assignmentId, maxAttempts, true, lastChance -> {
        Answer a = sendJson(req, lastChance);
        if (a.status / 100 == 2) {
          return true;
        }
        throw a.failure("abort " + assignmentId);
      });
    } catch (CoordinatorException | TransientFailure e) {
      log.warn("could not report abort of {} ({}): {}", assignmentId, reason, e.getMessage());
      return false;
    }
  }

  // ---------------------------------------------------------------- machinery

  @FunctionalInterface
  private interface Attempt<R> {
    /** @param lastChance true for the one call allowed after a graceful stop (not cancelled by it) */
    R run(boolean lastChance) throws IOException, Answer;
  }

  private <R> R withRetries(String what, int maxAttempts, boolean finalCall, Attempt<R> attempt) {
    Exception last = null;
    for (int n = 1; ; n++) {
      boolean lastChance = finalCall && stop.stopped();
      if (stop.crashed() || (stop.stopped() && !lastChance)) {
        throw new StopSignal.Stopped();
      }
      Duration retryAfter = null;
      try {
        return attempt.run(lastChance);
      } catch (Answer a) {
        last = a;
        retryAfter = a.retryAfter(clock);
      } catch (IOException e) {
        if (stop.stopped() && !lastChance) {
          throw new StopSignal.Stopped();
        }
        last = e;
      }
      if (n >= maxAttempts || lastChance) {
        throw new TransientFailure(what + " failed after " + n + " attempt(s): " + describe(last), last);
      }
      Duration wait = backoff.delay(n);
      if (retryAfter != null && retryAfter.compareTo(wait) > 0) {
        wait = retryAfter.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : retryAfter;
      }
      log.warn("{} failed ({}); retry {} in {} ms", what, describe(last), n, wait.toMillis());
      sleeper.sleep(wait);
    }
  }

  private static String describe(Exception e) {
    if (e instanceof Answer a) {
      return a.describe();
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private HttpResponse<InputStream> send(HttpRequest req, boolean lastChance) throws IOException {
    CompletableFuture<HttpResponse<InputStream>> f = http.sendAsync(req, HttpResponse.BodyHandlers.ofInputStream());
    Closeable cancel = () -> f.cancel(true);
    if (!lastChance) {
      inflight.add(cancel);
      if (stop.stopped()) {
        f.cancel(true); // stop() came between the caller's check and the registration above
      }
    }
    try {
      return f.get();
    } catch (CancellationException e) {
      throw new StopSignal.Stopped();
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw new StopSignal.Stopped();
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new IOException(c == null ? "request failed" : c.toString(), c);
    } finally {
      inflight.remove(cancel);
    }
  }

  /** Sends; a 5xx/429 answer is thrown (retryable), any other is returned with its body. */
  private Answer sendJson(HttpRequest req, boolean lastChance) throws IOException, Answer {
    HttpResponse<InputStream> r = send(req, lastChance);
    byte[] body;
    try (InputStream in = r.body()) {
      body = readLimited(in, MAX_JSON_BYTES);
    }
    Answer a = new Answer(r.statusCode(), body, r.headers());
    if (a.transientStatus()) {
      throw a;
    }
    return a;
  }

  /** A 2xx body that is not JSON (cut short by a proxy, garbage): a transient failure, retried. */
  private static JsonNode parsed(byte[] body, String what) throws IOException {
    try {
      return Json.tree(body);
    } catch (Json.JsonException e) {
      throw new IOException(what + " is not complete JSON (" + body.length + " bytes): " + e.getMessage(), e);
    }
  }

  private void cancelInflight() {
    for (Closeable c : inflight) {
      try {
        c.close();
      } catch (IOException | RuntimeException ignored) {
        // best effort
      }
    }
  }

  private static byte[] readLimited(InputStream in, long limit) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[16 * 1024];
    long n = 0;
    for (int k; (k = in.read(buffer)) > 0; ) {
      n += k;
      if (n > limit) {
        throw new IOException("answer larger than " + limit + " bytes");
      }
      out.write(buffer, 0, k);
    }
    return out.toByteArray();
  }

  private URI api(String path) {
    return URI.create(base + "/api/v1" + path);
  }

  private HttpRequest post(URI uri, byte[] body, Duration timeout) {
    return request(uri, timeout)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  private HttpRequest.Builder request(URI uri, Duration timeout) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Accept", "application/json")
        .header("User-Agent", "idlegrid-client/0.1");
    String t = token;
    if (t != null && sameOrigin(uri)) {
      b.header("Authorization", "Bearer " + t);
    }
    return b;
  }

  private boolean sameOrigin(URI uri) {
    return Objects.equals(uri.getScheme(), base.getScheme())
        && Objects.equals(uri.getHost(), base.getHost())
        && uri.getPort() == base.getPort();
  }

  /** One HTTP answer; thrown when it is transient (5xx, 429). */
  private static final class Answer extends Exception {
    final int status;
    final byte[] body;
    final HttpHeaders headers;

    Answer(int status, byte[] body, HttpHeaders headers) {
      super(null, null, false, false);
      this.status = status;
      this.body = body;
      this.headers = headers;
    }

    boolean transientStatus() {
      return status >= 500 || status == 429;
    }

    /** What to throw for this answer: itself if transient, else a CoordinatorException. */
    Answer failure(String what) throws Answer {
      if (transientStatus()) {
        throw this;
      }
      ErrorBody e = errorBody();
      throw new CoordinatorException(what, status, e == null ? null : e.error(),
          e == null ? snippet() : e.message());
    }

    Duration retryAfter(Clock clock) {
      Optional<String> v = headers.firstValue("Retry-After");
      if (v.isEmpty()) {
        return null;
      }
      String s = v.get().trim();
      try {
        return Duration.ofSeconds(Math.max(0, Long.parseLong(s)));
      } catch (NumberFormatException e) {
        try {
          ZonedDateTime at = ZonedDateTime.parse(s, DateTimeFormatter.RFC_1123_DATE_TIME);
          Duration d = Duration.between(clock.instant(), at.toInstant());
          return d.isNegative() ? Duration.ZERO : d;
        } catch (RuntimeException ignored) {
          return null;
        }
      }
    }

    ErrorBody errorBody() {
      try {
        return body.length == 0 ? null : Json.read(body, ErrorBody.class);
      } catch (RuntimeException e) {
        return null;
      }
    }

    String snippet() {
      String s = new String(body, java.nio.charset.StandardCharsets.UTF_8).strip();
      return s.isEmpty() ? null : (s.length() > 200 ? s.substring(0, 200) + "…" : s);
    }

    String describe() {
      ErrorBody e = errorBody();
      return "HTTP " + status + (e != null ? " " + e.error() + ": " + e.message() : snippet() == null ? "" : ": " + snippet());
    }

    @Override
    public String getMessage() {
      return describe();
    }
  }
}
