package org.idlegrid.client.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.atomic.AtomicInteger;
import org.idlegrid.json.Json;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlServerTest {
  @TempDir
  Path state;
  ControlServer server;
  final AtomicInteger pauses = new AtomicInteger();
  final AtomicInteger resumes = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    server = ControlServer.start(state, new ControlServer.Handler() {
      @Override
      public JsonNode status() {
        return Json.tree("{\"state\":\"WAITING_FOR_WORK\"}");
      }

      @Override
      public void pause() {
        pauses.incrementAndGet();
      }

      @Override
      public void resume() {
        resumes.incrementAndGet();
      }
    });
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void commandsWithTheTokenFromControlJsonAreCarriedOut() throws Exception {
    JsonNode status = ControlClient.send(state, "status").orElseThrow();
    assertTrue(status.get("ok").asBoolean());
    assertEquals("WAITING_FOR_WORK", status.get("status").get("state").asText());
    assertTrue(ControlClient.send(state, "pause").orElseThrow().get("ok").asBoolean());
    assertTrue(ControlClient.send(state, "resume").orElseThrow().get("ok").asBoolean());
    assertEquals(1, pauses.get());
    assertEquals(1, resumes.get());
    assertEquals("unknown-command", ControlClient.send(state, "reboot").orElseThrow().get("error").asText());
  }

  @Test
  void aWrongTokenIsRefusedAndChangesNothing() throws Exception {
    int port = ControlFile.read(state).orElseThrow().port();
    JsonNode answer = ControlClient.send(port, "guessed-token", "pause").orElseThrow();
    assertFalse(answer.get("ok").asBoolean());
    assertEquals("unauthorized", answer.get("error").asText());
    assertEquals(0, pauses.get());
  }

  @Test
  void anHttpRequestFromABrowserIsNotACommand() throws Exception {
    int port = ControlFile.read(state).orElseThrow().port();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      OutputStream out = s.getOutputStream();
      out.write("POST /pause HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      JsonNode answer = Json.tree(s.getInputStream().readAllBytes());
      assertEquals("malformed", answer.get("error").asText());
    }
    assertEquals(0, pauses.get());
  }

  @Test
  void controlJsonIsOwnerOnlyListensOnLoopbackAndIsRemovedOnClose() throws IOException {
    Path f = ControlFile.path(state);
    assertEquals(PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(f));
    ControlFile c = ControlFile.read(state).orElseThrow();
    assertEquals(ProcessHandle.current().pid(), c.pid());
    assertTrue(c.token().length() >= 43, "256 random bits");
    assertEquals(server.port(), c.port());
    server.close();
    assertFalse(Files.exists(f));
    assertTrue(ControlClient.send(state, "status").isEmpty(), "nobody running");
  }

  @Test
  void aStaleControlFileMeansNoClientIsRunning() throws Exception {
    server.close();
    int dead;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      dead = s.getLocalPort();
    }
    new ControlFile(dead, "t", 1).write(state);
    assertTrue(ControlClient.send(state, "status").isEmpty());
  }
}
