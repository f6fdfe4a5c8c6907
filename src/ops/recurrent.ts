// LSTM, GRU and RNN: the recurrent layers of ONNX (opsets 7 to 22). Shape rules, the float reference and MAC counts;
// the plan of one node (sizes, directions, layout, activations) that the lowering (codegen/lower/recurrent.ts) reads.
//
// Every layer runs over X's sequence one time step after the other, each direction on its own (bidirectional: the
// forward pass, then the reverse one), each batch entry on its own, with a hidden state H (and the LSTM's cell C)
// carried from one step to the next. Gate order of W, R and B as the spec states it: LSTM i, o, f, c (peepholes P:
// i, o, f); GRU z, r, h; RNN one gate. B is [Wb, Rb], both added. `sequence_lens` stops a batch entry early: its Y
// is zero past its length and Y_h / Y_c hold the state of its last step (of the first, for the reverse direction).

import { nodeError } from '../ir/diagnostics.js';
import type { Node } from '../ir/graph.js';
import { attrFloat, attrInt, attrString } from './attrs.js';
import { float32Data, requireOperand } from './float-operands.js';
import type { InputInfo, OpDef, OutputInfo, Value } from './types.js';

type Shaped = Pick<InputInfo, 'shape' | 'dtype'>;

export type RecurrentOp = 'LSTM' | 'GRU' | 'RNN';

/** The activation functions ONNX allows for the gates, by their spec names. */
export type RecurrentActivationName =
  'Sigmoid' | 'Tanh' | 'Relu' | 'LeakyRelu' | 'ThresholdedRelu' | 'HardSigmoid' | 'Elu' | 'Softsign' | 'Softplus' | 'Affine' | 'ScaledTanh';

/**
 * Which of alpha and beta each activation takes, with the defaults of its own ONNX operator (onnxruntime's, for the
 * deprecated Affine and ScaledTanh). `activation_alpha` and `activation_beta` are consumed in the order of the
 * activations, by those that take one only (as onnxruntime reads them).
 */
const ACTIVATION_PARAMS: Readonly<Record<RecurrentActivationName, { alpha?: number; beta?: number }>> = {
  Sigmoid: {},
  Tanh: {},
  Relu: {},
  LeakyRelu: { alpha: 0.01 },
  ThresholdedRelu: { alpha: 1 },
  HardSigmoid: { alpha: 0.2, beta: 0.5 },
  Elu: { alpha: 1 },
  Softsign: {},
  Softplus: {},
  Affine: { alpha: 1, beta: 0 },
  ScaledTanh: { alpha: 1, beta: 1 },
};

export interface RecurrentActivation {
  name: RecurrentActivationName;
  alpha: number;
  beta: number;
}

/** Gates per step (rows of W per direction, in units of hidden_size) and the activations each direction takes. */
const GATES: Readonly<Record<RecurrentOp, number>> = { LSTM: 4, GRU: 3, RNN: 1 };
const DEFAULT_ACTIVATIONS: Readonly<Record<RecurrentOp, readonly RecurrentActivationName[]>> = {
  LSTM: ['Sigmoid', 'Tanh', 'Tanh'],
  GRU: ['Sigmoid', 'Tanh'],
  RNN: ['Tanh'],
};

/** Input indices of the ONNX signature: X, W, R, B, sequence_lens, initial_h (then LSTM: initial_c, P). */
export const RECURRENT_INPUT = { x: 0, w: 1, r: 2, bias: 3, sequenceLens: 4, initialH: 5, initialC: 6, peephole: 7 } as const;

