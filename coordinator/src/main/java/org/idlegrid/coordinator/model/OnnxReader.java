package org.idlegrid.coordinator.model;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a model's inputs from the ONNX protobuf without an ONNX runtime. Only these fields are
 * read; everything else is skipped by wire type:
 * <pre>
 * ModelProto      ir_version=1, graph=7
 * GraphProto      initializer=5 (TensorProto name=8), input=11 (ValueInfoProto)
 * ValueInfoProto  name=1, type=2 (TypeProto)
 * TypeProto       tensor_type=1 (elem_type=1, shape=2 (TensorShapeProto dim=1 (dim_value=1 | dim_param=2)))
 * </pre>
 * Graph inputs that are also initializers are weights with defaults, not model inputs. A dim
 * given by {@code dim_param}, or by neither field, or with {@code dim_value <= 0}, is dynamic (-1).
 */
final class OnnxReader {
  private OnnxReader() {}

  static List<InputSpec.Input> inputs(ByteBuffer model) {
    ProtoReader r = new ProtoReader(model);
    ByteBuffer graph = null;
    boolean irVersion = false;
    while (r.hasMore()) {
      int tag = r.tag();
      int field = ProtoReader.field(tag);
      if (field == 1 && ProtoReader.wire(tag) == ProtoReader.VARINT) {
        r.varint();
        irVersion = true;
      } else if (field == 7 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        graph = r.bytes();
      } else {
        r.skip(tag);
      }
    }
    if (!irVersion || graph == null) {
      throw new ModelException("not a valid ONNX model: it has no ir_version or no graph");
    }
    List<InputSpec.Input> inputs = new ArrayList<>();
    Set<String> initializers = new HashSet<>();
    ProtoReader g = new ProtoReader(graph);
    while (g.hasMore()) {
      int tag = g.tag();
      int field = ProtoReader.field(tag);
      if (field == 11 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        inputs.add(valueInfo(g.bytes()));
      } else if (field == 5 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        String name = tensorName(g.bytes());
        if (name != null) {
          initializers.add(name);
        }
      } else {
        g.skip(tag);
      }
    }
    inputs.removeIf(in -> initializers.contains(in.name()));
    if (inputs.isEmpty()) {
      throw new ModelException("not a usable ONNX model: its graph has no inputs");
    }
    return inputs;
  }

  private static String tensorName(ByteBuffer tensor) {
    ProtoReader r = new ProtoReader(tensor);
    String name = null;
    while (r.hasMore()) {
      int tag = r.tag();
      if (ProtoReader.field(tag) == 8 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        name = r.string();
      } else {
        r.skip(tag);
      }
    }
    return name;
  }

  private static InputSpec.Input valueInfo(ByteBuffer info) {
    ProtoReader r = new ProtoReader(info);
    String name = null;
    int elemType = 0;
    List<Long> shape = null;
    while (r.hasMore()) {
      int tag = r.tag();
      int field = ProtoReader.field(tag);
      if (field == 1 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        name = r.string();
      } else if (field == 2 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        ProtoReader type = new ProtoReader(r.bytes());
        while (type.hasMore()) {
          int t = type.tag();
          if (ProtoReader.field(t) == 1 && ProtoReader.wire(t) == ProtoReader.LEN) {
            ProtoReader tensor = new ProtoReader(type.bytes());
            while (tensor.hasMore()) {
              int tt = tensor.tag();
              if (ProtoReader.field(tt) == 1 && ProtoReader.wire(tt) == ProtoReader.VARINT) {
                elemType = (int) tensor.varint();
              } else if (ProtoReader.field(tt) == 2 && ProtoReader.wire(tt) == ProtoReader.LEN) {
                shape = shape(tensor.bytes());
              } else {
                tensor.skip(tt);
              }
            }
          } else {
            type.skip(t);
          }
        }
      } else {
        r.skip(tag);
      }
    }
    if (name == null || name.isEmpty()) {
      throw new ModelException("not a valid ONNX model: a graph input has no name");
    }
    return new InputSpec.Input(name, elemType, shape);
  }

  private static List<Long> shape(ByteBuffer shapeProto) {
    List<Long> dims = new ArrayList<>();
    ProtoReader r = new ProtoReader(shapeProto);
    while (r.hasMore()) {
      int tag = r.tag();
      if (ProtoReader.field(tag) == 1 && ProtoReader.wire(tag) == ProtoReader.LEN) {
        ProtoReader dim = new ProtoReader(r.bytes());
        long value = -1;
        while (dim.hasMore()) {
          int t = dim.tag();
          if (ProtoReader.field(t) == 1 && ProtoReader.wire(t) == ProtoReader.VARINT) {
            long v = dim.varint();
            value = v > 0 ? v : -1;
          } else {
            dim.skip(t); // dim_param (2) and denotation (3): dynamic
          }
        }
        dims.add(value);
      } else {
        r.skip(tag);
      }
    }
    return dims;
  }
}
