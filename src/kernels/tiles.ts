// The arithmetic every kernel family's CallTiler (contract.ts) shares: a tile of a call is the same call with some
// pointers moved on (channel and element tiles), some counts shrunk, or a range appended for a kernel's entry point
// of tiles (eenn_conv2d_s8_pixels...), which may take some of the call's arguments only. Each family's file says which arguments move by how much; this file only rewrites the arguments.

import type { CallArgs } from './call-args.js';
import type { KernelArg, KernelCall } from './call.js';
import type { CallTiler, TileAxis } from './contract.js';

/** The arguments of a tile: pointers moved on by elements, integer arguments replaced, arguments appended. */
export interface TileEdit {
  /** Elements to move each pointer argument on by (a tensor or a constant array; NULL stays NULL). */
  advance?: Record<string, number>;
  /** New values of integer arguments. */
  set?: Record<string, number>;
  /** Integer arguments appended after the call's own, in order (the range of a `_rows` entry point). */
  append?: [string, number][];
  /** The function the tile calls instead (a `_rows` entry point). */
  fn?: string;
  /** The call's arguments that function takes, in its order (default: all of them, in the call's order). */
  keep?: readonly string[];
}

/** `call` with the pointer, integer and function changes of `edit`; throws on an argument the call lacks. */
export function editCall(call: KernelCall, edit: TileEdit): KernelCall {
  const names = new Set(call.args.map((a) => a.name));
  for (const name of [...Object.keys(edit.advance ?? {}), ...Object.keys(edit.set ?? {}), ...(edit.keep ?? [])]) {
    if (!names.has(name)) throw new Error(`internal: ${call.fn} has no argument "${name}" to tile`);
  }
  const args = call.args.map((arg): KernelArg => {
    const by = edit.advance?.[arg.name];
    if (by !== undefined && by !== 0) {
      if (arg.kind === 'tensor' || arg.kind === 'const') return { ...arg, offset: (arg.offset ?? 0) + by };
      if (arg.kind !== 'null') throw new Error(`internal: argument "${arg.name}" of ${call.fn} is not a pointer`);
    }
    const value = edit.set?.[arg.name];
    if (value !== undefined) {
      if (arg.kind !== 'int') throw new Error(`internal: argument "${arg.name}" of ${call.fn} is not an integer`);
      return { ...arg, value };
    }
    return arg;
  });
  const kept = edit.keep ? edit.keep.map((name) => args.find((a) => a.name === name)!) : args;
  for (const [name, value] of edit.append ?? []) kept.push({ kind: 'int', name, value });
  return { ...call, fn: edit.fn ?? call.fn, args: kept };
}

/** An integer argument the lowering always passes; throws when the call lacks it. */
export function intOf(args: CallArgs, name: string): number {
  const value = args.int(name);
  if (value === undefined) throw new Error(`internal: ${args.call.fn} has no integer argument "${name}"`);
  return value;
}

/** True when the call passes the same tensor as `a` and `b` (a kernel run over its own input). */
export function sameTensor(call: KernelCall, a: string, b: string): boolean {
  const x = call.args.find((arg) => arg.name === a);
  const y = call.args.find((arg) => arg.name === b);
  return x?.kind === 'tensor' && y?.kind === 'tensor' && x.tensor === y.tensor;
}

/** Throws unless [begin, end) is a range of whole granules within [0, units) (end may be the last unit). */
export function checkRange(tiler: CallTiler, args: CallArgs, begin: number, end: number): void {
  const units = tiler.units(args);
  const granule = tiler.granule(args);
  const whole = (n: number) => Number.isInteger(n) && n % granule === 0;
  if (units === undefined || !(begin >= 0 && begin < end && end <= units) || !whole(begin) || !(whole(end) || end === units)) {
    throw new Error(`internal: tile [${begin}, ${end}) of ${args.call.fn} is not whole granules of ${granule} within ${units ?? 'no'} units`);
  }
}

/**
 * A tiler from its units, granule and the edit that computes units [begin, end); the whole range is the call
 * itself (a plain build's call stays as it is).
 */
export function tiler(
  axis: TileAxis,
  units: (args: CallArgs) => number | undefined,
  granule: (args: CallArgs) => number,
  edit: (args: CallArgs, begin: number, end: number) => TileEdit,
): CallTiler {
  const self: CallTiler = {
    axis,
    units,
    granule,
    part(call, args, begin, end) {
      checkRange(self, args, begin, end);
      if (begin === 0 && end === units(args)) return call;
      return editCall(call, edit(args, begin, end));
    },
  };
  return self;
}

/**
 * A call of another entry point of the same kernel, its arguments in that function's order: a name takes the
 * call's own argument (moved on by `advance[name]` elements when a pointer), a [name, value] pair a new integer.
 */
export function recall(
  call: KernelCall,
  fn: string,
  order: readonly (string | [string, number])[],
  advance: Record<string, number> = {},
): KernelCall {
  const byName = new Map(call.args.map((a) => [a.name, a]));
  const args = order.map((entry): KernelArg => {
    if (typeof entry !== 'string') return { kind: 'int', name: entry[0], value: entry[1] };
    const arg = byName.get(entry);
    if (!arg) throw new Error(`internal: ${call.fn} has no argument "${entry}" for ${fn}`);
    return arg;
  });
  return editCall({ ...call, fn, args }, { advance });
}

/**
 * Channel tiles of a depthwise convolution of one image, by pointer arithmetic: output channels [begin, end) read
 * input channels [begin / multiplier, end / multiplier), so a tile is whole input channels (granule: the
 * multiplier) with their weights (`taps` each), bias, output planes and `perChannel` arrays (one value per output
 * channel, e.g. the int8 requantization). One image only: the kernels' image stride is in_c planes.
 */
export function depthwiseChannelTiler(taps: (args: CallArgs) => number, perChannel: readonly string[] = []): CallTiler {
  return tiler(
    'channels',
    (args) => (intOf(args, 'batches') === 1 ? intOf(args, 'in_c') * intOf(args, 'multiplier') : undefined),
    (args) => intOf(args, 'multiplier'),
    (args, begin, end) => {
      const multiplier = intOf(args, 'multiplier');
      return {
        advance: {
          input: (begin / multiplier) * intOf(args, 'in_h') * intOf(args, 'in_w'),
          weights: begin * taps(args),
          bias: begin,
          output: begin * intOf(args, 'out_h') * intOf(args, 'out_w'),
          ...Object.fromEntries(perChannel.map((name) => [name, begin])),
        },
        set: { in_c: (end - begin) / multiplier },
      };
    },
  );
}
