package org.idlegrid.client.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import org.idlegrid.json.Json;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running client's control channel: a plain TCP socket on the loopback address only
 * (127.0.0.1, a port the OS picks), protected by a random 256-bit token that only the state
 * dir's owner can read ({@link ControlFile}, mode 600).
 *
 * <p>Protocol, one exchange per connection: the client writes one JSON line
 * {@code {"token":"…","command":"status|pause|resume"}}; the server answers one JSON line,
 * {@code {"ok":true,…}} or {@code {"ok":false,"error":"<code>","message":"…"}}, and closes.
 * A wrong token is answered {@code unauthorized} and nothing happens. Not HTTP on purpose: a web
 * page cannot drive it (a browser's request line is not JSON), there is no parser surface, and
 * an idle socket in accept() costs no CPU (no selector wakeups). Lines are capped at 4 KiB and
 * a connection gets 2 s.
 */
public final class ControlServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
  private static final int MAX_LINE = 4096;

  /** What the commands do. */
  public interface Handler {
    JsonNode status();

    void pause() throws IOException;

    void resume() throws IOException;
  }

  private final Path stateDir;
  private final Handler handler;
  private final ServerSocket socket;
  private final String token;
  private final Thread thread;

  private ControlServer(Path stateDir, Handler handler) throws IOException {
    this.stateDir = stateDir;
    this.handler = handler;
    this.socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    new ControlFile(socket.getLocalPort(), token, ProcessHandle.current().pid()).write(stateDir);
    this.thread = new Thread(this::serve, "idlegrid-control");
    thread.setDaemon(true);
  }

  public static ControlServer start(Path stateDir, Handler handler) throws IOException {
    ControlServer s = new ControlServer(stateDir, handler);
    s.thread.start();
    return s;
  }

  public int port() {
    return socket.getLocalPort();
  }

  private void serve() {
    while (!socket.isClosed()) {
      try (Socket c = socket.accept()) {
        c.setSoTimeout(2000);
        answer(c);
      } catch (IOException e) {
        if (!socket.isClosed()) {
          log.debug("control connection: {}", e.getMessage());
        }
      } catch (RuntimeException e) {
        log.warn("control channel error", e);
      }
    }
  }

  private void answer(Socket c) throws IOException {
    OutputStream out = c.getOutputStream();
    BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8), 512);
    String line = readLine(in);
    ObjectNode reply = Json.mapper().createObjectNode();
    JsonNode req = null;
    if (line != null) {
      try {
        req = Json.tree(line);
      } catch (RuntimeException e) {
        req = null;
      }
    }
    if (req == null || !req.isObject()) {
      reply.put("ok", false).put("error", "malformed").put("message", "send one JSON line {\"token\",\"command\"}");
    } else if (!tokenMatches(req.path("token").asText(""))) {
      reply.put("ok", false).put("error", "unauthorized").put("message", "wrong token (see " + ControlFile.FILE + ")");
      log.warn("control channel: a request with a wrong token was refused");
    } else {
      String command = req.path("command").asText("");
      try {
        switch (command) {
          case "status" -> reply.put("ok", true).set("status", handler.status());
          case "pause" -> {
            handler.pause();
            reply.put("ok", true).put("message", "paused");
          }
          case "resume" -> {
            handler.resume();
            reply.put("ok", true).put("message", "resumed");
          }
          default -> reply.put("ok", false).put("error", "unknown-command")
              .put("message", "unknown command '" + command + "' (status, pause, resume)");
        }
      } catch (IOException e) {
        reply.put("ok", false).put("error", "failed").put("message", e.getMessage());
      }
    }
    out.write(Json.writeBytes(reply));
    out.write('\n');
    out.flush();
  }

  private static String readLine(BufferedReader in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int ch; (ch = in.read()) >= 0; ) {
      if (ch == '\n') {
        return b.toString();
      }
      if (b.length() >= MAX_LINE) {
        return null;
      }
      b.append((char) ch);
    }
    return b.isEmpty() ? null : b.toString();
  }

  private boolean tokenMatches(String given) {
    return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
    try {
      Optional<ControlFile> f = ControlFile.read(stateDir);
      if (f.isPresent() && f.get().token().equals(token)) {
        Files.deleteIfExists(ControlFile.path(stateDir)); // only ours: a newer client may have replaced it
      }
    } catch (IOException e) {
      log.debug("cannot remove {}: {}", ControlFile.FILE, e.getMessage());
    }
  }
}
