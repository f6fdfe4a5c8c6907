// Lowers a fused int8 QConv + pool or QConv + residual QAdd step (src/schedule/schedule.ts: fusablePool,
// fusableResidualAdd): the convolution a block of output channels at a time (Step.blockChannels) into the step's
// scratch, each block then pooled from there into its planes of the pooled output, or added to its planes of
// the residual (the sum written over them), so the full convolution output never exists. The convolution calls
// are the ordinary QConv lowering's, asked for one block of output channels (weights, bias, requantization sliced).

import { sizeOf, type Node, type Tensor } from '../../ir/graph.js';
import { intAttr, intsAttr } from '../../ir/int8.js';
import { attrInt, attrInts } from '../../ops/attrs.js';
import { forwardWindow } from '../../ops/spatial.js';
import { fusedBlockBytes } from '../../kernels/conv-block.js';
import { constArg, intArg, scratchArg, tensorArg, type KernelArg, type KernelCall } from '../../kernels/call.js';
import { type Lowering, type LoweredStep, type LowerContext } from '../kernel-call.js';
import { input, unsupported } from './common.js';
import { describeWindow, poolPlaneArgs, to2d, windowArgs } from './conv.js';
import { int32Array, int8Array, S8_SOURCES, zeroPointOf } from './int8-common.js';

/** Channels [first, first + count) of a per-output-channel constant [M, ...] (and of its quantization). */
function sliceChannels(t: Tensor, first: number, count: number, name: string): Tensor {
  const per = sizeOf(t.shape) / t.shape[0]!;
  const data = t.data!.slice(first * per, (first + count) * per);
  const q = t.quant;
  const quant =
    q && q.scale.length === t.shape[0] ? { ...q, scale: q.scale.slice(first, first + count), zeroPoint: q.zeroPoint.slice(first, first + count) } : q;
  return { ...t, name, shape: [count, ...t.shape.slice(1)], data, quant };
}

/** A QConv computing output channels [first, first + count) of `conv` (its name kept: the derived arrays are named after it). */
function blockNode(conv: Node, first: number, count: number, inputs: string[], output: string): Node {
  const slice = (name: string) => intsAttr(conv, name).slice(first, first + count);
  return {
    ...conv,
    inputs,
    outputs: [output],
    attrs: { ...conv.attrs, multiplier: slice('multiplier'), shift: slice('shift') },
  };
}

/**
 * The ordinary lowering's calls for one block, writing into the scratch: the block's output pointer becomes the
 * scratch, and the sliced constants (which are not graph tensors) become constant arrays.
 */
function blockCalls(ctx: LowerContext, conv: Lowering, first: number, count: number): KernelCall[] {
  const [x, w, bias] = [ctx.inputs[0]!, input(ctx, 1, 'W'), ctx.inputs[2]];
  const y = ctx.outputs[0]!;
  // The slices keep their tensors' names: the arrays derived from them are named after the model's tensors (the
  // emitter makes each block's identifier unique).
  const wBlock = sliceChannels(w, first, count, w.name);
  const bBlock = bias ? sliceChannels(bias, first, count, bias.name) : undefined;
  const yBlock: Tensor = { ...y, name: `${y.name}_block${first}`, shape: [y.shape[0]!, count, ...y.shape.slice(2)] };
  const node = blockNode(ctx.node, first, count, [x.name, wBlock.name, bBlock?.name ?? ''].slice(0, bias ? 3 : 2), yBlock.name);
  // The convolution kernel's own scratch follows the block planes in the step's scratch.
  const blockBytes = fusedBlockBytes(y, ctx.step.blockChannels!);
  const rest = (ctx.step.scratchBytes ?? 0) - blockBytes;
  const lowered = conv({
    ...ctx,
    node,
    inputs: [x, wBlock, ...(bBlock ? [bBlock] : [])],
    outputs: [yBlock],
    result: yBlock,
    step: { ...ctx.step, nodes: [node], pool: undefined, residual: undefined, inPlace: undefined, scratchBytes: rest > 0 ? rest : undefined },
  });
  return lowered.calls.map((call) => ({
    ...call,
    args: call.args.map((arg): KernelArg => {
      if (arg.kind === 'scratch') {
        if (rest <= 0) throw new Error(`internal: ${call.fn} needs a scratch the fused step "${ctx.node.name}" has no room for`);
        return scratchArg(arg.name, blockBytes + (arg.offset ?? 0));
      }
      if (arg.kind !== 'tensor') return arg;
      if (arg.tensor === yBlock.name) return scratchArg(arg.name);
      if (arg.tensor === wBlock.name)
        return constArg(arg.name, int8Array(wBlock.name, wBlock.data!, `output channels ${first}..${first + count - 1} of "${w.name}"`));
      if (bBlock && arg.tensor === bBlock.name)
        return constArg(arg.name, int32Array(bBlock.name, bBlock.data!, `output channels ${first}..${first + count - 1} of "${bias!.name}"`));
      return arg;
    }),
  }));
}

