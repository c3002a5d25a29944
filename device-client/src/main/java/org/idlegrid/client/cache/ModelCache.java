package org.idlegrid.client.cache;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.idlegrid.client.net.CoordinatorClient;
import org.idlegrid.json.Hashes;
import org.idlegrid.protocol.ModelRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models by content: {@code <state-dir>/models/<hex>} holds the bytes whose sha256 is
 * {@code <hex>}; a DJL model archive (zip) is extracted beside it to {@code <hex>.d/}.
 *
 * <p>Invariants: a file named {@code <hex>} is only ever created by an atomic rename of a
 * download whose hash and size were checked; a {@code <hex>.d} folder only by an atomic rename of
 * a complete extraction. A cached file is re-hashed the first time this process uses it; a
 * corrupt one is deleted and downloaded again. Downloads never read past the declared size.
 *
 * <p>Disk cap: the cache holds at most {@code capBytes} (the owner's {@code cacheDiskMb}; a
 * model counts with its extracted folder). Each use touches the blob's modification time, and
 * after every download the least recently used models are deleted until the cache fits, never
 * one in use ({@link #get} pins a model until {@link #release}). A model larger than the whole cap
 * is refused before it is downloaded.
 */
public final class ModelCache {
  private static final Logger log = LoggerFactory.getLogger(ModelCache.class);
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");
  private static final long MAX_EXTRACTED = 8L << 30;

  private final Path dir;
  private final CoordinatorClient client;
  private final int downloadAttempts;
  private final Set<String> verified = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> pinned = new HashMap<>();
  private final long capBytes;
  private Instant lastTouch = Instant.EPOCH;

  public ModelCache(Path dir, CoordinatorClient client, int downloadAttempts) throws IOException {
    this(dir, client, downloadAttempts, Long.MAX_VALUE);
  }

  public ModelCache(Path dir, CoordinatorClient client, int downloadAttempts, long capBytes) throws IOException {
    this.dir = dir;
    this.client = client;
    this.downloadAttempts = downloadAttempts;
    this.capBytes = capBytes;
    Files.createDirectories(dir);
    cleanTemporaries();
  }

  /** The content ids ({@code sha256:<hex>}) of the models on disk, for the work request. */
  public List<String> cachedIds() {
    List<String> ids = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (HEX.matcher(name).matches() && Files.isRegularFile(f)) {
          ids.add(Hashes.PREFIX + name);
        }
      }
    } catch (IOException e) {
      log.warn("cannot list the model cache {}: {}", dir, e.getMessage());
    }
    ids.sort(null);
    return ids;
  }

  /**
   * The model {@code ref} names, verified: from the cache, or downloaded. Throws
   * {@link ModelRejectedException} if what the coordinator serves does not match the id and
   * size the (signed) assignment declares.
   */
  public synchronized LocalModel get(ModelRef ref) throws ModelRejectedException, IOException {
    if (ref == null || !Hashes.isContentId(ref.id())) {
      throw new ModelRejectedException("model id is not a sha256 content id: " + (ref == null ? null : ref.id()));
    }
    if (ref.bytes() <= 0) {
      throw new ModelRejectedException("model size must be positive, got " + ref.bytes());
    }
    if (ref.bytes() > capBytes) {
      throw new ModelRejectedException("model of " + (ref.bytes() >> 20) + " MB is larger than the owner's model cache cap of "
          + (capBytes >> 20) + " MB (cacheDiskMb)");
    }
    String hex = Hashes.hexOf(ref.id());
    Path file = dir.resolve(hex);
    if (Files.isRegularFile(file) && !verified.contains(hex)) {
      String actual;
      try (InputStream in = Files.newInputStream(file)) {
        actual = Hashes.sha256Hex(in);
      }
      if (actual.equals(hex) && Files.size(file) == ref.bytes()) {
        verified.add(hex);
      } else {
        log.warn("cached model {} is corrupt (sha256 {}): downloading it again", hex, actual);
        deleteModel(hex);
      }
    }
    boolean fetched = false;
    if (!Files.isRegularFile(file)) {
      download(ref, hex, file);
      fetched = true;
    }
    Path extracted = dir.resolve(hex + ".d");
    LocalModel model;
    if (Archives.isZip(file)) {
      if (!Files.isDirectory(extracted)) {
        extract(file, extracted);
        fetched = true;
      }
      model = new LocalModel(ref.id(), file, extracted);
    } else {
      model = new LocalModel(ref.id(), file, null);
    }
    Instant now = Instant.now();
    lastTouch = now.isAfter(lastTouch) ? now : lastTouch.plusMillis(1); // strictly increasing: the LRU order
    Files.setLastModifiedTime(file, FileTime.from(lastTouch));
    pinned.merge(hex, 1, Integer::sum);
    if (fetched) {
      evict();
    }
    return model;
  }

  /** The unit that used {@code model} is done: it may be evicted again. */
  public synchronized void release(LocalModel model) {
    pinned.computeIfPresent(Hashes.hexOf(model.id()), (k, n) -> n > 1 ? n - 1 : null);
  }

  /** Bytes on disk: blobs and extracted folders. */
  public synchronized long size() throws IOException {
    long total = 0;
    for (Path f : blobs()) {
      total += entrySize(f);
    }
    return total;
  }

  /** Deletes least recently used models (never a pinned one) until the cache fits its cap. */
  private void evict() throws IOException {
    List<Path> blobs = blobs();
    long total = 0;
    for (Path f : blobs) {
      total += entrySize(f);
    }
    if (total <= capBytes) {
      return;
    }
    blobs.sort(Comparator.comparing(ModelCache::mtime));
    for (Path f : blobs) {
      if (total <= capBytes) {
        break;
      }
      String hex = f.getFileName().toString();
      if (pinned.containsKey(hex)) {
        continue;
      }
      long size = entrySize(f);
      deleteModel(hex);
      total -= size;
      log.info("model {} evicted from the cache (least recently used; cap {} MB)", hex, capBytes >> 20);
    }
  }

  private List<Path> blobs() throws IOException {
    List<Path> list = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        if (HEX.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f)) {
          list.add(f);
        }
      }
    }
    return list;
  }

  private long entrySize(Path blob) throws IOException {
    long size = Files.size(blob);
    Path d = dir.resolve(blob.getFileName() + ".d");
    if (Files.isDirectory(d)) {
      try (Stream<Path> walk = Files.walk(d)) {
        for (Path p : walk.filter(Files::isRegularFile).toList()) {
          size += Files.size(p);
        }
      }
    }
    return size;
  }

  private static FileTime mtime(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  private void download(ModelRef ref, String hex, Path file) throws ModelRejectedException, IOException {
    if (ref.url() == null || ref.url().isBlank()) {
      throw new ModelRejectedException("model " + ref.id() + " has no url");
    }
    Path tmp = Files.createTempFile(dir, ".download-", ".part");
    try {
      CoordinatorClient.Download d = client.download(ref.url(), tmp, ref.bytes(), downloadAttempts);
      if (d.bytes() != ref.bytes()) {
        throw new ModelRejectedException("model size mismatch: the assignment declares " + ref.bytes()
            + " bytes, the download has " + (d.bytes() > ref.bytes() ? "more" : d.bytes()));
      }
      if (!d.sha256Hex().equals(hex)) {
        throw new ModelRejectedException("model sha256 mismatch: expected " + hex + ", got " + d.sha256Hex());
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      verified.add(hex);
      log.info("model {} downloaded ({} bytes)", ref.id(), d.bytes());
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private void extract(Path zip, Path extracted) throws ModelRejectedException, IOException {
    Path tmp = Files.createTempDirectory(dir, ".extract-");
    try {
      Archives.extract(zip, tmp, MAX_EXTRACTED);
      Files.move(tmp, extracted, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(tmp);
    }
  }

  private void deleteModel(String hex) throws IOException {
    Files.deleteIfExists(dir.resolve(hex));
    deleteTree(dir.resolve(hex + ".d"));
    verified.remove(hex);
  }

  private void cleanTemporaries() throws IOException {
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, ".{download,extract}-*")) {
      for (Path f : files) {
        deleteTree(f);
      }
    }
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
