// Lowers LSTM, GRU and RNN: one call of the family's kernel (eenn_recurrent_f32.c) per direction, every operand
// read from memory (W, R and B may be constants or graph inputs alike), X, Y and the states walked through strides
// so that both layouts and both directions of a bidirectional layer need no copy.

import type { Tensor } from '../../ir/graph.js';
import {
  planRecurrent,
  RECURRENT_INPUT,
  recurrentStrides,
  type RecurrentActivation,
  type RecurrentActivationName,
  type RecurrentOp,
} from '../../ops/recurrent.js';
import { constArg, floatArg, intArg, macroArg, nullArg, scratchArg, tensorArg, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { RECURRENT_F32_KERNELS } from '../../kernels/recurrent-f32.js';
import type { LoweredStep, LowerContext } from '../kernel-call.js';
import { unsupported } from './common.js';

const SOURCE = 'eenn_recurrent_f32.c';

/** The eenn_recurrent_activation_t of each activation (eenn_kernels_f32.h). */
const ACTIVATION_MACRO: Readonly<Record<RecurrentActivationName, string>> = {
  Sigmoid: 'EENN_RECURRENT_SIGMOID',
  Tanh: 'EENN_RECURRENT_TANH',
  Relu: 'EENN_RECURRENT_RELU',
  LeakyRelu: 'EENN_RECURRENT_LEAKY_RELU',
  ThresholdedRelu: 'EENN_RECURRENT_THRESHOLDED_RELU',
  HardSigmoid: 'EENN_RECURRENT_HARD_SIGMOID',
  Elu: 'EENN_RECURRENT_ELU',
  Softsign: 'EENN_RECURRENT_SOFTSIGN',
  Softplus: 'EENN_RECURRENT_SOFTPLUS',
  Affine: 'EENN_RECURRENT_AFFINE',
  ScaledTanh: 'EENN_RECURRENT_SCALED_TANH',
};

/** The kind, alpha and beta arguments of the activation `name` ("f", "g", "h"). */
function activationArgs(name: string, a: RecurrentActivation): KernelArg[] {
  return [macroArg(`${name}_kind`, ACTIVATION_MACRO[a.name]), floatArg(`${name}_alpha`, a.alpha), floatArg(`${name}_beta`, a.beta)];
}

/** True for the operand the recurrent kernels read as int32 (sequence_lens), which the float32 path passes as it is. */
export function readsInt32Operand(node: { op: string }, index: number): boolean {
  return (node.op === 'LSTM' || node.op === 'GRU' || node.op === 'RNN') && index === RECURRENT_INPUT.sequenceLens;
}

export function lowerRecurrent(ctx: LowerContext): LoweredStep {
  const op = ctx.node.op as RecurrentOp;
  const plan = planRecurrent(ctx.node, ctx.inputs);
  const { gates, hidden, inputSize } = plan;
  const input = (index: number): Tensor | undefined => ctx.inputs[index];
  // Optional outputs by position (an omitted one has the empty name); one that nothing reads is not written
  // (an exported LSTM often computes Y that only its Y_h is taken from).
  const read = (name: string): boolean => ctx.graph.outputs.includes(name) || ctx.graph.nodes.some((n) => n.inputs.includes(name));
  const output = (index: number): Tensor | undefined => {
    const name = ctx.node.outputs[index];
    return name && read(name) ? ctx.graph.tensors.get(name) : undefined;
  };
  const [y, yH, yC] = [output(0), output(1), op === 'LSTM' ? output(2) : undefined];
  const lens = input(RECURRENT_INPUT.sequenceLens);
  if (lens && lens.dtype !== 'int32') unsupported(ctx, `sequence_lens is ${lens.dtype}; the kernel reads int32`);
  // An empty sequence still writes Y_h (and Y_c): the initial state.
  if (plan.batch === 0 || hidden === 0) return { calls: [] };

  /** A pointer argument to `t` moved `offset` elements in, or NULL without the tensor. */
  const pointer = (name: string, t: Tensor | undefined, offset: number): KernelArg => (t ? tensorArg(name, t.name, offset) : nullArg(name));
  // The float path prints constants as float arrays: constant lengths go to the kernel as an int32 array of their own.
  const sequenceLens: KernelArg = lens?.data
    ? constArg('sequence_lens', {
        name: `${lens.name}_int32`,
        ctype: 'int32_t',
        data: Int32Array.from(lens.data as ArrayLike<number>),
        note: `"${lens.name}" as int32`,
      })
    : pointer('sequence_lens', lens, 0);
  const kernel = RECURRENT_F32_KERNELS[op];
  const calls: KernelCall[] = [];
  for (let d = 0; d < plan.directions; d++) {
    const s = recurrentStrides(plan, d);
    const state = (name: string, index: number): KernelArg => pointer(name, input(index), s.stateDirection);
    const [f, g, h] = plan.activations[d]!;
    calls.push({
      fn: kernel.fn,
      source: SOURCE,
      args: [
        tensorArg('input', input(RECURRENT_INPUT.x)!.name),
        tensorArg('weights', input(RECURRENT_INPUT.w)!.name, d * gates * hidden * inputSize),
        tensorArg('recurrence', input(RECURRENT_INPUT.r)!.name, d * gates * hidden * hidden),
        pointer('bias', input(RECURRENT_INPUT.bias), d * 2 * gates * hidden),
        ...(op === 'LSTM' ? [pointer('peephole', input(RECURRENT_INPUT.peephole), d * 3 * hidden)] : []),
        sequenceLens,
        state('initial_h', RECURRENT_INPUT.initialH),
        ...(op === 'LSTM' ? [state('initial_c', RECURRENT_INPUT.initialC)] : []),
        pointer('output', y, s.yDirection),
        pointer('output_h', yH, s.stateDirection),
        ...(op === 'LSTM' ? [pointer('output_c', yC, s.stateDirection)] : []),
        scratchArg('scratch'),
        intArg('seq_length', plan.seqLength),
        intArg('batch', plan.batch),
        intArg('input_size', inputSize),
        intArg('hidden_size', hidden),
        intArg('input_stride_t', s.xTime),
        intArg('input_stride_b', s.xBatch),
        intArg('output_stride_t', s.yTime),
        intArg('output_stride_b', s.yBatch),
        intArg('state_stride_b', s.stateBatch),
        intArg('reverse', plan.reverse || d === 1 ? 1 : 0),
        floatArg('clip', plan.clip),
        ...(op === 'LSTM' ? [intArg('input_forget', plan.inputForget ? 1 : 0)] : []),
        ...(op === 'GRU' ? [intArg('linear_before_reset', plan.linearBeforeReset ? 1 : 0)] : []),
        ...activationArgs('f', f!),
        ...(g ? activationArgs('g', g) : []),
        ...(h ? activationArgs('h', h) : []),
      ],
    });
  }
  const direction = plan.directions === 2 ? 'bidirectional' : plan.reverse ? 'reverse' : 'forward';
  return {
    detail: `${direction}, ${plan.seqLength} steps x batch ${plan.batch}, input ${inputSize} -> hidden ${hidden}, layout ${plan.layout}`,
    calls,
  };
}
