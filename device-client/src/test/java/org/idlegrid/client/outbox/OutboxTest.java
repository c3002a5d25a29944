package org.idlegrid.client.outbox;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboxTest {
  @TempDir
  Path dir;

  @Test
  void storedResultIsThereForTheNextProcessUntilRemoved() throws Exception {
    new Outbox(dir).put("a-1", "{\"x\":1}".getBytes());
    Outbox next = new Outbox(dir); // the process restarted
    assertEquals(List.of("a-1"), next.pending());
    assertArrayEquals("{\"x\":1}".getBytes(), next.read("a-1"));
    next.remove("a-1");
    assertEquals(List.of(), new Outbox(dir).pending());
  }

  @Test
  void halfWrittenTemporaryFromACrashIsNeverDeliveredAndIsCleanedUp() throws Exception {
    Files.writeString(dir.resolve(".tmp-123.json"), "{\"trunc");
    Outbox o = new Outbox(dir);
    assertEquals(List.of(), o.pending());
    try (var files = Files.list(dir)) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void rejectedResultIsKeptAsideWithItsReason() throws Exception {
    Outbox o = new Outbox(dir);
    o.put("a-2", "{}".getBytes());
    o.reject("a-2", "HTTP 404");
    assertEquals(List.of(), o.pending());
    assertTrue(Files.exists(dir.resolve("rejected/a-2.json")));
    assertEquals("HTTP 404\n", Files.readString(dir.resolve("rejected/a-2.reason.txt")));
  }

  @Test
  void idThatIsNoSafeFileNameIsRefused() throws Exception {
    Outbox o = new Outbox(dir);
    assertThrows(IllegalArgumentException.class, () -> o.put("../x", new byte[0]));
  }
}
