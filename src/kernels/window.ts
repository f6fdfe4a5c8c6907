// The selection tests every conv family shares on a 1-D or 2-D window (Window2d, from ops/spatial.ts, re-exported
// for the kernels' users): a 1x1 convolution, a depthwise one.

import type { Graph, Node } from '../ir/graph.js';
import { attrInt } from '../ops/attrs.js';
import { forwardWindow, to2d, type Window2d } from '../ops/spatial.js';

export { to2d, type Window2d } from '../ops/spatial.js';

/**
 * True for a convolution the 1x1 kernels compute (eenn_conv2d_1x1_s8, eenn_conv2d_1x1_f32): one group, a 1x1
 * kernel, stride 1, no padding.
 */
export function isConv1x1(window: Window2d, group: number): boolean {
  return (
    group === 1 &&
    window.kH === 1 &&
    window.kW === 1 &&
    window.sH === 1 &&
    window.sW === 1 &&
    window.padTop === 0 &&
    window.padLeft === 0 &&
    window.padBottom === 0 &&
    window.padRight === 0
  );
}

/**
 * True for a depthwise convolution: more than one group, one group per input channel, one input channel per
 * group (`inC`: the input's channels, `wInC`: the weights' axis 1).
 */
export function isDepthwise(group: number, inC: number, wInC: number): boolean {
  return group > 1 && group === inC && wInC === 1;
}

/** The 1-D or 2-D window of a convolution node (input and weights known), or undefined when it has none. */
export function convWindowOf(graph: Graph, conv: Node): Window2d | undefined {
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  if (!x || !w || (x.shape.length !== 3 && x.shape.length !== 4) || w.shape.length !== x.shape.length) return undefined;
  try {
    return to2d(forwardWindow(conv, x.shape.slice(2), w.shape.slice(2)));
  } catch {
    return undefined;
  }
}

/** True when a 1-D or 2-D convolution node is depthwise (isDepthwise on its input and weight shapes). */
export function isDepthwiseConv(graph: Graph, conv: Node): boolean {
  const x = graph.tensors.get(conv.inputs[0] ?? '');
  const w = graph.tensors.get(conv.inputs[1] ?? '');
  if (!x || !w || (x.shape.length !== 3 && x.shape.length !== 4) || w.shape.length !== x.shape.length) return false;
  return isDepthwise(attrInt(conv, 'group', 1), x.shape[1]!, w.shape[1]!);
}

/** True when a convolution node is a 1x1 one (isConv1x1 on its window). */
export function isConv1x1Node(graph: Graph, conv: Node): boolean {
  const window = convWindowOf(graph, conv);
  return window !== undefined && isConv1x1(window, attrInt(conv, 'group', 1));
}
