package org.idlegrid.client.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.util.Optional;
import org.idlegrid.json.Json;

/** The {@code status}/{@code pause}/{@code resume} commands' side of the control channel. */
public final class ControlClient {
  private ControlClient() {}

  /**
   * Sends {@code command} to the client running on {@code stateDir}; empty when none is running
   * there (no control.json, or nothing listening).
   */
  public static Optional<JsonNode> send(Path stateDir, String command) throws IOException {
    Optional<ControlFile> f = ControlFile.read(stateDir);
    if (f.isEmpty()) {
      return Optional.empty();
    }
    return send(f.get().port(), f.get().token(), command);
  }

  public static Optional<JsonNode> send(int port, String token, String command) throws IOException {
    ObjectNode req = Json.mapper().createObjectNode().put("token", token).put("command", command);
    try (Socket s = new Socket()) {
      try {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
      } catch (IOException e) {
        return Optional.empty(); // a stale control.json: nobody listens
      }
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write(Json.writeBytes(req));
      out.write('\n');
      out.flush();
      InputStream in = s.getInputStream();
      byte[] answer = in.readNBytes(1 << 20);
      return Optional.of(Json.tree(answer));
    }
  }
}