/** Everything about one recurrent node that its reference and its kernel calls need, checked against the shapes. */
export interface RecurrentPlan {
  op: RecurrentOp;
  /** Gates per step: 4 (LSTM), 3 (GRU), 1 (RNN). */
  gates: number;
  seqLength: number;
  batch: number;
  inputSize: number;
  hidden: number;
  /** 1, or 2 for bidirectional (direction 0 forward, 1 reverse). */
  directions: number;
  /** True for direction="reverse": the one direction runs from the last time step to the first. */
  reverse: boolean;
  /** 0: X [seq, batch, input], Y [seq, dirs, batch, hidden]; 1: X [batch, seq, input], Y [batch, seq, dirs, hidden]. */
  layout: number;
  /** The activations of each direction (LSTM f, g, h; GRU f, g; RNN f). */
  activations: RecurrentActivation[][];
  /** Gate pre-activations are clamped to [-clip, clip]; Infinity when the node has no clip. */
  clip: number;
  /** LSTM input_forget: the forget gate is 1 - the input gate. */
  inputForget: boolean;
  /** GRU linear_before_reset: the reset gate multiplies (R_h H + Rb_h) rather than H. */
  linearBeforeReset: boolean;
  /** Shapes of Y, Y_h (and the LSTM's Y_c, the same). */
  yShape: number[];
  stateShape: number[];
}

function canonicalActivation(node: Node, name: string): RecurrentActivationName {
  const found = (Object.keys(ACTIVATION_PARAMS) as RecurrentActivationName[]).find((a) => a.toLowerCase() === name.toLowerCase());
  if (!found) {
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `activation "${name}" is not one ONNX defines for ${node.op}`,
      `use one of ${Object.keys(ACTIVATION_PARAMS).join(', ')}`,
    );
  }
  return found;
}

/** The activations of each direction, with the alphas and betas that go with them. */
function activationsOf(node: Node, op: RecurrentOp, directions: number): RecurrentActivation[][] {
  const perDirection = DEFAULT_ACTIVATIONS[op].length;
  const given = node.attrs['activations'];
  let names: string[];
  if (given === undefined) names = Array.from({ length: directions }, () => [...DEFAULT_ACTIVATIONS[op]]).flat();
  else {
    if (!Array.isArray(given) || given.some((v) => typeof v !== 'string'))
      throw nodeError('E_GRAPH', node, 'attribute "activations" must be a list of strings');
    names = given as string[];
    // One direction's list for both directions, as onnxruntime accepts it.
    if (names.length === perDirection && directions === 2) names = [...names, ...names];
    if (names.length !== perDirection * directions) {
      throw nodeError(
        'E_GRAPH',
        node,
        `attribute "activations" lists ${names.length} functions; ${op} takes ${perDirection} per direction (${perDirection * directions} here)`,
      );
    }
  }
  const floats = (attr: string): number[] => {
    const v = node.attrs[attr];
    if (v === undefined) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw nodeError('E_GRAPH', node, `attribute "${attr}" must be a list of floats`);
    return v as number[];
  };
  const alphas = floats('activation_alpha');
  const betas = floats('activation_beta');
  let nextAlpha = 0;
  let nextBeta = 0;
  const all = names.map((raw): RecurrentActivation => {
    const name = canonicalActivation(node, raw);
    const params = ACTIVATION_PARAMS[name];
    const alpha = params.alpha === undefined ? 0 : nextAlpha < alphas.length ? alphas[nextAlpha++]! : params.alpha;
    const beta = params.beta === undefined ? 0 : nextBeta < betas.length ? betas[nextBeta++]! : params.beta;
    return { name, alpha, beta };
  });
  return Array.from({ length: directions }, (_, d) => all.slice(d * perDirection, (d + 1) * perDirection));
}

