// Contracts of the kernels of int16 activations (templates/c/kernels/eenn_kernels_s16.h): the layers with an int16
// input or output (QConv of any group, QGemm), QRequantize, and max pooling of int16 tensors. None takes a scratch,
// none writes over its input, and their calls always run whole (no tiler).

import { isDefaultDomain, type Graph, type Node } from '../ir/graph.js';
import { INT8_DOMAIN } from '../ir/int8.js';
import { NOTHING_OPTIONAL, PIXELS_TILE, windowRowsTile, type KernelContract } from './contract.js';

/** True when an input or output activation of `node` (a constant aside) is int16. */
function touchesInt16(graph: Graph, node: Node): boolean {
  return [node.inputs[0], ...node.outputs].some((name) => {
    const t = graph.tensors.get(name ?? '');
    return t !== undefined && !t.data && t.dtype === 'int16';
  });
}

/**
 * True for a QConv or QGemm with an int16 input or output: the int16 kernels compute it (eenn_conv2d_s16,
 * eenn_conv2d_s16_s8, eenn_conv2d_s8_s16; eenn_fc_s16...), never the int8 ones.
 */
export function isInt16Layer(graph: Graph, node: Node): boolean {
  return node.domain === INT8_DOMAIN && (node.op === 'QConv' || node.op === 'QGemm') && touchesInt16(graph, node);
}

const SEPARATE = { overlap: 'separate', rule: 'the output never overlaps the input' } as const;

/** eenn_conv2d_s16, eenn_conv2d_s16_s8, eenn_conv2d_s8_s16: one general loop nest, no scratch. */
export const CONV_S16: KernelContract = {
  kernels: ['eenn_conv2d_s16', 'eenn_conv2d_s16_s8', 'eenn_conv2d_s8_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) => node.op === 'QConv' && isInt16Layer(graph, node),
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [windowRowsTile('every input channel of the group')],
  ...NOTHING_OPTIONAL,
};

/** eenn_fc_s16, eenn_fc_s16_s8, eenn_fc_s8_s16: weights [out_features, in_features] as ONNX stores them. */
export const FC_S16: KernelContract = {
  kernels: ['eenn_fc_s16', 'eenn_fc_s16_s8', 'eenn_fc_s8_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) => node.op === 'QGemm' && isInt16Layer(graph, node),
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [{ axis: 'rows', reads: 'the same rows of the input' }],
  ...NOTHING_OPTIONAL,
};

/** eenn_requantize_s8_s16, eenn_requantize_s16_s8, eenn_requantize_s16: element by element. */
export const REQUANTIZE_S16: KernelContract = {
  kernels: ['eenn_requantize_s8_s16', 'eenn_requantize_s16_s8', 'eenn_requantize_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (_graph, node) => node.domain === INT8_DOMAIN && node.op === 'QRequantize',
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [{ axis: 'rows', reads: 'the same elements of the input' }],
  ...NOTHING_OPTIONAL,
};

/** eenn_max_pool2d_s16, eenn_global_max_pool_s16: MaxPool and GlobalMaxPool of int16 tensors. */
export const MAX_POOL_S16: KernelContract = {
  kernels: ['eenn_max_pool2d_s16', 'eenn_global_max_pool_s16'],
  header: 'eenn_kernels_s16.h',
  computes: (graph, node) =>
    isDefaultDomain(node) && (node.op === 'MaxPool' || node.op === 'GlobalMaxPool') && graph.tensors.get(node.inputs[0] ?? '')?.dtype === 'int16',
  scratchBytes: () => 0,
  aliasing: SEPARATE,
  tiles: [windowRowsTile('the same channel'), PIXELS_TILE],
  ...NOTHING_OPTIONAL,
};
