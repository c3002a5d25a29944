package org.idlegrid.client.cache;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Zip handling for DJL model archives: detection by magic bytes and a guarded extraction. */
final class Archives {
  private Archives() {}

  /** True if {@code file} starts with the zip local-file magic {@code PK\3\4}. */
  static boolean isZip(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    }
  }

  /**
   * Extracts {@code zip} into the empty folder {@code target}. Refuses entries that would land
   * outside it (zip-slip: {@code ../}, absolute paths) and archives that expand past
   * {@code maxBytes} (zip bombs).
   */
  static void extract(Path zip, Path target, long maxBytes) throws IOException, ModelRejectedException {
    Path root = target.toAbsolutePath().normalize();
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path out = root.resolve(e.getName()).normalize();
        if (!out.startsWith(root) || out.equals(root)) {
          throw new ModelRejectedException("model archive entry '" + e.getName() + "' points outside the archive");
        }
        if (e.isDirectory()) {
          Files.createDirectories(out);
          continue;
        }
        Files.createDirectories(out.getParent());
        try (OutputStream o = Files.newOutputStream(out)) {
          for (int k; (k = in.read(buffer)) > 0; ) {
            total += k;
            if (total > maxBytes) {
              throw new ModelRejectedException("model archive expands past " + maxBytes + " bytes");
            }
            o.write(buffer, 0, k);
          }
        }
      }
    }
  }
}
