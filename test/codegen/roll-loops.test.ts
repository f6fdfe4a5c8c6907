// rollCalls (repeated block calls printed as one C loop) and int8KernelSwitches (the optional kernel paths a
// model's calls take): what rolls and what must not, the concatenated arrays, and the switches derived from the
// calls' constants the way the kernels decide at run time.

import { describe, expect, it } from 'vitest';
import type { ConstArray, KernelArg, KernelCall } from '../../src/kernels/call.js';
import { constArg, intArg, nullArg, scratchArg, tensorArg } from '../../src/kernels/call.js';
import { int8KernelSwitches } from '../../src/kernels/switches.js';
import { rollCalls } from '../../src/codegen/roll-loops.js';
import type { Graph } from '../../src/ir/graph.js';

const weights = (block: number): ConstArray => ({
  name: 'w_packed',
  ctype: 'int8_t',
  data: Int8Array.from({ length: 8 }, (_, i) => block * 8 + i),
  note: `block ${block}`,
});

/** One block of a conv + pool step: the conv into the scratch, the pool from it into the block's planes. */
function block(first: number, channels = 4): KernelCall[] {
  return [
    {
      fn: 'conv',
      source: 'c.c',
      args: [tensorArg('input', 'x'), constArg('weights', weights(first / 4)), scratchArg('output'), intArg('out_c', channels)],
    },
    { fn: 'pool', source: 'p.c', args: [scratchArg('input'), tensorArg('output', 'y', first * 9), intArg('channels', channels)] },
  ];
}

describe('rollCalls', () => {
  it("rolls repeated blocks into one loop, concatenating each pass's array and striding pointers", () => {
    const groups = rollCalls([...block(0), ...block(4), ...block(8), ...block(12)]);
    expect(groups).toHaveLength(1);
    const loop = groups[0]!;
    if (loop.kind !== 'loop') throw new Error('expected a loop');
    expect(loop.count).toBe(4);
    expect(loop.calls.map((c) => c.fn)).toEqual(['conv', 'pool']);
    const [input, w, out, outC] = loop.calls[0]!.args;
    expect(input).toMatchObject({ kind: 'fixed' });
    expect(out).toMatchObject({ kind: 'fixed' });
    expect(outC).toMatchObject({ kind: 'fixed' });
    if (w?.kind !== 'slices') throw new Error('expected slices');
    expect(w.length).toBe(8);
    expect(Array.from(w.array.data)).toEqual(Array.from({ length: 32 }, (_, i) => i));
    expect(loop.calls[1]!.args[1]).toMatchObject({ kind: 'stride', step: 36 });
  });

  it('leaves a shorter last block and unrelated calls out of the loop, in order', () => {
    const other: KernelCall = { fn: 'softmax', source: 's.c', args: [tensorArg('x', 'z')] };
    const groups = rollCalls([other, ...block(0), ...block(4), ...block(8, 2)]);
    expect(groups.map((g) => g.kind)).toEqual(['calls', 'loop', 'calls']);
    expect(groups[0]).toMatchObject({ kind: 'calls', calls: [other] });
    expect(groups[1]).toMatchObject({ kind: 'loop', count: 2 });
    const tail = groups[2]!;
    if (tail.kind !== 'calls') throw new Error('expected calls');
    expect(tail.calls.map((c) => c.fn)).toEqual(['conv', 'pool']);
  });

  it('does not roll calls on different tensors or with offsets that do not grow evenly', () => {
    const on = (tensor: string, offset: number): KernelCall => ({ fn: 'copy', source: 'l.c', args: [tensorArg('from', tensor, offset)] });
    expect(rollCalls([on('a', 0), on('b', 0)]).map((g) => g.kind)).toEqual(['calls']);
    expect(rollCalls([on('a', 0), on('a', 4), on('a', 9)])).toMatchObject([{ kind: 'loop', count: 2 }, { kind: 'calls' }]);
  });
});

