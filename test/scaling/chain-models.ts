// Long graphs of cheap elementwise nodes on a [1, 16] tensor, written as .onnx files: the compile-time scaling
// benchmark (scripts/bench-scaling.ts) and its test build them to check that every pass stays near-linear.

import { writeFileSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import type { Graph, Node, Tensor } from '../../src/ir/graph.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { writeNpy } from '../../src/data/npy.js';
import { seededRandom } from '../../src/util/random.js';

/** `chain`: a straight line of Add, Relu, Mul; `branches`: the same with forks joined again and long residual adds. */
export type ChainShape = 'chain' | 'branches';

export const CHAIN_WIDTH = 16;

/**
 * A graph of exactly `nodes` nodes. `chain` cycles Add(x, c), Relu, Mul(x, c). `branches` mixes in forks (two
 * branches joined by an Add) and residual Adds that reach back up to 24 nodes, so several tensors are alive at once.
 */
export function chainGraph(nodes: number, shape: ChainShape = 'chain', seed = 1): Graph {
  const random = seededRandom(seed);
  const tensors = new Map<string, Tensor>();
  const list: Node[] = [];
  const dims = [1, CHAIN_WIDTH];
  tensors.set('x', { name: 'x', dtype: 'float32', shape: dims });
  const constant = (): string => {
    const name = `c${tensors.size}`;
    // Near 1 for Mul and near 0 for Add, so values stay in a calibrated range however long the chain.
    const data = Float32Array.from({ length: CHAIN_WIDTH }, () => random() * 0.2 - 0.1);
    tensors.set(name, { name, dtype: 'float32', shape: [CHAIN_WIDTH], data });
    return name;
  };
  const add = (op: string, inputs: string[]): string => {
    const out = `t${list.length}`;
    tensors.set(out, { name: out, dtype: 'float32', shape: dims });
    list.push({ name: `${op.toLowerCase()}_${list.length}`, op, domain: '', inputs, outputs: [out], attrs: {} });
    return out;
  };
  const cheap = (x: string): string => {
    switch (list.length % 3) {
      case 0:
        return add('Add', [x, constant()]);
      case 1:
        return add('Relu', [x]);
      default:
        return add('Mul', [x, mulConstant()]);
    }
  };
  // Mul by a constant near `around` (its own initializer), so the chain neither vanishes nor explodes.
  const mulConstant = (around = 1): string => {
    const name = constant();
    const data = tensors.get(name)!.data as Float32Array;
    for (let i = 0; i < data.length; i++) data[i] = around * (1 + data[i]! * 0.5);
    return name;
  };
  // Two values joined by an Add and halved, so joins do not double the range each time.
  const join = (a: string, b: string): string => add('Mul', [add('Add', [a, b]), mulConstant(0.5)]);
  let x = 'x';
  const history: string[] = [];
  while (list.length < nodes) {
    const left = nodes - list.length;
    if (shape === 'branches' && left >= 4 && list.length % 7 === 3) {
      x = join(add('Relu', [x]), add('Mul', [x, mulConstant()]));
    } else if (shape === 'branches' && left >= 2 && history.length > 0 && list.length % 11 === 5) {
      x = join(x, history[Math.max(0, history.length - 1 - Math.floor(random() * 24))]!);
    } else {
      x = cheap(x);
    }
    history.push(x);
  }
  return { name: `${shape}_${nodes}`, opset: 13, tensors, nodes: list, inputs: ['x'], outputs: [x] };
}

/** Write the model as `<dir>/<shape>_<nodes>.onnx` and return its path. */
export function writeChainModel(dir: string, nodes: number, shape: ChainShape = 'chain'): string {
  const path = joinPath(dir, `${shape}_${nodes}.onnx`);
  writeFileSync(path, encodeGraph(chainGraph(nodes, shape)));
  return path;
}

/** `count` random inputs in [-1, 1) as a float32 .npy of shape [count, 1, 16], for calibration. */
export function writeChainSamples(dir: string, count: number, seed = 7): string {
  const random = seededRandom(seed);
  const data = Float32Array.from({ length: count * CHAIN_WIDTH }, () => random() * 2 - 1);
  const path = joinPath(dir, `chain_samples_${count}.npy`);
  writeNpy(path, [count, 1, CHAIN_WIDTH], data);
  return path;
}
