package org.idlegrid.coordinator.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.idlegrid.tensor.Tensor;

/**
 * What an input record must look like for a model, stored with the model as JSON.
 * <ul>
 *   <li>{@code tensors}: a JSON object with one entry per model input, each a tensor shaped like
 *       the input without its batch (first) dimension; a dynamic dimension (-1) accepts any size;
 *       only finite numbers (integers for integer inputs). Extra fields (an {@code id}, a
 *       {@code label}) are allowed and ignored by the runner.</li>
 *   <li>{@code text}: {@code {"text": "<non-empty string>"}} (a text-embedding archive).</li>
 *   <li>{@code any}: any JSON object (a model whose inputs cannot be read here).</li>
 * </ul>
 */
public record InputSpec(String kind, List<Input> inputs) {
  public static final String TENSORS = "tensors";
  public static final String TEXT = "text";
  public static final String ANY = "any";

  /** One model input; {@code shape} null when the model does not say (any rank accepted). */
  public record Input(String name, int elemType, List<Long> shape) {}

  public static InputSpec tensors(List<Input> inputs) {
    return new InputSpec(TENSORS, List.copyOf(inputs));
  }

  public static InputSpec text() {
    return new InputSpec(TEXT, List.of());
  }

  public static InputSpec any() {
    return new InputSpec(ANY, List.of());
  }

  // ONNX TensorProto.DataType values
  private static final int STRING = 8;
  private static final int BOOL = 9;
  private static final List<Integer> INTEGER_TYPES = List.of(2, 3, 4, 5, 6, 7, 12, 13);

  /** Checks record number {@code index}; throws {@link InputException} naming the record and the input. */
  public void validate(JsonNode record, long index) {
    if (record == null || !record.isObject()) {
      throw new InputException("record " + index + " is not a JSON object: each record is an object of named inputs");
    }
    switch (kind) {
      case TEXT -> {
        JsonNode text = record.get("text");
        if (text == null || !text.isTextual() || text.asText().isBlank()) {
          throw new InputException("record " + index + ": input \"text\" must be a non-empty string, as in {\"text\": \"...\"}");
        }
      }
      case TENSORS -> {
        for (Input in : inputs) {
          validateInput(record, index, in);
        }
      }
      default -> { }
    }
  }

  private void validateInput(JsonNode record, long index, Input in) {
    JsonNode value = record.get(in.name());
    String where = "record " + index + ": input \"" + in.name() + "\"";
    if (value == null || value.isNull()) {
      throw new InputException("record " + index + " has no input \"" + in.name() + "\" (the model's inputs are "
          + inputs.stream().map(Input::name).toList() + ")");
    }
    if (in.elemType() == STRING) {
      return; // string tensors: the runner decides
    }
    Tensor t;
    try {
      t = Tensor.parse(value);
    } catch (Tensor.TensorException e) {
      throw new InputException(where + " is not a tensor: " + e.getMessage());
    }
    if (in.shape() != null && !in.shape().isEmpty()) {
      List<Long> expected = in.shape().subList(1, in.shape().size());
      long[] got = t.shape();
      boolean ok = got.length == expected.size();
      for (int i = 0; ok && i < got.length; i++) {
        long e = expected.get(i);
        ok = e < 0 || e == got[i];
      }
      if (!ok) {
        throw new InputException(where + " has shape " + Arrays.toString(got) + " but the model expects "
            + render(expected) + " (the model's input shape " + render(in.shape()) + " without the batch dimension)");
      }
    }
    double[] data = t.data();
    boolean integer = INTEGER_TYPES.contains(in.elemType()) || in.elemType() == BOOL;
    for (int i = 0; i < data.length; i++) {
      if (!Double.isFinite(data[i])) {
        throw new InputException(where + " holds a non-finite value at position " + i
            + ": only finite numbers are accepted");
      }
      if (integer && data[i] != Math.rint(data[i])) {
        throw new InputException(where + " is an integer input but holds " + data[i] + " at position " + i);
      }
    }
  }

  private static String render(List<Long> shape) {
    List<String> parts = new ArrayList<>();
    for (long d : shape) {
      parts.add(d < 0 ? "?" : Long.toString(d));
    }
    return "[" + String.join(", ", parts) + "]";
  }
}
