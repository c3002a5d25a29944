package org.idlegrid.client.runner;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.idlegrid.tensor.Tensor;

/**
 * A named-tensor ONNX model: each record is an object of the model's inputs (float32 tensors
 * shaped like the input without its batch dimension; other fields are ignored), each output an
 * object of the model's output names to nested arrays. Records run in fixed chunks of
 * {@link ModelRunner#CHUNK} in unit order, so every device computes a unit the same way.
 *
 * <p>Float outputs travel as the shortest decimal that reads back to the same float32
 * ({@link Float#toString}), which keeps results compact and identical on every device.
 */
final class TensorModel implements DjlRunner.Loaded {
  private final ZooModel<NDList, NDList> zoo;
  private final List<String> inputNames;

  TensorModel(ZooModel<NDList, NDList> zoo) {
    this.zoo = zoo;
    this.inputNames = List.copyOf(zoo.describeInput().keys());
  }

  @Override
  public List<JsonNode> run(List<JsonNode> records, BooleanSupplier cancelled)
      throws UnitCancelledException, RunnerException {
    int n = records.size();
    // parse and check every record before any compute
    Tensor[][] inputs = new Tensor[inputNames.size()][n];
    for (int r = 0; r < n; r++) {
      JsonNode record = records.get(r);
      if (record == null || !record.isObject()) {
        throw new RunnerException("record " + r + ": must be a JSON object of named inputs " + inputNames);
      }
      for (int i = 0; i < inputNames.size(); i++) {
        String name = inputNames.get(i);
        JsonNode value = record.get(name);
        if (value == null) {
          throw new RunnerException("record " + r + ": missing input '" + name + "' (the model's inputs: " + inputNames + ")");
        }
        Tensor t;
        try {
          t = Tensor.parse(value);
        } catch (Tensor.TensorException e) {
          throw new RunnerException("record " + r + ", input '" + name + "': " + e.getMessage());
        }
        if (r > 0 && !t.sameShape(inputs[i][0])) {
          throw new RunnerException("record " + r + ", input '" + name + "': shape " + Arrays.toString(t.shape())
              + " differs from record 0's " + Arrays.toString(inputs[i][0].shape()));
        }
        inputs[i][r] = t;
      }
    }
    List<JsonNode> outputs = new ArrayList<>(n);
    try (Predictor<NDList, NDList> predictor = zoo.newPredictor()) {
      for (int start = 0; start < n; start += ModelRunner.CHUNK) {
        if (cancelled.getAsBoolean()) {
          throw new UnitCancelledException();
        }
        int size = Math.min(ModelRunner.CHUNK, n - start);
        try (NDManager manager = zoo.getNDManager().newSubManager()) {
          NDList batch = new NDList();
          for (int i = 0; i < inputNames.size(); i++) {
            batch.add(stack(manager, inputNames.get(i), inputs[i], start, size));
          }
          NDList result = predictor.predict(batch);
          outputs.addAll(split(result, size));
        } catch (TranslateException | RuntimeException e) {
          throw new RunnerException("inference failed on records " + start + ".." + (start + size - 1) + ": "
              + rootMessage(e), e);
        }
      }
    }
    return outputs;
  }

  private static NDArray stack(NDManager manager, String name, Tensor[] tensors, int start, int size) {
    long[] one = tensors[start].shape();
    int per = tensors[start].size();
    float[] data = new float[per * size];
    for (int k = 0; k < size; k++) {
      double[] d = tensors[start + k].data();
      for (int j = 0; j < per; j++) {
        data[k * per + j] = (float) d[j];
      }
    }
    long[] shape = new long[one.length + 1];
    shape[0] = size;
    System.arraycopy(one, 0, shape, 1, one.length);
    NDArray a = manager.create(data, new Shape(shape));
    a.setName(name);
    return a;
  }

  private static List<JsonNode> split(NDList result, int size) throws RunnerException {
    List<ObjectNode> records = new ArrayList<>(size);
    for (int k = 0; k < size; k++) {
      records.add(JsonNodeFactory.instance.objectNode());
    }
    for (int o = 0; o < result.size(); o++) {
      NDArray a = result.get(o);
      String name = a.getName() != null ? a.getName() : "output" + o;
      long[] shape = a.getShape().getShape();
      if (shape.length == 0 || shape[0] != size) {
        throw new RunnerException("output '" + name + "' has shape " + Arrays.toString(shape)
            + ": expected a leading batch dimension of " + size);
      }
      double[] values = values(a, name);
      long[] per = Arrays.copyOfRange(shape, 1, shape.length);
      int count = values.length / size;
      for (int k = 0; k < size; k++) {
        double[] slice = Arrays.copyOfRange(values, k * count, (k + 1) * count);
        records.get(k).set(name, new Tensor(per, slice).toNestedJson());
      }
    }
    return new ArrayList<>(records);
  }

  private static double[] values(NDArray a, String name) throws RunnerException {
    DataType type = a.getDataType();
    switch (type) {
      case FLOAT32:
      case FLOAT16:
      case BFLOAT16: {
        float[] f = type == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          d[i] = Float.isFinite(f[i]) ? Double.parseDouble(Float.toString(f[i])) : f[i];
        }
        return d;
      }
      case FLOAT64:
        return a.toDoubleArray();
      case INT64: {
        long[] l = a.toLongArray();
        return Arrays.stream(l).asDoubleStream().toArray();
      }
      case INT32: {
        int[] i = a.toIntArray();
        return Arrays.stream(i).asDoubleStream().toArray();
      }
      case INT8:
      case UINT8:
      case BOOLEAN: {
        byte[] b = a.toByteArray();
        double[] d = new double[b.length];
        for (int i = 0; i < b.length; i++) {
          d[i] = type == DataType.INT8 ? b[i] : (b[i] & 0xff);
        }
        return d;
      }
      default:
        throw new RunnerException("output '" + name + "' has data type " + type + ", which this client cannot send");
    }
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  @Override
  public void close() {
    zoo.close();
  }
}