function expectShape(node: Node, input: Shaped | undefined, what: string, shape: number[]): void {
  if (!input) return;
  if (input.shape.length !== shape.length || input.shape.some((d, i) => d !== shape[i])) {
    throw nodeError('E_SHAPE', node, `${what} has shape [${input.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
}

/** The plan of a recurrent node from its attributes and its inputs' shapes (E_SHAPE / E_GRAPH on a mismatch). */
export function planRecurrent(node: Node, inputs: readonly (Shaped | undefined)[]): RecurrentPlan {
  const op = node.op as RecurrentOp;
  const gates = GATES[op];
  const x = requireOperand(node, inputs, RECURRENT_INPUT.x, 'X');
  const w = requireOperand(node, inputs, RECURRENT_INPUT.w, 'W');
  const r = requireOperand(node, inputs, RECURRENT_INPUT.r, 'R');
  const direction = attrString(node, 'direction', 'forward');
  if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
    throw nodeError('E_GRAPH', node, `direction "${direction}" is not forward, reverse or bidirectional`);
  }
  const directions = direction === 'bidirectional' ? 2 : 1;
  const layout = attrInt(node, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw nodeError('E_GRAPH', node, `layout ${layout} is not 0 or 1`);
  if (x.shape.length !== 3) throw nodeError('E_SHAPE', node, `X has shape [${x.shape.join(', ')}]; it must have rank 3`);
  const [seqLength, batch] = layout === 0 ? [x.shape[0]!, x.shape[1]!] : [x.shape[1]!, x.shape[0]!];
  const inputSize = x.shape[2]!;
  if (r.shape.length !== 3) throw nodeError('E_SHAPE', node, `R has shape [${r.shape.join(', ')}]; it must have rank 3`);
  const hidden = attrInt(node, 'hidden_size', r.shape[2]!);
  expectShape(node, w, 'W', [directions, gates * hidden, inputSize]);
  expectShape(node, r, 'R', [directions, gates * hidden, hidden]);
  expectShape(node, inputs[RECURRENT_INPUT.bias], 'B', [directions, 2 * gates * hidden]);
  expectShape(node, inputs[RECURRENT_INPUT.sequenceLens], 'sequence_lens', [batch]);
  const stateShape = layout === 0 ? [directions, batch, hidden] : [batch, directions, hidden];
  expectShape(node, inputs[RECURRENT_INPUT.initialH], 'initial_h', stateShape);
  if (op === 'LSTM') {
    expectShape(node, inputs[RECURRENT_INPUT.initialC], 'initial_c', stateShape);
    expectShape(node, inputs[RECURRENT_INPUT.peephole], 'P', [directions, 3 * hidden]);
  }
  for (const [i, t] of inputs.entries()) {
    if (!t) continue;
    const integer = i === RECURRENT_INPUT.sequenceLens;
    if (integer ? t.dtype !== 'int32' : t.dtype !== 'float32') {
      throw nodeError(
        'E_UNSUPPORTED',
        node,
        `input ${i} is ${t.dtype}; ${op} takes ${integer ? 'int32 sequence_lens' : 'float32 operands'}`,
        'export the model in float32',
      );
    }
  }
  const clipAttr = node.attrs['clip'];
  const clip = clipAttr === undefined ? Infinity : attrFloat(node, 'clip', Infinity);
  if (!(clip > 0)) throw nodeError('E_GRAPH', node, `clip ${clip} must be positive`);
  return {
    op,
    gates,
    seqLength,
    batch,
    inputSize,
    hidden,
    directions,
    reverse: direction === 'reverse',
    layout,
    activations: activationsOf(node, op, directions),
    clip,
    inputForget: op === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0,
    linearBeforeReset: op === 'GRU' && attrInt(node, 'linear_before_reset', 0) !== 0,
    yShape: layout === 0 ? [seqLength, directions, batch, hidden] : [batch, seqLength, directions, hidden],
    stateShape,
  };
}

/** The activation functions, as the float kernels compute them (eenn_recurrent_f32.c), rounded to float32. */
export function applyActivation(a: RecurrentActivation, x: number): number {
  let y: number;
  switch (a.name) {
    case 'Sigmoid':
      y = 1 / (1 + Math.exp(-x));
      break;
    case 'Tanh':
      y = Math.tanh(x);
      break;
    case 'Relu':
      y = x > 0 ? x : 0;
      break;
    case 'LeakyRelu':
      y = x < 0 ? a.alpha * x : x;
      break;
    case 'ThresholdedRelu':
      y = x > a.alpha ? x : 0;
      break;
    case 'HardSigmoid':
      y = Math.min(1, Math.max(0, a.alpha * x + a.beta));
      break;
    case 'Elu':
      y = x < 0 ? a.alpha * Math.expm1(x) : x;
      break;
    case 'Softsign':
      y = x / (1 + Math.abs(x));
      break;
    case 'Softplus':
      y = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
      break;
    case 'Affine':
      y = a.alpha * x + a.beta;
      break;
    case 'ScaledTanh':
      y = a.alpha * Math.tanh(a.beta * x);
      break;
  }
  return Math.fround(y);
}

/** Element strides of X, Y and the states for one direction (the kernel's stride parameters, and the reference's). */
export interface RecurrentStrides {
  xTime: number;
  xBatch: number;
  yTime: number;
  yBatch: number;
  /** Offset of the direction's first element in Y and in the states. */
  yDirection: number;
  stateBatch: number;
  stateDirection: number;
}

export function recurrentStrides(plan: RecurrentPlan, direction: number): RecurrentStrides {
  const { seqLength: seq, batch, inputSize, hidden, directions } = plan;
  if (plan.layout === 0) {
    return {
      xTime: batch * inputSize,
      xBatch: inputSize,
      yTime: directions * batch * hidden,
      yBatch: hidden,
      yDirection: direction * batch * hidden,
      stateBatch: hidden,
      stateDirection: direction * batch * hidden,
    };
  }
  return {
    xTime: inputSize,
    xBatch: seq * inputSize,
    yTime: directions * hidden,
    yBatch: seq * directions * hidden,
    yDirection: direction * hidden,
    stateBatch: directions * hidden,
    stateDirection: direction * hidden,
  };
}

/** The length of batch entry b's sequence: sequence_lens[b] (checked in [0, seq_length]) or the whole sequence. */
export function sequenceLength(node: Node, plan: RecurrentPlan, lens: ArrayLike<number> | undefined, b: number): number {
  if (!lens) return plan.seqLength;
  const len = Number(lens[b]);
  if (!Number.isInteger(len) || len < 0 || len > plan.seqLength) {
    throw nodeError('E_DATA', node, `sequence_lens[${b}] is ${len}; it must lie in [0, ${plan.seqLength}]`);
  }
  return len;
}

function evaluateRecurrent(node: Node, inputs: (Value | undefined)[]): Value[] {
  const plan = planRecurrent(node, inputs);
  const { op, gates: g, batch, inputSize: nIn, hidden: nH } = plan;
  const data = (i: number, what: string): Float32Array | undefined => (inputs[i] ? float32Data(node, inputs[i], what) : undefined);
  const x = data(RECURRENT_INPUT.x, 'X')!;
  const w = data(RECURRENT_INPUT.w, 'W')!;
  const r = data(RECURRENT_INPUT.r, 'R')!;
  const bias = data(RECURRENT_INPUT.bias, 'B');
  const lens = inputs[RECURRENT_INPUT.sequenceLens]?.data;
  const initialH = data(RECURRENT_INPUT.initialH, 'initial_h');
  const initialC = op === 'LSTM' ? data(RECURRENT_INPUT.initialC, 'initial_c') : undefined;
  const peephole = op === 'LSTM' ? data(RECURRENT_INPUT.peephole, 'P') : undefined;
  const y = new Float32Array(plan.yShape.reduce((a, b) => a * b, 1));
  const yH = new Float32Array(plan.stateShape.reduce((a, b) => a * b, 1));
  const yC = new Float32Array(yH.length);
  const clip = (v: number): number => Math.min(plan.clip, Math.max(-plan.clip, v));
  const pre = new Float32Array(g * nH);
  const h = new Float32Array(nH);
  const c = new Float32Array(nH);

  for (let d = 0; d < plan.directions; d++) {
    const s = recurrentStrides(plan, d);
    const reverse = plan.reverse || d === 1;
    const [f, gAct, hAct] = plan.activations[d]!;
    const wD = d * g * nH * nIn;
    const rD = d * g * nH * nH;
    const bD = d * 2 * g * nH;
    const pD = d * 3 * nH;
    /** Gate row j's Wb + Rb + W x_t. */
    const inputSum = (j: number, xBase: number): number => {
      let acc = bias ? bias[bD + j]! + bias[bD + g * nH + j]! : 0;
      for (let k = 0; k < nIn; k++) acc += w[wD + j * nIn + k]! * x[xBase + k]!;
      return acc;
    };
    /** Gate row j's R h, or R (scale * h) (the GRU's reset gate applied before R_h). */
    const recurrentSum = (j: number, scale?: Float32Array): number => {
      let acc = 0;
      for (let k = 0; k < nH; k++) acc += r[rD + j * nH + k]! * (scale ? Math.fround(scale[k]! * h[k]!) : h[k]!);
      return acc;
    };
    for (let b = 0; b < batch; b++) {
      const stateAt = s.stateDirection + b * s.stateBatch;
      for (let j = 0; j < nH; j++) {
        h[j] = initialH ? initialH[stateAt + j]! : 0;
        c[j] = initialC ? initialC[stateAt + j]! : 0;
      }
      const len = sequenceLength(node, plan, lens, b);
      for (let step = 0; step < len; step++) {
        const t = reverse ? len - 1 - step : step;
        const xBase = t * s.xTime + b * s.xBatch;
        if (op === 'LSTM') {
          for (let j = 0; j < g * nH; j++) pre[j] = inputSum(j, xBase) + recurrentSum(j);
          for (let j = 0; j < nH; j++) {
            const p = (gate: number) => (peephole ? peephole[pD + gate * nH + j]! : 0);
            const i = applyActivation(f!, clip(pre[j]! + p(0) * c[j]!));
            const fg = plan.inputForget ? Math.fround(1 - i) : applyActivation(f!, clip(pre[2 * nH + j]! + p(2) * c[j]!));
            const cc = applyActivation(gAct!, clip(pre[3 * nH + j]!));
            c[j] = fg * c[j]! + i * cc;
            const o = applyActivation(f!, clip(pre[nH + j]! + p(1) * c[j]!));
            h[j] = o * applyActivation(hAct!, c[j]!);
          }
        } else if (op === 'GRU') {
          for (let j = 0; j < 2 * nH; j++) pre[j] = applyActivation(f!, clip(inputSum(j, xBase) + recurrentSum(j)));
          const reset = pre.subarray(nH, 2 * nH);
          for (let j = 0; j < nH; j++) {
            const row = 2 * nH + j;
            const rb = bias ? bias[bD + g * nH + row]! : 0;
            const wb = bias ? bias[bD + row]! : 0;
            let xw = wb;
            for (let k = 0; k < nIn; k++) xw += w[wD + row * nIn + k]! * x[xBase + k]!;
            const recurrent = plan.linearBeforeReset ? reset[j]! * Math.fround(rb + recurrentSum(row)) : rb + recurrentSum(row, reset);
            pre[row] = applyActivation(gAct!, clip(xw + recurrent));
          }
          for (let j = 0; j < nH; j++) {
            const z = pre[j]!;
            h[j] = (1 - z) * pre[2 * nH + j]! + z * h[j]!;
          }
        } else {
          for (let j = 0; j < nH; j++) pre[j] = applyActivation(f!, clip(inputSum(j, xBase) + recurrentSum(j)));
          h.set(pre.subarray(0, nH));
        }
        y.set(h, s.yDirection + t * s.yTime + b * s.yBatch);
      }
      yH.set(h, stateAt);
      yC.set(c, stateAt);
    }
  }
  const outputs: Value[] = [
    { shape: plan.yShape, dtype: 'float32', data: y },
    { shape: plan.stateShape, dtype: 'float32', data: yH },
  ];
  if (op === 'LSTM') outputs.push({ shape: plan.stateShape, dtype: 'float32', data: yC });
  return outputs;
}

function recurrentDef(op: RecurrentOp): OpDef {
  return {
    op,
    opsets: [7, 22],
    inferShapes(node, inputs) {
      const plan = planRecurrent(node, inputs);
      const outputs: OutputInfo[] = [
        { shape: plan.yShape, dtype: 'float32' },
        { shape: plan.stateShape, dtype: 'float32' },
      ];
      if (op === 'LSTM') outputs.push({ shape: plan.stateShape, dtype: 'float32' });
      return outputs;
    },
    evaluate(node, inputs) {
      return evaluateRecurrent(node, inputs);
    },
    /** Per direction and time step of each batch entry: the gates' W x and R h (and the LSTM's peepholes). */
    macs(node, inputs) {
      const p = planRecurrent(node, inputs);
      const perStep = p.gates * p.hidden * (p.inputSize + p.hidden) + (node.op === 'LSTM' ? 3 * p.hidden : 0);
      return p.directions * p.batch * p.seqLength * perStep;
    },
  };
}

export const ops: OpDef[] = [recurrentDef('LSTM'), recurrentDef('GRU'), recurrentDef('RNN')];
