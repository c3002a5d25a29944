package org.idlegrid.coordinator.http;

import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Invocable;
import org.idlegrid.coordinator.http.Principal.Kind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's one Jetty handler: routes {@code /healthz} and {@code /api/v1/...}, checks
 * the caller's role first on every call, and turns every failure into a JSON
 * {@code {"error","message"}} answer. Handlers may block (database, files) except the work long
 * poll, which parks its callback in {@link WorkWaiters} and returns.
 */
public final class ApiHandler extends Handler.Abstract implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
  private static final long DRAIN_CAP = 64L << 20;
  private static final long SMALL_DRAIN = 64 * 1024;
  private static final Kind[] SUBMITTERS = {Kind.SUBMITTER, Kind.ADMIN};
  private static final Kind[] ADMIN = {Kind.ADMIN};
  private static final Kind[] DEVICE = {Kind.DEVICE};
  private static final Kind[] ANYONE = {Kind.SUBMITTER, Kind.ADMIN, Kind.DEVICE};

  private final Auth auth;
  private final WorkWaiters waiters;
  private final SubmitterApi submitter;
  private final AdminApi admin;
  private final DeviceApi device;

  public ApiHandler(Services services) {
    super(Invocable.InvocationType.BLOCKING);
    this.auth = new Auth(services.store());
    this.waiters = new WorkWaiters(services.scheduler());
    this.submitter = new SubmitterApi(services, waiters::wake);
    this.admin = new AdminApi(services);
    this.device = new DeviceApi(services, waiters);
  }

  /** Work may have appeared: wake the devices waiting in a long poll. */
  public void workAvailable() {
    waiters.wake();
  }

  /** One of the device's results was graded: a long poll held back until then may get work now. */
  public void judged(String deviceId) {
    waiters.judged(deviceId);
  }

  /** Devices now parked in a long poll. */
  public int waitingDevices() {
    return waiters.size();
  }

  @Override
  public void close() {
    waiters.close();
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) {
    try {
      route(request, response, callback);
    } catch (ApiError e) {
      if (e.status == 413) {
        Http.drain(request, DRAIN_CAP);
      } else {
        // a refusal before the body was read: read what is left of a small body so that the
        // connection stays usable for the client's next request; a big or unknown one closes it
        long length = request.getLength();
        if (length >= 0 && length <= SMALL_DRAIN) {
          Http.drain(request, SMALL_DRAIN);
        } else {
          response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONNECTION, "close");
        }
      }
      Http.error(response, callback, e);
    } catch (Exception e) {
      LOG.error("{} {} failed", request.getMethod(), Request.getPathInContext(request), e);
      if (!response.isCommitted()) {
        Http.error(response, callback, new ApiError(500, "internal", "the coordinator failed to answer: " + e));
      } else {
        callback.failed(e);
      }
    }
    return true;
  }

  private void route(Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    if (path.equals("/healthz")) {
      allow(method, "GET");
      Http.json(response, callback, 200, Map.of("status", "ok"));
      return;
    }
    if (!path.startsWith("/api/v1/")) {
      throw ApiError.notFound("no such endpoint: " + path);
    }
    String[] seg = path.substring("/api/v1/".length()).split("/", -1);
    String head = seg[0];
    int n = seg.length;
    switch (head) {
      case "models" -> {
        need(n == 1, path);
        if (allow(method, "POST", "GET").equals("POST")) {
          submitter.uploadModel(auth.require(request, SUBMITTERS), request, response, callback);
        } else {
          auth.require(request, SUBMITTERS);
          submitter.listModels(response, callback);
        }
      }
      case "files" -> {
        need(n == 1, path);
        allow(method, "POST");
        submitter.uploadFile(auth.require(request, SUBMITTERS), request, response, callback);
      }
      case "jobs" -> {
        if (n == 1) {
          if (allow(method, "POST", "GET").equals("POST")) {
            submitter.submitJob(auth.require(request, SUBMITTERS), request, response, callback);
          } else {
            submitter.listJobs(auth.require(request, SUBMITTERS), request, response, callback);
          }
        } else if (n == 2 && !seg[1].isEmpty()) {
          if (allow(method, "GET", "DELETE").equals("GET")) {
            submitter.getJob(auth.require(request, SUBMITTERS), seg[1], response, callback);
          } else {
            submitter.cancelJob(auth.require(request, SUBMITTERS), seg[1], response, callback);
          }
        } else {
          need(n == 3 && seg[2].equals("results"), path);
          allow(method, "GET");
          submitter.results(auth.require(request, SUBMITTERS), seg[1], request, response, callback);
        }
      }
      case "keys" -> {
        if (n == 1) {
          allow(method, "POST");
          auth.require(request, ADMIN);
          admin.createKey(request, response, callback);
        } else {
          need(n == 2 && !seg[1].isEmpty(), path);
          allow(method, "DELETE");
          auth.require(request, ADMIN);
          admin.deleteKey(seg[1], response, callback);
        }
      }
      case "enrollment-tokens" -> {
        need(n == 1, path);
        allow(method, "POST");
        admin.createEnrollmentToken(auth.require(request, ADMIN), response, callback);
      }
      case "devices" -> routeDevices(seg, path, method, request, response, callback);
      case "blobs" -> {
        need(n == 2, path);
        allow(method, "GET");
        device.blob(auth.require(request, ANYONE), seg[1], request, response, callback);
      }
      case "assignments" -> {
        if (n == 2 && !seg[1].isEmpty()) {
          allow(method, "GET");
          device.assignment(auth.require(request, DEVICE), seg[1], response, callback);
          return;
        }
        need(n == 3 && (seg[2].equals("result") || seg[2].equals("abort")), path);
        allow(method, "POST");
        Principal p = auth.require(request, DEVICE);
        if (seg[2].equals("result")) {
          device.result(p, seg[1], request, response, callback);
        } else {
          device.abort(p, seg[1], request, response, callback);
        }
      }
      default -> throw ApiError.notFound("no such endpoint: " + path);
    }
  }

  private void routeDevices(String[] seg, String path, String method, Request request, Response response,
      Callback callback) throws Exception {
    int n = seg.length;
    if (n == 1) {
      if (allow(method, "POST", "GET").equals("POST")) {
        device.enroll(request, response, callback);
      } else {
        auth.require(request, ADMIN);
        admin.listDevices(response, callback);
      }
      return;
    }
    need(!seg[1].isEmpty(), path);
    if (n == 2) {
      allow(method, "GET");
      auth.require(request, ADMIN);
      admin.getDevice(seg[1], response, callback);
      return;
    }
    need(n == 3, path);
    switch (seg[2]) {
      case "work" -> {
        allow(method, "POST");
        device.work(auth.require(request, DEVICE), seg[1], request, response, callback);
      }
      case "ban" -> {
        allow(method, "POST");
        auth.require(request, ADMIN);
        admin.ban(seg[1], request, response, callback);
      }
      case "release" -> {
        allow(method, "POST");
        auth.require(request, ADMIN);
        admin.release(seg[1], response, callback);
      }
      default -> throw ApiError.notFound("no such endpoint: " + path);
    }
  }

  private static void need(boolean ok, String path) {
    if (!ok) {
      throw ApiError.notFound("no such endpoint: " + path);
    }
  }

  private static String allow(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return a;
      }
    }
    throw new ApiError(405, "method-not-allowed", method + " is not allowed here; use " + String.join(" or ", allowed));
  }
}
