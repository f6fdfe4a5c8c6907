// The rows of the int8 layer benchmark (scripts/bench-layers.ts) as a user builds them: float ONNX models of one
// layer (or of a small CNN) with seeded random weights, written with the ONNX encoder of src/frontend/save.ts,
// and random calibration and input samples beside them. The peers' figures and the bars of each row are in
// scripts/layers/peers.ts.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttrValue, Graph, Node, Tensor } from '../../src/ir/graph.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { writeNpy } from '../../src/data/index.js';
import { seededRandom } from '../../src/util/random.js';

/** One ONNX node of a benchmark model: operator, inputs, outputs and attributes. */
interface LayerNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, AttrValue>;
}

/** A benchmark model: its input shape, weights (name and shape), nodes, and multiply-accumulates. */
export interface LayerModel {
  /** Row label of the tables (a key of scripts/layers/peers.ts). */
  name: string;
  /** File name of the model. */
  file: string;
  input: number[];
  weights: Record<string, number[]>;
  nodes: LayerNode[];
  macs: number;
}

/** A Conv (with its ReLU where `relu`) of square kernel k, stride 1, padding `pad`, `group` groups: nodes and weights. */
function convNodes(prefix: string, x: string, y: string, inC: number, outC: number, k: number, pad: number, group = 1, relu = false) {
  const w = `${prefix}_w`;
  const b = `${prefix}_b`;
  const conv = relu ? `${prefix}_out` : y;
  const nodes: LayerNode[] = [
    { op: 'Conv', inputs: [x, w, b], outputs: [conv], attrs: { kernel_shape: [k, k], pads: [pad, pad, pad, pad], strides: [1, 1], group } },
  ];
  if (relu) nodes.push({ op: 'Relu', inputs: [conv], outputs: [y] });
  return { nodes, weights: { [w]: [outC, inC / group, k, k], [b]: [outC] } };
}

/** A model of one Conv on a [1, inC, size, size] input. */
function conv(name: string, file: string, inC: number, size: number, outC: number, k: number, pad: number, group = 1): LayerModel {
  const out = size + 2 * pad - k + 1;
  return {
    name,
    file,
    input: [1, inC, size, size],
    ...convNodes('conv', 'x', 'y', inC, outC, k, pad, group),
    macs: out * out * outC * (inC / group) * k * k,
  };
}

/** A model of one fully connected layer (Gemm, weights [outputs, inputs]). */
function fullyConnected(name: string, file: string, inputs: number, outputs: number): LayerModel {
  return {
    name,
    file,
    input: [1, inputs],
    weights: { fc_w: [outputs, inputs], fc_b: [outputs] },
    nodes: [{ op: 'Gemm', inputs: ['x', 'fc_w', 'fc_b'], outputs: ['y'], attrs: { transB: 1 } }],
    macs: inputs * outputs,
  };
}

/** The small CNN: conv 3x3 1->8 pad 1 + ReLU on 28x28, 2x2 max pool, conv 3x3 8->16 pad 1 + ReLU, fully connected 3136->10. */
function smallCnn(): LayerModel {
  const first = convNodes('conv1', 'x', 'relu1', 1, 8, 3, 1, 1, true);
  const second = convNodes('conv2', 'pool1', 'relu2', 8, 16, 3, 1, 1, true);
  return {
    name: 'small CNN, 28x28x1 (end to end)',
    file: 'small_cnn',
    input: [1, 1, 28, 28],
    weights: { ...first.weights, ...second.weights, fc_w: [10, 3136], fc_b: [10] },
    nodes: [
      ...first.nodes,
      { op: 'MaxPool', inputs: ['relu1'], outputs: ['pool1'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      ...second.nodes,
      { op: 'Flatten', inputs: ['relu2'], outputs: ['flat'], attrs: { axis: 1 } },
      { op: 'Gemm', inputs: ['flat', 'fc_w', 'fc_b'], outputs: ['y'], attrs: { transB: 1 } },
    ],
    macs: 28 * 28 * 8 * 9 + 14 * 14 * 16 * 8 * 9 + 3136 * 10,
  };
}

/** The rows of the benchmark, in table order: the five reference layers, the CNN's classifier, the CNN. */
export const LAYER_MODELS: LayerModel[] = [
  conv('conv 3x3, 16x16x16 -> 32, pad 1', 'conv3x3', 16, 16, 32, 3, 1),
  conv('conv 1x1, 16x16x32 -> 32', 'conv1x1', 32, 16, 32, 1, 0),
  conv('depthwise 3x3, 16x16x32, pad 1', 'depthwise3x3', 32, 16, 32, 3, 1, 32),
  fullyConnected('fully connected 256 -> 64', 'fc256', 256, 64),
  conv('conv 3x3, 28x28x1 -> 8, pad 1 (first layer)', 'first3x3', 1, 28, 8, 3, 1),
  fullyConnected('fully connected 3136 -> 10', 'fc3136', 3136, 10),
  smallCnn(),
];

/** Calibration samples written beside each model. */
export const CALIBRATION_SAMPLES = 8;

/** Seeded uniform floats in [-limit, limit). */
function uniform(rand: () => number, count: number, limit: number): Float32Array {
  return Float32Array.from({ length: count }, () => Math.fround((2 * rand() - 1) * limit));
}

const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** The float graph of `layer`: He-uniform weights (a trained layer's range), small biases, from `seed`. */
export function layerGraph(layer: LayerModel, seed: number): Graph {
  const rand = seededRandom(seed);
  const tensors = new Map<string, Tensor>();
  tensors.set('x', { name: 'x', dtype: 'float32', shape: layer.input });
  for (const [name, shape] of Object.entries(layer.weights)) {
    const fanIn = shape.length > 1 ? count(shape.slice(1)) : 1;
    const limit = shape.length > 1 ? Math.sqrt(6 / fanIn) : 0.1;
    tensors.set(name, { name, dtype: 'float32', shape, data: uniform(rand, count(shape), limit) });
  }
  const nodes: Node[] = layer.nodes.map((n, i) => ({
    name: `${layer.file}_${n.op.toLowerCase()}_${i}`,
    op: n.op,
    domain: '',
    inputs: n.inputs,
    outputs: n.outputs,
    attrs: n.attrs ?? {},
  }));
  // Shapes of the intermediate tensors are inferred on load; the output's is left for the same inference.
  for (const node of nodes) for (const o of node.outputs) if (!tensors.has(o)) tensors.set(o, { name: o, dtype: 'float32', shape: [] });
  return { name: layer.file, opset: 13, tensors, nodes, inputs: ['x'], outputs: ['y'] };
}

/** The files of one row: the model, its calibration samples and the sample the benchmark runs. */
export interface LayerFiles {
  model: string;
  calib: string;
  input: string;
}

/** Write `layer` as DIR/FILE.onnx with DIR/FILE_calib.npy (CALIBRATION_SAMPLES samples) and DIR/FILE_input.npy (one). */
export function writeLayerModel(layer: LayerModel, dir: string, seed: number): LayerFiles {
  const model = join(dir, `${layer.file}.onnx`);
  writeFileSync(model, encodeGraph(layerGraph(layer, seed)));
  const rand = seededRandom(seed + 1);
  const sample = layer.input.slice(1);
  const calib = join(dir, `${layer.file}_calib.npy`);
  writeNpy(calib, [CALIBRATION_SAMPLES, ...sample], uniform(rand, CALIBRATION_SAMPLES * count(sample), 1));
  const input = join(dir, `${layer.file}_input.npy`);
  writeNpy(input, [1, ...sample], uniform(rand, count(sample), 1));
  return { model, calib, input };
}
