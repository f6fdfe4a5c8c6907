// The models the fuzz cases start from: a few small valid ones built in the IR, and tools to rewrite their
// protobuf fields (external data, dims, duplicates) into the hostile models of the corpus and the mutator.

import { decodeModel, encodeModel, OnnxDataType, type AttributeProto, type ModelProto, type TensorProto } from '../../src/frontend/onnx-proto.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';

/** A small convolutional network: Conv, Relu, MaxPool, Flatten, Gemm on a [1, 1, 8, 8] input. */
function cnn(): Uint8Array {
  return encodeGraph(
    buildGraph({
      inputs: { x: ['float32', [1, 1, 8, 8]] },
      constants: {
        w: ['float32', [4, 1, 3, 3], randomFloats(36, 1)],
        b: ['float32', [4], randomFloats(4, 2)],
        fc_w: ['float32', [10, 64], randomFloats(640, 3)],
        fc_b: ['float32', [10], randomFloats(10, 4)],
      },
      nodes: [
        ['Conv', ['x', 'w', 'b'], ['c'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, 'conv'],
        ['Relu', ['c'], ['r'], {}, 'relu'],
        ['MaxPool', ['r'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] }, 'pool'],
        ['Flatten', ['p'], ['f'], { axis: 1 }, 'flatten'],
        ['Gemm', ['f', 'fc_w', 'fc_b'], ['y'], { transB: 1 }, 'fc'],
      ],
      outputs: ['y'],
    }),
  );
}

/** Two fully connected layers: MatMul, Add, Relu, MatMul on a [1, 16] input (w1 is the tensor made external). */
function mlp(): Uint8Array {
  return encodeGraph(
    buildGraph({
      inputs: { x: ['float32', [1, 16]] },
      constants: {
        w1: ['float32', [16, 8], randomFloats(128, 5)],
        b1: ['float32', [8], randomFloats(8, 6)],
        w2: ['float32', [8, 4], randomFloats(32, 7)],
      },
      nodes: [
        ['MatMul', ['x', 'w1'], ['h'], {}, 'fc1'],
        ['Add', ['h', 'b1'], ['hb'], {}, 'bias1'],
        ['Relu', ['hb'], ['hr'], {}, 'relu1'],
        ['MatMul', ['hr', 'w2'], ['y'], {}, 'fc2'],
      ],
      outputs: ['y'],
    }),
  );
}

/** Shape-moving operators with int64 operands: Pad, AveragePool, Mul, Add, Sigmoid, Transpose, Reshape, Softmax. */
function mixed(): Uint8Array {
  return encodeGraph(
    buildGraph({
      inputs: { x: ['float32', [1, 2, 4, 4]] },
      constants: {
        pads: ['int64', [8], [0, 0, 1, 1, 0, 0, 1, 1]],
        gain: ['float32', [1, 2, 1, 1], [0.5, -1.5]],
        shape: ['int64', [2], [1, 32]],
      },
      nodes: [
        ['Pad', ['x', 'pads'], ['padded'], {}, 'pad'],
        ['AveragePool', ['padded'], ['avg'], { kernel_shape: [3, 3] }, 'avg'],
        ['Mul', ['avg', 'gain'], ['scaled'], {}, 'gain'],
        ['Add', ['scaled', 'x'], ['sum'], {}, 'residual'],
        ['Sigmoid', ['sum'], ['s'], {}, 'sigmoid'],
        ['Transpose', ['s'], ['t'], { perm: [0, 2, 3, 1] }, 'transpose'],
        ['Reshape', ['t', 'shape'], ['flat'], {}, 'reshape'],
        ['Softmax', ['flat'], ['y'], { axis: 1 }, 'softmax'],
      ],
      outputs: ['y'],
    }),
  );
}

/** The valid starting models by name, with the shape of their one input (for data files). */
export const BASE_MODELS: Record<'cnn' | 'mlp' | 'mixed', { bytes: () => Uint8Array; input: readonly number[] }> = {
  cnn: { bytes: cnn, input: [1, 1, 8, 8] },
  mlp: { bytes: mlp, input: [1, 16] },
  mixed: { bytes: mixed, input: [1, 2, 4, 4] },
};

export type BaseModelName = keyof typeof BASE_MODELS;

/** Decode a model, let `edit` change its fields, encode it again. */
export function editModel(bytes: Uint8Array, edit: (model: ModelProto) => void): Uint8Array {
  const model = decodeModel(bytes, 'model.onnx');
  edit(model);
  return encodeModel(model);
}

/** The initializer named `name` of a decoded model. */
export function initializer(model: ModelProto, name: string): TensorProto {
  const found = model.graph?.initializer?.find((t) => t.name === name);
  if (!found) throw new Error(`the model has no initializer "${name}"`);
  return found;
}

/** Entries of TensorProto.external_data; values are strings in ONNX, written as given. */
export interface ExternalEntries {
  location: string;
  offset?: string | number;
  length?: string | number;
}

/**
 * The raw bytes of initializer `name` and a copy of the model where that tensor is stored externally with
 * `entries` instead (data_location EXTERNAL, no raw_data).
 */
export function withExternalData(bytes: Uint8Array, name: string, entries: ExternalEntries): { model: Uint8Array; data: Uint8Array } {
  let data = new Uint8Array();
  const model = editModel(bytes, (m) => {
    const t = initializer(m, name);
    data = Uint8Array.from(t.rawData ?? []);
    setExternal(t, entries);
  });
  return { model, data };
}

/** Turn a TensorProto into an external one (no raw_data, data_location EXTERNAL, the given entries). */
export function setExternal(t: TensorProto, entries: ExternalEntries): void {
  t.rawData = new Uint8Array();
  t.dataLocation = 1; // TensorProto.DataLocation.EXTERNAL
  t.externalData = Object.entries(entries)
    .filter(([, v]) => v !== undefined)
    .map(([key, value]) => ({ key, value: String(value) }));
}

/** A one-node model `y = op(x, ...constants)` written field by field, for sizes the IR builders would refuse. */
export function rawModel(spec: {
  inputDims: number[];
  op: string;
  constants?: TensorProto[];
  attributes?: AttributeProto[];
  opset?: number;
}): Uint8Array {
  const constants = spec.constants ?? [];
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'fuzz',
      input: [{ name: 'x', type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: spec.inputDims.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: 'y' }],
      initializer: constants,
      node: [{ name: 'node', opType: spec.op, input: ['x', ...constants.map((c) => c.name!)], output: ['y'], attribute: spec.attributes ?? [] }],
    },
  });
}

/** An int64 constant as a TensorProto (int64_data, so values up to 2^53 stay exact). */
export function int64Constant(name: string, values: number[]): TensorProto {
  return { name, dims: [values.length], dataType: OnnxDataType.INT64, int64Data: values };
}
