// An exit head as augment builds it: average pooling of the backbone's feature map down to a small grid (1x1 is
// global pooling), flattened, then one fully connected layer. The features a head sees are computed here once, so
// training (in TypeScript) and the nodes added to the graph (ONNX AveragePool, Flatten, Gemm) agree.

import type { Graph, Node, Tensor } from '../../ir/graph.js';
import type { ExitPoint } from './candidates.js';
import type { SoftmaxModel } from './softmax-regression.js';

/** A head's shape: where it reads and the grid it pools to. */
export interface HeadShape {
  point: ExitPoint;
  /** Side of the pooled grid (grid x grid cells per channel); 1 is global average pooling. */
  grid: number;
}

/** Grid sides a head may pool to, coarsest first: 1 is global average pooling. */
const GRIDS = [1, 2, 4, 7, 14];
/** Features a head may take at most: more do not pay with the few hundred samples a head is trained on. */
const MAX_HEAD_FEATURES = 800;
/** A head may cost at most this share of the MACs behind its point. */
const MAX_HEAD_SHARE = 0.05;

/** Features a head of this shape sees per sample. */
export function headDims(shape: HeadShape): number {
  return shape.point.channels * shape.grid * shape.grid;
}

/** MACs of a head: the pooling adds every value of the map once, the fully connected layer dims x classes. */
export function headMacs(shape: HeadShape, classes: number): number {
  const p = shape.point;
  return p.channels * p.height * p.width + headDims(shape) * classes;
}

/**
 * The head at `point`: the finest grid that divides the map, with at most MAX_HEAD_FEATURES features and a cost
 * within MAX_HEAD_SHARE of what is left of the network (finer grids keep where things are, which a linear head
 * needs: on Fashion-MNIST's first block, 7x7 answers 84% right against 65% for global pooling); global pooling
 * when no finer grid is cheap enough.
 */
export function headShape(point: ExitPoint, classes: number): HeadShape {
  const fits = (grid: number): boolean => {
    const shape = { point, grid };
    return (
      point.height % grid === 0 &&
      point.width % grid === 0 &&
      headDims(shape) <= MAX_HEAD_FEATURES &&
      headMacs(shape, classes) <= MAX_HEAD_SHARE * point.macsAfter
    );
  };
  return { point, grid: [...GRIDS].reverse().find(fits) ?? 1 };
}

/**
 * Pool one sample's feature map ([1, C, H, W] row-major) to the head's features, written at `into[offset...]` in
 * the order ONNX Flatten gives: channel, then grid row, then grid column.
 */
export function poolFeatures(shape: HeadShape, map: ArrayLike<number>, into: Float32Array, offset: number): void {
  const { channels, height, width } = shape.point;
  const g = shape.grid;
  const kh = height / g;
  const kw = width / g;
  for (let c = 0; c < channels; c++) {
    for (let gy = 0; gy < g; gy++) {
      for (let gx = 0; gx < g; gx++) {
        let sum = 0;
        for (let y = gy * kh; y < (gy + 1) * kh; y++) {
          const row = (c * height + y) * width;
          for (let x = gx * kw; x < (gx + 1) * kw; x++) sum += map[row + x]!;
        }
        into[offset + (c * g + gy) * g + gx] = Math.fround(sum / (kh * kw));
      }
    }
  }
}

/** A trained head ready to be added to the graph. */
export interface Head {
  shape: HeadShape;
  model: SoftmaxModel;
}

/**
 * `graph` with each head added as a new output named `names[k]` (the heads in backbone order). The new output
 * comes first among the outputs, before the final classifier, in exit order.
 */
export function addHeads(graph: Graph, heads: readonly Head[], names: readonly string[]): Graph {
  const tensors = new Map(graph.tensors);
  const nodes: Node[] = [...graph.nodes];
  const add = (base: string, shape: number[], data?: Float32Array): string => {
    let name = base;
    for (let k = 1; tensors.has(name); k++) name = `${base}_${k}`;
    const t: Tensor = { name, shape, dtype: 'float32', ...(data ? { data } : {}) };
    tensors.set(name, t);
    return name;
  };
  heads.forEach((head, k) => {
    const output = names[k]!;
    const { point, grid } = head.shape;
    const prefix = `${output}_head`;
    const pooled = add(`${prefix}_pool`, [1, point.channels, grid, grid]);
    const flat = add(`${prefix}_flatten`, [1, headDims(head.shape)]);
    const weight = add(`${prefix}_weight`, [head.model.classes, head.model.dims], head.model.weights);
    const bias = add(`${prefix}_bias`, [head.model.classes], head.model.bias);
    tensors.set(output, { name: output, shape: [1, head.model.classes], dtype: 'float32' });
    const pool: Node =
      grid === 1
        ? { name: `${prefix}/GlobalAveragePool`, op: 'GlobalAveragePool', domain: '', inputs: [point.tensor], outputs: [pooled], attrs: {} }
        : {
            name: `${prefix}/AveragePool`,
            op: 'AveragePool',
            domain: '',
            inputs: [point.tensor],
            outputs: [pooled],
            attrs: { kernel_shape: [point.height / grid, point.width / grid], strides: [point.height / grid, point.width / grid] },
          };
    const headNodes: Node[] = [
      pool,
      { name: `${prefix}/Flatten`, op: 'Flatten', domain: '', inputs: [pooled], outputs: [flat], attrs: { axis: 1 } },
      { name: `${prefix}/Gemm`, op: 'Gemm', domain: '', inputs: [flat, weight, bias], outputs: [output], attrs: { transB: 1 } },
    ];
    // Right after the node that writes the point, so the order stays topological and reads like the backbone.
    const at = nodes.findIndex((n) => n.outputs.includes(point.tensor)) + 1;
    nodes.splice(at, 0, ...headNodes);
  });
  return { ...graph, tensors, nodes, outputs: [...names.slice(0, heads.length), ...graph.outputs] };
}
