// Geometry of a float Conv pair run depth-first (schedule.ts: fusableConvPair; codegen/lower/conv-pair.ts;
// templates/c/kernels/eenn_conv_pair_f32.c): the rows of the first conv's output each band of the second conv's
// output rows reads, how many of them the rolling slab holds at most, the scratch that takes, and when the result
// may be written over the pair's input.

import type { Graph, Node } from '../ir/graph.js';
import { forwardWindow } from '../ops/spatial.js';
import { convPairF32ScratchFloats } from '../kernels/conv-f32.js';

/** The nodes of a fused Conv pair, in graph order. `first`'s input is the pair's input. */
export interface ConvPair {
  /** Conv A, reading the pair's input. */
  first: Node;
  /** The Relu/Clip after Conv A, if any (its output is what Conv B reads). */
  firstActivation?: Node;
  /** Conv B, reading A's (activated) output. */
  second: Node;
  /** The Relu/Clip after Conv B when there is no residual Add. */
  secondActivation?: Node;
  /** The Add of Conv B's output and `residual` (same shape). */
  add?: Node;
  /** The Add's other operand: a runtime tensor produced before the pair's step. */
  residual?: string;
  /** The Relu/Clip after the Add, if any. */
  outActivation?: Node;
}

/** A pair with the band height the plan chose and the slab rows the bands need. */
export interface PlannedConvPair extends ConvPair {
  /** Output rows of Conv B per band. */
  bandRows: number;
  /** Rows of each channel plane of Conv A's output the slab holds (the most any band needs at once). */
  slabRows: number;
}

/** One convolution's window along the rows (height) axis. */
export interface RowWindow {
  /** Input rows (the image's height). */
  inRows: number;
  /** Output rows. */
  outRows: number;
  kernel: number;
  stride: number;
  padTop: number;
  dilation: number;
}

/** The vertical window of a 2-D Conv (NCHW, input shape known). */
export function rowWindowOf(graph: Graph, conv: Node): RowWindow {
  const x = graph.tensors.get(conv.inputs[0]!)!;
  const w = graph.tensors.get(conv.inputs[1]!)!;
  const g = forwardWindow(conv, x.shape.slice(2), w.shape.slice(2));
  return {
    inRows: g.inputSize[0]!,
    outRows: g.outputSize[0]!,
    kernel: g.kernel[0]!,
    stride: g.strides[0]!,
    padTop: g.padsBegin[0]!,
    dilation: g.dilations[0]!,
  };
}

/** What replaying the bands of a pair tells: the slab it needs, and whether every band's rows of the input are free. */
export interface BandReplay {
  slabRows: number;
  /**
   * True when, after each band has computed its rows of A, no later band reads the input rows at the band's own
   * output rows: then the band's result may be written over those rows of the input (same shape as the output).
   */
  freesOwnRows: boolean;
}

/**
 * Replay the kernel's band loop (eenn_conv2d_pair_f32) for conv A's window `a`, conv B's window `b` and `bandRows`:
 * band [b0, b1) reads rows [need_first, need_end) of A's output (clipped to the image); the slab drops the rows
 * before need_first and computes the rows it lacks. Later bands compute rows of A from `held_end` on, which read
 * input rows from held_end * stride - pad_top on.
 */
export function replayBands(a: RowWindow, b: RowWindow, bandRows: number): BandReplay {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let heldFirst = 0;
  let heldEnd = 0;
  let slabRows = 1;
  let freesOwnRows = true;
  for (let b0 = 0; b0 < b.outRows; b0 += bandRows) {
    const b1 = Math.min(b0 + bandRows, b.outRows);
    const needFirst = clamp(b0 * b.stride - b.padTop, 0, b.inRows);
    const needEnd = clamp((b1 - 1) * b.stride - b.padTop + (b.kernel - 1) * b.dilation + 1, needFirst, b.inRows);
    if (needFirst > heldFirst) {
      const keep = Math.max(0, heldEnd - needFirst);
      heldFirst = needFirst;
      heldEnd = needFirst + keep;
    }
    heldEnd = Math.max(heldEnd, needEnd);
    slabRows = Math.max(slabRows, heldEnd - heldFirst);
    // Input rows below this one are read by no row of A computed later.
    const freeBelow = heldEnd >= a.outRows ? Infinity : heldEnd * a.stride - a.padTop;
    if (b1 > freeBelow) freesOwnRows = false;
  }
  return { slabRows, freesOwnRows };
}

/** Scratch bytes of a pair (convPairF32ScratchFloats): the slab of A's rows, and with a residual one band of B's output. */
export function convPairScratchBytes(graph: Graph, pair: ConvPair, bandRows: number, slabRows: number): number {
  const mid = graph.tensors.get(pair.first.outputs[0]!)!.shape;
  const out = graph.tensors.get(pair.second.outputs[0]!)!.shape;
  return 4 * convPairF32ScratchFloats(slabRows, mid[1]!, mid[3]!, Math.min(bandRows, out[2]!), out[1]!, out[3]!, pair.add !== undefined);
}

/** The tensor a pair's step writes: the last node's output. */
export function convPairResult(pair: ConvPair): string {
  const last = pair.outActivation ?? pair.add ?? pair.secondActivation ?? pair.second;
  return last.outputs[0]!;
}

/**
 * True when the pair's result may be written over the pair's input (recomputed from the graph, not from a plan):
 * same shape, and every band's output rows of the input are read by no later band (replayBands). With a residual,
 * only when the residual is the input itself (the kernel adds each element before writing it).
 */
export function convPairMayOverwriteInput(graph: Graph, pair: ConvPair, bandRows: number): boolean {
  const input = pair.first.inputs[0]!;
  if (pair.add && pair.residual !== input) return false;
  const x = graph.tensors.get(input)?.shape;
  const y = graph.tensors.get(convPairResult(pair))?.shape;
  if (!x || !y || x.join() !== y.join()) return false;
  return replayBands(rowWindowOf(graph, pair.first), rowWindowOf(graph, pair.second), bandRows).freesOwnRows;
}
