package org.idlegrid.client.cache;

import java.nio.file.Path;

/**
 * A verified model on disk: {@code file} is the blob ({@code models/<hex>}); {@code archiveDir}
 * is the folder a DJL model archive was extracted to, or null for a plain model file.
 */
public record LocalModel(String id, Path file, Path archiveDir) {
  public boolean isArchive() {
    return archiveDir != null;
  }
}
