// Float ONNX models of single layers, as a user exports them, with random calibration inputs: the layers of the
// int8 layer benchmark (scripts/layers/layer-models.ts) in the form `eennc run LAYER.onnx --calib ...` reads.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeGraph } from '../../src/frontend/save.js';
import { writeNpy } from '../../src/data/index.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';

/** One single-layer model: its name, input shape and the ONNX node with its weights. */
export interface LayerModel {
  name: string;
  input: number[];
  /** Weight and bias shapes and the node's ONNX operator and attributes. */
  weight: number[];
  bias: number[];
  op: 'Conv' | 'Gemm';
  attrs: Record<string, number | number[]>;
}

/** A Conv of square kernel k, stride 1, padding `pad`, `group` groups on a [1, inC, size, size] input. */
function conv(name: string, inC: number, size: number, outC: number, k: number, pad: number, group = 1): LayerModel {
  return {
    name,
    input: [1, inC, size, size],
    weight: [outC, inC / group, k, k],
    bias: [outC],
    op: 'Conv',
    attrs: { kernel_shape: [k, k], pads: [pad, pad, pad, pad], group },
  };
}

/** The five layers of `npm run bench:layers`, in its order. */
export const LAYER_MODELS: LayerModel[] = [
  conv('conv3x3', 16, 16, 32, 3, 1),
  conv('conv1x1', 32, 16, 32, 1, 0),
  conv('depthwise3x3', 32, 16, 32, 3, 1, 32),
  { name: 'fc', input: [1, 256], weight: [64, 256], bias: [64], op: 'Gemm', attrs: { transB: 1 } },
  conv('first3x3', 1, 28, 8, 3, 1),
];

/** Calibration samples written beside each model. */
const CALIBRATION_SAMPLES = 8;

/** Write `layer` as DIR/NAME.onnx and its calibration inputs as DIR/NAME_calib.npy; returns both paths. */
export function writeLayerModel(layer: LayerModel, dir: string, seed = 1): { model: string; calib: string } {
  const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const graph = buildGraph({
    inputs: { x: ['float32', layer.input] },
    constants: {
      w: ['float32', layer.weight, randomFloats(count(layer.weight), seed)],
      b: ['float32', layer.bias, randomFloats(count(layer.bias), seed + 1)],
    },
    nodes: [[layer.op, ['x', 'w', 'b'], ['y'], layer.attrs, layer.name]],
    outputs: ['y'],
  });
  graph.name = layer.name;
  const model = join(dir, `${layer.name}.onnx`);
  writeFileSync(model, encodeGraph(graph));
  const calib = join(dir, `${layer.name}_calib.npy`);
  const shape = [CALIBRATION_SAMPLES, ...layer.input.slice(1)];
  writeNpy(calib, shape, randomFloats(count(shape), seed + 2));
  return { model, calib };
}
