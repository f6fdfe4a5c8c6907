// What a kernel contract states about one family of C kernels: which nodes it computes, the scratch it takes, how
// its output may overlap its input, how it splits into tiles, and its optional paths. Each family's file in this
// folder implements it once; the planner, the lowering, eenn_config.h and model.c's checks all read it.

import type { Graph, Node } from '../ir/graph.js';
import type { CallArgs } from './call-args.js';
import type { KernelCall } from './call.js';

/** An axis a kernel's work can be cut along: rows of the output, or its output channels. */
export type TileAxis = 'rows' | 'channels';

/** One way to cut a kernel's work into tiles, and what a tile reads. */
export interface Tiling {
  axis: TileAxis;
  /** What one tile of that axis reads of the input (for the stages that run a step in pieces). */
  reads: string;
}

/** The row tile of a windowed kernel (convolution, pooling): the input rows a band [oy0, oy1) of output rows reads. */
export function windowRowsTile(of: string): Tiling {
  return { axis: 'rows', reads: `input rows [oy0 * stride_h - pad_top, (oy1 - 1) * stride_h - pad_top + (kernel_h - 1) * dilation_h] of ${of}` };
}

/** The row tile of a 1x1 kernel: a run of pixels reads the same pixels of every input channel. */
export const PIXELS_TILE: Tiling = { axis: 'rows', reads: 'the same pixels of every input channel' };

/**
 * How the output may overlap the input: 'separate' (never), 'same' (the output may be the input itself, each
 * element written after the elements it reads), 'start' (the output may begin where the input begins: element j
 * of the output is written after every input element it reads at or past j).
 */
export type Overlap = 'separate' | 'same' | 'start';

export interface Aliasing {
  overlap: Overlap;
  /** When the overlap is allowed, as the C header states it. */
  rule: string;
}

/**
 * How one call of the family is cut into tiles for a stage that runs a step in pieces (intermittent tasks): the
 * parts of one call compute disjoint parts of its output, each exactly as the whole call computes them, read
 * nothing another part writes, and together compute the whole output.
 */
export interface CallTiler {
  axis: TileAxis;
  /** Units of the call's output along the axis (output rows, or output channels); undefined when it cannot be cut. */
  units(args: CallArgs): number | undefined;
  /** A tile's first unit and its length are multiples of this (e.g. 2 for weights packed in pairs of channels). */
  granule(args: CallArgs): number;
  /** The call that computes units [begin, end) only; `begin` a multiple of the granule, `end` too or the last unit. */
  part(call: KernelCall, args: CallArgs, begin: number, end: number): KernelCall;
}

/** A switch of eenn_config.h: an optional path of the family's kernels. */
export interface KernelSwitch {
  /** The C macro, e.g. EENN_CONV_S8_SATURATE. */
  macro: string;
  /** What the path does, for the header's comment. */
  note: string;
  /** True for a correctness switch: a call that takes the path fails to compile with the switch at 0. */
  required?: boolean;
}

/** One compile-time check of a call: a C constant expression over the header's macros, and what it guards. */
export interface CallCheck {
  expr: string;
  what: string;
}

export interface KernelContract {
  /** The C kernels of the family. */
  kernels: readonly string[];
  /** The public header that declares them and states their sizes as macros. */
  header: 'eenn_kernels_s8.h' | 'eenn_kernels_s16.h' | 'eenn_kernels_f32.h';
  /** The selection test: true when the family computes `node`. */
  computes(graph: Graph, node: Node): boolean;
  /** Bytes of working memory the family's kernel takes for `node` on its own (0 when none). */
  scratchBytes(graph: Graph, node: Node): number;
  aliasing: Aliasing;
  tiles: readonly Tiling[];
  /** How a call is cut into tiles (CallTiler); absent when the family's calls always run whole. */
  tiler?: CallTiler;
  /** The optional paths, in the order eenn_config.h lists them. */
  switches: readonly KernelSwitch[];
  /** The switches one call of the family takes. */
  switchesOf(args: CallArgs): string[];
  /**
   * The checks of one call: its scratch (`scratchBytes`: the bytes the call's scratch argument points to, or
   * undefined when it passes none) and every constant the compiler computed for it, against the header's macros.
   */
  checksOf(args: CallArgs, scratchBytes: number | undefined): CallCheck[];
}

/** The optional paths and checks of a family that has none. */
export const NOTHING_OPTIONAL: Pick<KernelContract, 'switches' | 'switchesOf' | 'checksOf'> = {
  switches: [],
  switchesOf: () => [],
  checksOf: () => [],
};