describe('int8KernelSwitches', () => {
  const graph: Graph = { name: 'g', inputs: [], outputs: [], nodes: [], tensors: new Map(), opsetImports: [] } as unknown as Graph;
  const i32 = (name: string, values: number[]): KernelArg => constArg(name, { name, ctype: 'int32_t', data: Int32Array.from(values), note: '' });
  const conv = (o: { shift?: number[]; bias?: number[]; act?: [number, number]; inC?: number; scratch?: boolean }): KernelCall => ({
    fn: 'eenn_conv2d_s8',
    source: 'eenn_conv2d_s8.c',
    args: [
      o.bias ? i32('bias', o.bias) : nullArg('bias'),
      o.scratch === false ? nullArg('scratch') : scratchArg('scratch'),
      intArg('in_c', o.inC ?? 8),
      intArg('out_c', 2),
      intArg('groups', 1),
      intArg('kernel_h', 3),
      intArg('kernel_w', 3),
      i32('output_multiplier', [1 << 30, 1 << 30]),
      i32('output_shift', o.shift ?? [-5, -6]),
      intArg('act_min', o.act?.[0] ?? -128),
      intArg('act_max', o.act?.[1] ?? 127),
    ],
  });

  /** The output-stage switches among those the calls take (a 3x3 window also takes EENN_CONV_S8_3X3). */
  const OUTPUT_STAGES = ['EENN_CONV_S8_SATURATE', 'EENN_CONV_S8_CLAMP', 'EENN_CONV_S8_EXACT'];
  const outputStages = (calls: KernelCall[]): string[] => [...int8KernelSwitches(graph, calls)].filter((s) => OUTPUT_STAGES.includes(s)).sort();

  it('switches on the saturating or clamping output stage a bounded layer takes, and the exact one for an unbounded one', () => {
    expect(outputStages([conv({})])).toEqual(['EENN_CONV_S8_SATURATE']);
    expect(outputStages([conv({ act: [-20, 127] })])).toEqual(['EENN_CONV_S8_CLAMP']);
    expect(outputStages([conv({ shift: [-5, 0] })])).toEqual(['EENN_CONV_S8_EXACT']);
    expect(outputStages([conv({ bias: [1 << 29, 0] })])).toEqual(['EENN_CONV_S8_EXACT']);
    expect(outputStages([conv({ bias: [(1 << 29) - 1, -((1 << 29) - 1)] })])).toEqual(['EENN_CONV_S8_SATURATE']);
    expect(int8KernelSwitches(graph, [conv({})]).has('EENN_CONV_S8_3X3')).toBe(true);
  });

  it('keeps every output stage of a call whose requantization is not a compile-time constant', () => {
    const call = conv({});
    const runtime: KernelCall = { ...call, args: call.args.map((a) => (a.name === 'output_shift' ? tensorArg('output_shift', 'computed') : a)) };
    expect(outputStages([runtime])).toEqual(['EENN_CONV_S8_CLAMP', 'EENN_CONV_S8_EXACT', 'EENN_CONV_S8_SATURATE']);
  });

  it('switches on the first-layer tiles for fewer than 16 values per output with a scratch only', () => {
    expect(int8KernelSwitches(graph, [conv({ inC: 1 })]).has('EENN_CONV_S8_FEW_VALUES')).toBe(true);
    expect(int8KernelSwitches(graph, [conv({ inC: 1, scratch: false })]).has('EENN_CONV_S8_FEW_VALUES')).toBe(false);
    // Without a scratch the convolution needs the in-place path, which is otherwise left out.
    expect(int8KernelSwitches(graph, [conv({ inC: 1, scratch: false })]).has('EENN_CONV_S8_DIRECT')).toBe(true);
    expect(int8KernelSwitches(graph, [conv({ inC: 1 })]).has('EENN_CONV_S8_DIRECT')).toBe(false);
    expect(int8KernelSwitches(graph, [conv({ inC: 2 })]).has('EENN_CONV_S8_FEW_VALUES')).toBe(false);
  });

  it('switches on the loop for weight rows off whole words for 16 values or more, the depth not a multiple of 4', () => {
    // 3x3 windows: 27 and 18 values per output start every other row off a word, 36 and 72 do not.
    expect(int8KernelSwitches(graph, [conv({ inC: 3 })]).has('EENN_CONV_S8_UNALIGNED_ROWS')).toBe(true);
    expect(int8KernelSwitches(graph, [conv({ inC: 2 })]).has('EENN_CONV_S8_UNALIGNED_ROWS')).toBe(true);
    expect(int8KernelSwitches(graph, [conv({ inC: 4 })]).has('EENN_CONV_S8_UNALIGNED_ROWS')).toBe(false);
    expect(int8KernelSwitches(graph, [conv({})]).has('EENN_CONV_S8_UNALIGNED_ROWS')).toBe(false);
    // Fewer than 16 values: rows padded to whole words.
    expect(int8KernelSwitches(graph, [conv({ inC: 1 })]).has('EENN_CONV_S8_UNALIGNED_ROWS')).toBe(false);
  });
});
