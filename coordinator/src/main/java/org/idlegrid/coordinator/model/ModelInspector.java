package org.idlegrid.coordinator.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Properties;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.idlegrid.protocol.Engines;

/**
 * Decides what an uploaded model file is and what its input records must look like:
 * <ul>
 *   <li>an ONNX file (engine OnnxRuntime): inputs read from the protobuf by {@link OnnxReader};</li>
 *   <li>a DJL model archive: a zip with {@code serving.properties} (at the top or in one folder);
 *       a {@code TextEmbeddingTranslatorFactory} archive takes {@code {"text"}} records, any other
 *       takes what its {@code .onnx} file's inputs say, else any object;</li>
 *   <li>a TorchScript file (engine PyTorch): a zip with {@code data.pkl}; any object.</li>
 * </ul>
 * Anything else is refused with a {@link ModelException} (answered 422). Zip entries with
 * absolute paths or {@code ..} are refused so that no archive can write outside the client's
 * model cache.
 */
public final class ModelInspector {
  public static final String ONNX = "ONNX";
  public static final String DJL_ARCHIVE = "DJL_ARCHIVE";
  public static final String TORCHSCRIPT = "TORCHSCRIPT";
  private static final long MAX_INNER_ONNX = 1L << 30;

  private ModelInspector() {}

  /** The result: the format, the engine that runs it, and its input spec. */
  public record Inspection(String format, String engine, InputSpec inputSpec) {}

  /** @param engine the engine the uploader named, or null */
  public static Inspection inspect(Path file, String engine) throws IOException {
    if (engine != null && !Engines.ALL.contains(engine)) {
      throw new ModelException("engine must be one of " + Engines.ALL + ", got \"" + engine + "\"");
    }
    if (isZip(file)) {
      return inspectZip(file, engine);
    }
    List<InputSpec.Input> inputs;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      if (ch.size() == 0) {
        throw new ModelException("the model file is empty");
      }
      if (ch.size() > Integer.MAX_VALUE) {
        throw new ModelException("an ONNX file is at most 2 GiB (protobuf limit)");
      }
      inputs = OnnxReader.inputs(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
    } catch (ModelException e) {
      throw new ModelException(e.getMessage()
          + "; upload an ONNX model (.onnx) or a DJL model archive (.zip with serving.properties)");
    }
    if (engine != null && !Engines.ONNX_RUNTIME.equals(engine)) {
      throw new ModelException("an ONNX model runs on engine OnnxRuntime, not " + engine);
    }
    return new Inspection(ONNX, Engines.ONNX_RUNTIME, InputSpec.tensors(inputs));
  }

  private static boolean isZip(Path file) throws IOException {
    try (InputStream in = java.nio.file.Files.newInputStream(file)) {
      byte[] magic = in.readNBytes(4);
      return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
    }
  }

  private static Inspection inspectZip(Path file, String engine) throws IOException {
    ZipFile zip;
    try {
      zip = new ZipFile(file.toFile());
    } catch (ZipException e) {
      throw new ModelException("the model is a damaged zip file: " + e.getMessage());
    }
    try (zip) {
      ZipEntry props = null;
      ZipEntry onnx = null;
      boolean dataPkl = false;
      List<String> names = new ArrayList<>();
      for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
        ZipEntry e = en.nextElement();
        String name = e.getName();
        names.add(name);
        if (name.startsWith("/") || name.startsWith("\\") || java.util.Arrays.asList(name.split("[/\\\\]")).contains("..") || name.contains(":")) {
          throw new ModelException("the archive holds an unsafe entry name \"" + name + "\"");
        }
        String base = name.substring(name.lastIndexOf('/') + 1);
        int depth = name.split("/").length;
        if (base.equals("serving.properties") && depth <= 2 && (props == null || depth == 1)) {
          props = e;
        } else if (base.endsWith(".onnx") && !e.isDirectory() && onnx == null) {
          onnx = e;
        } else if (base.equals("data.pkl")) {
          dataPkl = true;
        }
      }
      if (props != null) {
        Properties p = new Properties();
        try (InputStream in = zip.getInputStream(props)) {
          p.load(new StringReader(new String(in.readNBytes(1 << 20), StandardCharsets.UTF_8)));
        }
        String archiveEngine = p.getProperty("engine", engine == null ? Engines.ONNX_RUNTIME : engine).trim();
        if (!Engines.ALL.contains(archiveEngine)) {
          throw new ModelException("serving.properties names engine \"" + archiveEngine + "\"; supported: " + Engines.ALL);
        }
        if (engine != null && !engine.equals(archiveEngine)) {
          throw new ModelException("the request names engine " + engine + " but serving.properties says " + archiveEngine);
        }
        String factory = p.getProperty("translatorFactory", "");
        if (factory.contains("TextEmbeddingTranslatorFactory")) {
          return new Inspection(DJL_ARCHIVE, archiveEngine, InputSpec.text());
        }
        if (onnx != null && onnx.getSize() <= MAX_INNER_ONNX) {
          try (InputStream in = zip.getInputStream(onnx)) {
            byte[] bytes = in.readNBytes((int) MAX_INNER_ONNX);
            return new Inspection(DJL_ARCHIVE, archiveEngine, InputSpec.tensors(OnnxReader.inputs(ByteBuffer.wrap(bytes))));
          }
        }
        return new Inspection(DJL_ARCHIVE, archiveEngine, InputSpec.any());
      }
      if (dataPkl && (engine == null || Engines.PYTORCH.equals(engine))) {
        return new Inspection(TORCHSCRIPT, Engines.PYTORCH, InputSpec.any());
      }
      throw new ModelException("the zip file is not a DJL model archive: it has no serving.properties (entries: "
          + (names.size() > 5 ? names.subList(0, 5) + "…" : names) + ")");
    }
  }
}
