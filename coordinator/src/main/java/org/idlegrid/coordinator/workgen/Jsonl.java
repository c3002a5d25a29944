package org.idlegrid.coordinator.workgen;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.idlegrid.json.Json;

/**
 * JSON Lines as the coordinator reads them: one JSON value per line ({@code \n} or {@code \r\n});
 * blank lines are skipped and do not count as records. A record's index is its 0-based position
 * among the non-blank lines. A line that is not JSON throws {@link Json.JsonException} naming the
 * line (answered 400).
 */
public final class Jsonl {
  private Jsonl() {}

  /** Called for each record with its index and its byte range {@code [start, end)} in the file. */
  public interface RecordConsumer {
    void accept(long index, long byteStart, long byteEnd, JsonNode record);
  }

  /** Reads every record of {@code file}; returns the record count. */
  public static long scan(Path file, RecordConsumer consumer) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return scan(in, 0, consumer);
    }
  }

  private static long scan(InputStream in, long offset, RecordConsumer consumer) throws IOException {
    byte[] line = new byte[4096];
    int len = 0;
    long lineStart = offset;
    long pos = offset;
    long lineNo = 0;
    long index = 0;
    for (int b; ; ) {
      b = in.read();
      if (b == '\n' || b < 0) {
        lineNo++;
        if (!isBlank(line, len)) {
          JsonNode node;
          try {
            node = Json.tree(Arrays.copyOf(line, len));
          } catch (Json.JsonException e) {
            throw new Json.JsonException("line " + lineNo + " is not valid JSON: " + e.getMessage(), e);
          }
          consumer.accept(index++, lineStart, pos, node);
        }
        if (b < 0) {
          return index;
        }
        pos++;
        lineStart = pos;
        len = 0;
        continue;
      }
      if (len == line.length) {
        line = Arrays.copyOf(line, line.length * 2);
      }
      line[len++] = (byte) b;
      pos++;
    }
  }

  private static boolean isBlank(byte[] b, int len) {
    for (int i = 0; i < len; i++) {
      if (b[i] != ' ' && b[i] != '\t' && b[i] != '\r') {
        return false;
      }
    }
    return true;
  }

  /** The records stored at bytes {@code [start, end)} of {@code file}. */
  public static List<JsonNode> read(Path file, long start, long end) throws IOException {
    byte[] bytes = new byte[Math.toIntExact(end - start)];
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      raf.seek(start);
      raf.readFully(bytes);
    }
    List<JsonNode> out = new ArrayList<>();
    scan(new java.io.ByteArrayInputStream(bytes), start, (i, s, e, node) -> out.add(node));
    return out;
  }

  /** Records as JSONL bytes, one compact JSON document per line. */
  public static byte[] write(List<JsonNode> records) {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    for (JsonNode r : records) {
      out.writeBytes(Json.writeBytes(r));
      out.write('\n');
    }
    return out.toByteArray();
  }
}
