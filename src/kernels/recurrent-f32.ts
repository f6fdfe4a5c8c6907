// Contract of the float recurrent kernels (eenn_recurrent_f32.c: eenn_lstm_f32, eenn_gru_f32, eenn_rnn_f32): one
// direction of an LSTM, GRU or RNN layer per call, its gates' pre-activations and its state in a scratch of a few
// rows of hidden_size floats, outputs apart from the inputs; batch entries run apart, time steps one after the other.

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { NOTHING_OPTIONAL, type KernelContract } from './contract.js';

/** Each kernel, with the rows of hidden_size floats its scratch holds (gates and state) and the header's macro. */
export const RECURRENT_F32_KERNELS = {
  LSTM: { fn: 'eenn_lstm_f32', scratchRows: 6, macro: 'EENN_LSTM_F32_SCRATCH_FLOATS' },
  GRU: { fn: 'eenn_gru_f32', scratchRows: 4, macro: 'EENN_GRU_F32_SCRATCH_FLOATS' },
  RNN: { fn: 'eenn_rnn_f32', scratchRows: 2, macro: 'EENN_RNN_F32_SCRATCH_FLOATS' },
} as const;

export type RecurrentOpName = keyof typeof RECURRENT_F32_KERNELS;

function isRecurrentOp(op: string): op is RecurrentOpName {
  return Object.hasOwn(RECURRENT_F32_KERNELS, op);
}

/** True for a float LSTM, GRU or RNN node. */
function isFloatRecurrent(graph: Graph, node: Node): boolean {
  return isDefaultDomain(node) && isRecurrentOp(node.op) && graph.tensors.get(node.inputs[0] ?? '')?.dtype === 'float32';
}

/** hidden_size of a recurrent node: its attribute, or the last dimension of R. */
function hiddenSizeOf(graph: Graph, node: Node): number {
  const attr = node.attrs['hidden_size'];
  return typeof attr === 'number' ? attr : (graph.tensors.get(node.inputs[2] ?? '')?.shape[2] ?? 0);
}

/** Floats of the scratch of the kernel of `op` (EENN_<OP>_F32_SCRATCH_FLOATS): its gates and its state. */
export function recurrentF32ScratchFloats(op: RecurrentOpName, hiddenSize: number): number {
  return RECURRENT_F32_KERNELS[op].scratchRows * hiddenSize;
}

/** Bytes of the scratch of a float recurrent node's kernel (0 for any other node). */
export function recurrentF32ScratchBytes(graph: Graph, node: Node): number {
  if (!isFloatRecurrent(graph, node) || !isRecurrentOp(node.op)) return 0;
  return recurrentF32ScratchFloats(node.op, hiddenSizeOf(graph, node)) * 4;
}

export const RECURRENT_F32: KernelContract = {
  kernels: Object.values(RECURRENT_F32_KERNELS).map((k) => k.fn),
  header: 'eenn_kernels_f32.h',
  computes: isFloatRecurrent,
  scratchBytes: recurrentF32ScratchBytes,
  aliasing: { overlap: 'separate', rule: 'the outputs never overlap the inputs' },
  // Each batch entry runs on its own; a tile of entries reads their inputs and initial state only (not cut today).
  tiles: [{ axis: 'rows', reads: 'the same batch entries of X and of the initial state, every time step' }],
  ...NOTHING_OPTIONAL,
  checksOf(args, scratchBytes) {
    const kernel = Object.values(RECURRENT_F32_KERNELS).find((k) => k.fn === args.call.fn);
    const hidden = args.int('hidden_size');
    if (!kernel || hidden === undefined || scratchBytes === undefined) return [];
    return [{ expr: `${kernel.macro}(${hidden}) <= ${Math.floor(scratchBytes / 4)}`, what: `scratch of ${kernel.fn}` }];
  },
};
