// Pad: shape rule and reference for every ONNX form (pads as attribute before opset 11, as inputs after,
// opset 18 `axes`), in constant, edge, reflect and wrap modes. Negative pads crop. Any dtype.

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { arrayFor, sizeOf, stridesOf } from '../ir/graph.js';
import { attrFloat, attrInts, attrString, intsFromAttrOrInput, normalizeAxis, numbersOf } from './attrs.js';
import { movementOp } from './movement.js';
import type { InputInfo, OpDef, Value } from './types.js';

type PadMode = 'constant' | 'edge' | 'reflect' | 'wrap';

/** Per axis: how many input elements to crop at each end, then how many to add at each end. */
interface AxisPad {
  cropBegin: number;
  kept: number;
  padBegin: number;
  padEnd: number;
}

interface PadPlan {
  mode: PadMode;
  axes: AxisPad[];
  outputShape: number[];
}

function readMode(node: Node, opset: number): PadMode {
  const mode = attrString(node, 'mode', 'constant');
  if (mode === 'constant' || mode === 'edge' || mode === 'reflect' || (mode === 'wrap' && opset >= 19)) return mode;
  throw nodeError(
    'E_UNSUPPORTED',
    node,
    `pad mode "${mode}" is not supported; expected constant, edge, reflect${opset >= 19 ? ' or wrap' : ''}`,
    'ONNX does not define this value for the operator: export the model again, or set the attribute to one listed',
  );
}

/** The full per-axis pad list [begin_0..begin_{r-1}, end_0..end_{r-1}], expanded from `axes` when given. */
function readPads(node: Node, inputs: readonly (InputInfo | Value | undefined)[], rank: number, opset: number): number[] {
  const pads =
    opset < 2 && node.attrs.paddings !== undefined ? attrInts(node, 'paddings') : intsFromAttrOrInput(node, 'pads', opset >= 11 ? inputs : [], 1);
  if (!pads) throw nodeError('E_GRAPH', node, 'pads are missing (attribute "pads" before opset 11, input 1 from opset 11)');
  const axesInput = opset >= 18 ? inputs[3] : undefined;
  if (!axesInput) {
    if (pads.length !== 2 * rank) {
      throw nodeError('E_SHAPE', node, `pads has ${pads.length} values, expected ${2 * rank} (begin and end of each of the ${rank} axes)`);
    }
    return pads;
  }
  if (!axesInput.data) {
    throw nodeError('E_SHAPE', node, 'input 3 ("axes") must be a constant so shapes are static');
  }
  const axes = numbersOf(axesInput.data).map((a) => normalizeAxis(node, a, rank));
  if (pads.length !== 2 * axes.length) {
    throw nodeError('E_SHAPE', node, `pads has ${pads.length} values, expected ${2 * axes.length} (begin and end of each listed axis)`);
  }
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((axis, i) => {
    full[axis] = pads[i]!;
    full[axis + rank] = pads[i + axes.length]!;
  });
  return full;
}

function planPad(node: Node, inputs: readonly (InputInfo | Value | undefined)[], opset: number): PadPlan {
  const data = inputs[0];
  if (!data) throw nodeError('E_GRAPH', node, 'input 0 (data) is required');
  const rank = data.shape.length;
  const mode = readMode(node, opset);
  const pads = readPads(node, inputs, rank, opset);
  const axes: AxisPad[] = [];
  const outputShape: number[] = [];
  for (let i = 0; i < rank; i++) {
    const size = data.shape[i]!;
    const begin = pads[i]!;
    const end = pads[i + rank]!;
    const cropBegin = Math.max(0, -begin);
    const kept = size - cropBegin - Math.max(0, -end);
    if (kept < 0) {
      throw nodeError('E_SHAPE', node, `axis ${i} of size ${size} cannot be cropped by pads ${begin} and ${end}`);
    }
    const padBegin = Math.max(0, begin);
    const padEnd = Math.max(0, end);
    if (mode !== 'constant' && kept === 0 && padBegin + padEnd > 0) {
      throw nodeError('E_SHAPE', node, `axis ${i} is empty, so "${mode}" padding has nothing to copy`);
    }
    axes.push({ cropBegin, kept, padBegin, padEnd });
    outputShape.push(padBegin + kept + padEnd);
  }
  return { mode, axes, outputShape };
}

/** Index into the kept part of an axis for a position `j` that may fall outside [0, kept), or -1 for the constant. */
function sourceIndex(mode: PadMode, j: number, kept: number): number {
  if (j >= 0 && j < kept) return j;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return j < 0 ? 0 : kept - 1;
    case 'wrap':
      return ((j % kept) + kept) % kept;
    case 'reflect': {
      // Mirror without repeating the edge element (numpy "reflect"), repeating as often as needed.
      if (kept === 1) return 0;
      const period = 2 * (kept - 1);
      const m = ((j % period) + period) % period;
      return m < kept ? m : period - m;
    }
  }
}

function constantValue(node: Node, inputs: readonly (Value | undefined)[], opset: number): number {
  if (opset < 11) return attrFloat(node, 'value', 0);
  const input = inputs[2];
  if (!input || input.data.length === 0) return 0;
  return Number(input.data[0]);
}

function evaluatePad(node: Node, inputs: readonly (Value | undefined)[], opset: number): Value {
  const plan = planPad(node, inputs, opset);
  const data = inputs[0]!;
  const fill = constantValue(node, inputs, opset);
  const rank = data.shape.length;
  const out = arrayFor(data.dtype, sizeOf(plan.outputShape));
  if (rank === 0) {
    out.set(data.data as ArrayLike<number>);
    return { shape: [], dtype: data.dtype, data: out };
  }
  // Per axis, the input coordinate each output coordinate reads (-1: the constant).
  const maps = plan.axes.map((a, axis) => {
    const map = new Int32Array(plan.outputShape[axis]!);
    for (let o = 0; o < map.length; o++) {
      const j = sourceIndex(plan.mode, o - a.padBegin, a.kept);
      map[o] = j < 0 ? -1 : a.cropBegin + j;
    }
    return map;
  });
  const inStrides = stridesOf(data.shape);
  const x = data.data;
  const rowLength = plan.outputShape[rank - 1]!;
  const rows = rowLength === 0 ? 0 : out.length / rowLength;
  const lastMap = maps[rank - 1]!;
  const index = new Array<number>(rank - 1).fill(0);
  for (let r = 0; r < rows; r++) {
    let base = 0;
    for (let d = 0; d < rank - 1 && base >= 0; d++) {
      const m = maps[d]![index[d]!]!;
      base = m < 0 ? -1 : base + m * inStrides[d]!;
    }
    const rowStart = r * rowLength;
    for (let o = 0; o < rowLength; o++) {
      const m = lastMap[o]!;
      out[rowStart + o] = base < 0 || m < 0 ? fill : x[base + m]!;
    }
    for (let d = rank - 2; d >= 0; d--) {
      if (++index[d]! < plan.outputShape[d]!) break;
      index[d] = 0;
    }
  }
  return { shape: plan.outputShape, dtype: data.dtype, data: out };
}

export const ops: OpDef[] = [
  movementOp(
    'Pad',
    [1, 22],
    (node, inputs, opset) => planPad(node, inputs, opset).outputShape,
    (node, _x, _shape, inputs, opset) => evaluatePad(node, inputs, opset),
  ),
];
