// Float ONNX models with the LayerNorm structure of small sequence models (a linear layer over the features of each
// time step, LayerNorm over the features, a pooled classifier), written as LayerNormalization (opset 17) and as the
// decomposed form exporters write before opset 17, plus a model of int8 reductions over several sets of axes.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../../src/data/index.js';
import { encodeGraph } from '../../src/frontend/save.js';
import type { Graph } from '../../src/ir/graph.js';
import { buildGraph, randomFloats, type GraphSpec } from '../frontend/build-graph.js';

/** Time steps and features of the sequence models: x [1, STEPS, FEATURES]. */
export const STEPS = 6;
export const FEATURES = 16;
const HIDDEN = 24;
const CLASSES = 5;

type Nodes = GraphSpec['nodes'];

/** Shared weights: the linear layer, the LayerNorm's Scale and B, the classifier. */
function weights(): NonNullable<GraphSpec['constants']> {
  return {
    w1: ['float32', [FEATURES, HIDDEN], randomFloats(FEATURES * HIDDEN, 3)],
    b1: ['float32', [HIDDEN], randomFloats(HIDDEN, 4)],
    // Scale around 1 with both signs of deviation; one negative entry.
    gamma: ['float32', [HIDDEN], Float32Array.from(randomFloats(HIDDEN, 5), (v, i) => (i === 7 ? -0.8 : 1 + 0.5 * v))],
    beta: ['float32', [HIDDEN], Float32Array.from(randomFloats(HIDDEN, 6), (v) => 0.3 * v)],
    w2: ['float32', [CLASSES, HIDDEN], randomFloats(CLASSES * HIDDEN, 7)],
    b2: ['float32', [CLASSES], randomFloats(CLASSES, 8)],
    axes_last: ['int64', [1], [-1]],
    axes_steps: ['int64', [1], [1]],
    two: ['float32', [], [2]],
    epsilon: ['float32', [], [1e-5]],
  };
}

/** x -> MatMul + Add -> (the LayerNorm nodes, `norm` out) -> mean over steps -> Gemm logits; ReduceMax over features too. */
function sequenceModel(name: string, opset: number, layerNorm: Nodes): Graph {
  const nodes: Nodes = [
    ['MatMul', ['x', 'w1'], ['h0'], {}, 'linear'],
    ['Add', ['h0', 'b1'], ['h'], {}, 'linear_bias'],
    ...layerNorm,
    // The axes of ReduceMean and ReduceMax are an input from opset 18 on, an attribute before.
    ['ReduceMean', ['norm'], ['pooled'], { axes: [1], keepdims: 0 }, 'pool_steps'],
    ['Gemm', ['pooled', 'w2', 'b2'], ['logits'], { transB: 1 }, 'classifier'],
    ['ReduceMax', ['norm'], ['peak'], { axes: [-1], keepdims: 1 }, 'peak'],
  ];
  const graph = buildGraph({ opset, inputs: { x: ['float32', [1, STEPS, FEATURES]] }, constants: weights(), nodes, outputs: ['logits', 'peak'] });
  graph.name = name;
  return graph;
}

/** LayerNormalization over the features (opset 17). */
export function layerNormModel(): Graph {
  return sequenceModel('layer_norm', 17, [['LayerNormalization', ['h', 'gamma', 'beta'], ['norm'], { axis: -1, epsilon: 1e-5 }, 'norm']]);
}

/** The same LayerNorm as torch.nn.LayerNorm exports it at opset 13. */
export function decomposedLayerNormModel(): Graph {
  return sequenceModel('layer_norm_decomposed', 13, [
    ['ReduceMean', ['h'], ['mean'], { axes: [-1], keepdims: 1 }, 'norm_mean'],
    ['Sub', ['h', 'mean'], ['centered'], {}, 'norm_sub'],
    ['Pow', ['centered', 'two'], ['squared'], {}, 'norm_pow'],
    ['ReduceMean', ['squared'], ['variance'], { axes: [-1], keepdims: 1 }, 'norm_variance'],
    ['Add', ['variance', 'epsilon'], ['variance_eps'], {}, 'norm_eps'],
    ['Sqrt', ['variance_eps'], ['std'], {}, 'norm_sqrt'],
    ['Div', ['centered', 'std'], ['normalized'], {}, 'norm_div'],
    ['Mul', ['normalized', 'gamma'], ['scaled'], {}, 'norm_scale'],
    ['Add', ['scaled', 'beta'], ['norm'], {}, 'norm_shift'],
  ]);
}

