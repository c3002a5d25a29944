package org.idlegrid.protocol;

import java.util.List;

/** Engine names as DJL spells them. */
public final class Engines {
  public static final String ONNX_RUNTIME = "OnnxRuntime";
  public static final String PYTORCH = "PyTorch";
  public static final List<String> ALL = List.of(ONNX_RUNTIME, PYTORCH);

  private Engines() {}
}
