package org.idlegrid.client.cache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.WireMock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.idlegrid.client.net.Backoff;
import org.idlegrid.client.net.CoordinatorClient;
import org.idlegrid.client.net.StopSignal;
import org.idlegrid.client.testing.FakeCoordinator;
import org.idlegrid.json.Hashes;
import org.idlegrid.protocol.ModelRef;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCacheTest {
  @TempDir
  Path dir;
  FakeCoordinator server;
  ModelCache cache;
  final byte[] bytes = "pretend this is an onnx model".getBytes(StandardCharsets.UTF_8);

  @BeforeEach
  void setUp() throws Exception {
    server = new FakeCoordinator();
    StopSignal stop = new StopSignal();
    CoordinatorClient client = new CoordinatorClient(server.url(), Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)),
        stop, stop, Clock.systemUTC());
    cache = new ModelCache(dir.resolve("models"), client, 2);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  int downloads() {
    return server.server.findAll(WireMock.getRequestedFor(WireMock.urlMatching("/api/v1/blobs/.*"))).size();
  }

  @Test
  void downloadsOnceThenServesFromTheCache() throws Exception {
    ModelRef ref = server.model(bytes);
    LocalModel m = cache.get(ref);
    assertArrayEquals(bytes, Files.readAllBytes(m.file()));
    assertEquals(dir.resolve("models").resolve(Hashes.hexOf(ref.id())), m.file());
    assertFalse(m.isArchive());
    cache.get(ref);
    assertEquals(1, downloads());
    assertEquals(List.of(ref.id()), cache.cachedIds());
  }

  @Test
  void bytesWithAnotherHashAreRefusedAndNotCached() throws Exception {
    ModelRef ref = server.model(bytes);
    byte[] other = bytes.clone();
    other[0] ^= 1;
    server.blob(Hashes.hexOf(ref.id()), other);
    ModelRejectedException e = assertThrows(ModelRejectedException.class, () -> cache.get(ref));
    assertTrue(e.getMessage().startsWith("model sha256 mismatch"), e.getMessage());
    assertTrue(cache.cachedIds().isEmpty());
    try (var files = Files.list(dir.resolve("models"))) {
      assertEquals(0, files.count(), "no partial download left behind");
    }
  }

  @Test
  void sizeOtherThanDeclaredIsRefused() throws Exception {
    ModelRef ref = server.model(bytes);
    ModelRef smaller = new ModelRef(ref.id(), ref.url(), ref.engine(), ref.bytes() - 1);
    assertTrue(assertThrows(ModelRejectedException.class, () -> cache.get(smaller)).getMessage().startsWith("model size mismatch"));
    ModelRef larger = new ModelRef(ref.id(), ref.url(), ref.engine(), ref.bytes() + 1);
    assertTrue(assertThrows(ModelRejectedException.class, () -> cache.get(larger)).getMessage().startsWith("model size mismatch"));
  }

  @Test
  void corruptCachedFileIsDownloadedAgain() throws Exception {
    ModelRef ref = server.model(bytes);
    LocalModel m = cache.get(ref);
    Files.writeString(m.file(), "bit rot");
    ModelCache fresh = new ModelCache(dir.resolve("models"), clientFor(server), 2); // a new process
    assertArrayEquals(bytes, Files.readAllBytes(fresh.get(ref).file()));
    assertEquals(2, downloads());
  }

  static CoordinatorClient clientFor(FakeCoordinator server) {
    StopSignal stop = new StopSignal();
    return new CoordinatorClient(server.url(), Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)), stop, stop,
        Clock.systemUTC());
  }

  static byte[] zip(String... namesAndContents) throws Exception {
    var out = new java.io.ByteArrayOutputStream();
    try (ZipOutputStream z = new ZipOutputStream(out)) {
      for (int i = 0; i < namesAndContents.length; i += 2) {
        z.putNextEntry(new ZipEntry(namesAndContents[i]));
        z.write(namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
        z.closeEntry();
      }
    }
    return out.toByteArray();
  }

  @Test
  void modelArchiveIsExtractedBesideTheBlob() throws Exception {
    ModelRef ref = server.model(zip("serving.properties", "engine=OnnxRuntime\n", "sub/tokenizer.json", "{}"));
    LocalModel m = cache.get(ref);
    assertTrue(m.isArchive());
    assertEquals(dir.resolve("models").resolve(Hashes.hexOf(ref.id()) + ".d"), m.archiveDir());
    assertEquals("{}", Files.readString(m.archiveDir().resolve("sub/tokenizer.json")));
  }

  @Test
  void archiveEntryEscapingTheFolderIsRefused() throws Exception {
    ModelRef ref = server.model(zip("model.onnx", "x", "../../escaped.txt", "pwned"));
    ModelRejectedException e = assertThrows(ModelRejectedException.class, () -> cache.get(ref));
    assertTrue(e.getMessage().contains("points outside the archive"), e.getMessage());
    assertFalse(Files.exists(dir.resolve("escaped.txt")));
    assertFalse(Files.exists(dir.resolve("models").resolve(Hashes.hexOf(ref.id()) + ".d")));
  }

  @Test
  void malformedModelIdIsRefusedWithoutANetworkCall() {
    assertThrows(ModelRejectedException.class, () -> cache.get(new ModelRef("md5:abc", "/x", "OnnxRuntime", 3)));
    assertEquals(0, downloads());
  }

  @Test
  void leastRecentlyUsedModelsAreEvictedUnderTheDiskCapButNeverOneInUse() throws Exception {
    StopSignal stop = new StopSignal();
    CoordinatorClient client = new CoordinatorClient(server.url(), Backoff.of(Duration.ofMillis(1), Duration.ofMillis(2)),
        stop, stop, Clock.systemUTC());
    ModelCache capped = new ModelCache(dir.resolve("capped"), client, 2, 250_000);
    byte[][] blobs = new byte[4][];
    ModelRef[] refs = new ModelRef[4];
    for (int i = 0; i < 4; i++) {
      blobs[i] = new byte[100_000];
      new java.util.Random(i).nextBytes(blobs[i]);
      refs[i] = server.model(blobs[i]);
    }
    capped.release(capped.get(refs[0]));
    LocalModel b = capped.get(refs[1]); // kept in use
    capped.release(capped.get(refs[0])); // 0 is now more recently used than 1
    capped.release(capped.get(refs[2])); // 300 kB > 250 kB: the LRU model not in use goes... 1 is pinned, so 0
    assertEquals(List.of(refs[1].id(), refs[2].id()).stream().sorted().toList(), capped.cachedIds());
    assertTrue(capped.size() <= 250_000);
    capped.release(b);
    capped.release(capped.get(refs[3])); // now 1 is the least recently used and free
    assertEquals(List.of(refs[2].id(), refs[3].id()).stream().sorted().toList(), capped.cachedIds());
    ModelRef huge = server.model(new byte[300_000]);
    var e = assertThrows(ModelRejectedException.class, () -> capped.get(huge));
    assertTrue(e.getMessage().contains("cache cap"), e.getMessage());
  }
}