/** Reductions of x [2, 3, 4, 5] over the last axis, a middle axis, several axes, with and without kept axes. */
export function reductionsModel(): Graph {
  const graph = buildGraph({
    opset: 13,
    inputs: { x: ['float32', [2, 3, 4, 5]] },
    nodes: [
      ['ReduceMean', ['x'], ['mean_last'], { axes: [-1], keepdims: 1 }, 'mean_last'],
      ['ReduceMean', ['x'], ['mean_middle'], { axes: [1], keepdims: 0 }, 'mean_middle'],
      ['ReduceMean', ['x'], ['mean_1_3'], { axes: [1, 3], keepdims: 1 }, 'mean_1_3'],
      ['ReduceMean', ['x'], ['mean_all'], { keepdims: 0 }, 'mean_all'],
      ['ReduceMax', ['x'], ['max_last'], { axes: [3], keepdims: 0 }, 'max_last'],
      ['ReduceMax', ['x'], ['max_0_2'], { axes: [0, 2], keepdims: 1 }, 'max_0_2'],
      ['ReduceMin', ['x'], ['min_middle'], { axes: [-2], keepdims: 1 }, 'min_middle'],
      ['ReduceSum', ['x'], ['sum_0_2'], { axes: [0, 2], keepdims: 0 }, 'sum_0_2'],
    ],
    outputs: ['mean_last', 'mean_middle', 'mean_1_3', 'mean_all', 'max_last', 'max_0_2', 'min_middle', 'sum_0_2'],
  });
  graph.name = 'reductions';
  return graph;
}

/** InstanceNormalization -> LRN -> MeanVarianceNormalization -> LayerNormalization over two axes, in float32. */
export function normalizationsModel(): Graph {
  const graph = buildGraph({
    opset: 17,
    inputs: { x: ['float32', [1, 4, 3, 5]] },
    constants: {
      s: ['float32', [4], Float32Array.of(1, -0.5, 2, 0.75)],
      b: ['float32', [4], Float32Array.of(0, 0.25, -1, 0.5)],
      ln_scale: ['float32', [5], randomFloats(5, 12)],
    },
    nodes: [
      ['InstanceNormalization', ['x', 's', 'b'], ['inst'], { epsilon: 1e-3 }, 'instance'],
      ['LRN', ['inst'], ['lrn'], { size: 3, alpha: 0.01, beta: 0.75, bias: 1 }, 'lrn'],
      ['MeanVarianceNormalization', ['lrn'], ['mvn'], {}, 'mvn'],
      ['LayerNormalization', ['mvn', 'ln_scale'], ['y'], { axis: -2 }, 'layer_norm'],
    ],
    outputs: ['y'],
  });
  graph.name = 'normalizations';
  return graph;
}

/**
 * LayerNormalization straight on the input x [1, 4, 40]: over the last axis (Scale with zeros and negative entries)
 * and over the last two (a row of 160 with the 40 Scale values repeated, no B). Its data (edgeSamples) holds rows
 * the kernel must get exactly right: constant (only epsilon), saturated, alternating extremes.
 */
export function layerNormEdgesModel(): Graph {
  const scale = Float32Array.from(randomFloats(40, 21), (v, i) => (i % 9 === 0 ? 0 : 2 * v));
  const graph = buildGraph({
    opset: 17,
    inputs: { x: ['float32', [1, 4, 40]] },
    constants: { s: ['float32', [40], scale], b: ['float32', [40], randomFloats(40, 22)] },
    nodes: [
      ['LayerNormalization', ['x', 's', 'b'], ['rows'], { axis: -1, epsilon: 1e-3 }, 'rows'],
      ['LayerNormalization', ['x', 's'], ['planes'], { axis: 1, epsilon: 1e-5 }, 'planes'],
    ],
    outputs: ['rows', 'planes'],
  });
  graph.name = 'layer_norm_edges';
  return graph;
}

/** `count` samples of [4, 40] for layerNormEdgesModel: random rows, then constant, saturated and alternating ones. */
export function edgeSamples(count: number): Float32Array {
  const data = Float32Array.from(randomFloats(count * 160, 23), (v) => 3 * v);
  for (let n = 0; n < count; n++) {
    const row = (r: number) => data.subarray(n * 160 + r * 40, n * 160 + r * 40 + 40);
    if (n % 2 === 1) row(0).fill(0.7 * n); // constant
    row(1).forEach((_, i, a) => (a[i] = i % 2 ? 3 : -3)); // alternating extremes
    if (n % 3 === 0) row(2).fill(n % 2 ? 5 : -5); // saturated
  }
  return data;
}

/** Write `graph` as DIR/NAME.onnx and `count` random samples of its input as DIR/NAME_data.npy. */
export function writeModel(graph: Graph, dir: string, count: number, seed = 11, samples?: Float32Array): { model: string; data: string } {
  const model = join(dir, `${graph.name}.onnx`);
  writeFileSync(model, encodeGraph(graph));
  const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
  const size = shape.reduce((a, b) => a * b, 1);
  const data = join(dir, `${graph.name}_data.npy`);
  // [N, ...input] (a batch of 1 without its 1).
  const shapeOf = shape[0] === 1 ? [count, ...shape.slice(1)] : [count, ...shape];
  writeNpy(data, shapeOf, samples ?? Float32Array.from(randomFloats(count * size, seed), (v) => 2 * v));
  return { model, data };
}
