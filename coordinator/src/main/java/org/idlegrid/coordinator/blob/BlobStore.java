package org.idlegrid.coordinator.blob;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Optional;
import org.idlegrid.json.Hashes;

/**
 * Content-addressed files under {@code DIR/blobs}: a blob with sha256 {@code h} lives at
 * {@code blobs/h[0..2]/h}. Uploads are streamed to {@code blobs/tmp} while hashed
 * ({@link #stage}), checked by the caller, then moved into place atomically ({@link Staged#commit})
 * or thrown away ({@link Staged#close}), so a bad upload leaves nothing behind and a crash leaves at
 * most a temp file (cleaned on start). A blob file is never changed once in place.
 */
public final class BlobStore {
  private final Path root;
  private final Path tmp;

  public BlobStore(Path root) throws IOException {
    this.root = root;
    this.tmp = root.resolve("tmp");
    Files.createDirectories(tmp);
    try (var old = Files.list(tmp)) {
      for (Path p : (Iterable<Path>) old::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Thrown when an upload is larger than allowed. */
  public static final class TooLargeException extends IOException {
    public TooLargeException(long max) {
      super("the upload is larger than the limit of " + max + " bytes");
    }
  }

  /** An upload in a temp file, hashed, not yet in the store. */
  public final class Staged implements AutoCloseable {
    private final Path file;
    private final String hex;
    private final long size;
    private boolean committed;

    private Staged(Path file, String hex, long size) {
      this.file = file;
      this.hex = hex;
      this.size = size;
    }

    public Path file() {
      return file;
    }

    public String hex() {
      return hex;
    }

    public long size() {
      return size;
    }

    /** Moves the upload into the store (a no-op if the same content is there already). */
    public Path commit() throws IOException {
      Path target = pathOf(hex);
      Files.createDirectories(target.getParent());
      if (!Files.exists(target)) {
        try {
          Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
          // the same content arrived concurrently: identical bytes, keep theirs
        }
      }
      committed = true;
      Files.deleteIfExists(file);
      return target;
    }

    @Override
    public void close() throws IOException {
      if (!committed) {
        Files.deleteIfExists(file);
      }
    }
  }

  /** Streams {@code in} to a temp file, hashing it; fails with {@link TooLargeException} past {@code maxBytes}. */
  public Staged stage(InputStream in, long maxBytes) throws IOException {
    Path file = Files.createTempFile(tmp, "upload-", ".part");
    MessageDigest digest = Hashes.sha256();
    long total = 0;
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), digest)) {
      byte[] buffer = new byte[64 * 1024];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        total += n;
        if (total > maxBytes) {
          throw new TooLargeException(maxBytes);
        }
        out.write(buffer, 0, n);
      }
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(file);
      throw e;
    }
    return new Staged(file, HexFormat.of().formatHex(digest.digest()), total);
  }

  /** Stores {@code bytes} (small blobs built by the coordinator itself); returns the hex digest. */
  public String put(byte[] bytes) throws IOException {
    try (Staged s = stage(new java.io.ByteArrayInputStream(bytes), Long.MAX_VALUE)) {
      s.commit();
      return s.hex();
    }
  }

  public Path pathOf(String hex) {
    String h = Hashes.hexOf(hex);
    return root.resolve(h.substring(0, 2)).resolve(h);
  }

  public Optional<Path> find(String hex) {
    if (!Hashes.isContentId(hex)) {
      return Optional.empty();
    }
    Path p = pathOf(hex);
    return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
  }
}