/** The QAdd of one block: the conv block in the scratch and the residual's planes, in the QAdd's operand order. */
function residualCall(ctx: LowerContext, add: Node, first: number, count: number): KernelCall {
  const y = ctx.outputs[0]!;
  const plane = y.shape[2]! * y.shape[3]!;
  const operand = (name: string, param: string): KernelArg => (name === y.name ? scratchArg(param) : tensorArg(param, name, first * plane));
  const tensor = (name: string) => ctx.graph.tensors.get(name)!;
  const attr = (name: string) => intArg(name, intAttr(add, name));
  const size = count * plane;
  return {
    fn: intAttr(add, 'subtract') ? 'eenn_elementwise_sub_s8' : 'eenn_elementwise_add_s8',
    source: S8_SOURCES.elementwise,
    args: [
      operand(add.inputs[0]!, 'a'),
      operand(add.inputs[1]!, 'b'),
      tensorArg('output', add.outputs[0]!, first * plane),
      intArg('d0', 1),
      intArg('d1', 1),
      intArg('d2', 1),
      intArg('d3', size),
      intArg('a_s0', 0),
      intArg('a_s1', 0),
      intArg('a_s2', 0),
      intArg('a_s3', 1),
      intArg('b_s0', 0),
      intArg('b_s1', 0),
      intArg('b_s2', 0),
      intArg('b_s3', 1),
      intArg('input1_offset', -zeroPointOf(tensor(add.inputs[0]!))),
      attr('input1_multiplier'),
      attr('input1_shift'),
      intArg('input2_offset', -zeroPointOf(tensor(add.inputs[1]!))),
      attr('input2_multiplier'),
      attr('input2_shift'),
      attr('left_shift'),
      intArg('output_offset', zeroPointOf(tensor(add.outputs[0]!))),
      attr('output_multiplier'),
      attr('output_shift'),
      attr('act_min'),
      attr('act_max'),
    ],
  };
}

/** `conv` is the ordinary QConv lowering. */
export function lowerQConvFused(ctx: LowerContext, conv: Lowering): LoweredStep {
  const y = ctx.outputs[0]!;
  if (y.shape.length !== 4 || y.shape[0] !== 1) throw new Error(`internal: fused QConv "${ctx.node.name}" has no single 2-D image`);
  const channels = y.shape[1]!;
  const block = ctx.step.blockChannels;
  if (!block) throw new Error(`internal: fused QConv "${ctx.node.name}" has no block size`);
  const add = ctx.step.residual;
  if (add) {
    const calls: KernelCall[] = [];
    for (let first = 0; first < channels; first += block) {
      const count = Math.min(block, channels - first);
      calls.push(...blockCalls(ctx, conv, first, count), residualCall(ctx, add, first, count));
    }
    const convWindow = to2d(forwardWindow(ctx.node, ctx.inputs[0]!.shape.slice(2), input(ctx, 1, 'W').shape.slice(2)));
    return { detail: `${describeWindow(convWindow)}; + residual, ${block} channels at a time`, calls };
  }
  const pool = ctx.step.pool!;
  const pooled = ctx.graph.tensors.get(pool.outputs[0]!);
  if (!pooled) throw new Error(`internal: fused pool "${pool.name}" has no output`);
  const [convH, convW] = [y.shape[2]!, y.shape[3]!];
  const max = pool.op === 'MaxPool';
  const kernel =
    (max ? attrInts(pool, 'kernel_shape') : intsAttr(pool, 'kernel_shape')) ?? unsupported(ctx, `kernel_shape of "${pool.name}" is missing`);
  const ceilMode = max && attrInt(pool, 'ceil_mode', 0) !== 0;
  const pw = to2d(forwardWindow(pool, [convH, convW], kernel, { ceilMode }));
  if (!max && (pw.dH !== 1 || pw.dW !== 1)) unsupported(ctx, 'dilated int8 average pooling is not supported');
  const plane = pw.outH * pw.outW;
  const calls: KernelCall[] = [];
  for (let first = 0; first < channels; first += block) {
    const count = Math.min(block, channels - first);
    calls.push(...blockCalls(ctx, conv, first, count));
    const head = [scratchArg('input'), tensorArg('output', pooled.name, first * plane), ...poolPlaneArgs(count, pw)];
    calls.push(
      max
        ? { fn: 'eenn_max_pool2d_s8', source: S8_SOURCES.pool, args: [...head, ...windowArgs(pw, false)] }
        : {
            fn: 'eenn_avg_pool2d_s8',
            source: S8_SOURCES.pool,
            args: [
              ...head,
              ...windowArgs(pw, true, false),
              intArg('count_include_pad', intAttr(pool, 'count_include_pad') ? 1 : 0),
              intArg('input_offset', -zeroPointOf(y)),
              intArg('act_min', intAttr(pool, 'act_min')),
              intArg('act_max', intAttr(pool, 'act_max')),
            ],
          },
    );
  }
  const convWindow = to2d(forwardWindow(ctx.node, ctx.inputs[0]!.shape.slice(2), input(ctx, 1, 'W').shape.slice(2)));
  return {
    detail: `${describeWindow(convWindow)}; ${pool.op} ${describeWindow(pw, ceilMode ? 'ceil_mode' : '')}, ${block} channels at a time`,
    calls,
  };
}
