// Lowers operators that only move elements (Transpose, Slice, Gather and GatherElements on constant indices,
// Split, Tile, Expand, DepthToSpace, SpaceToDepth, Concat) to strided copies or row gathers.
//
// Instead of re-deriving each operator's index rules, the compiler runs the operator's own float reference on a
// probe input whose elements are their own indices: the output then says, for every output element, which
// input element it copies. That map becomes a strided copy when it is affine (a few integers), or a gather of
// rows through a constant offset table otherwise. The C therefore moves exactly what the reference moves.

import { nodeError } from '../ir/diagnostics.js';
import { bytesPerElement, sizeOf, type DType, type Tensor } from '../ir/graph.js';
import { lookupOp } from '../ops/registry.js';
import type { Value } from '../ops/types.js';
import { constArg, intArg, tensorArg, type KernelCall } from '../kernels/call.js';
import { type LowerContext } from './kernel-call.js';
import { collapse, contiguousStrides, piecesOf, type StridedSpace } from './strided.js';

const LAYOUT_SOURCE = 'eenn_layout_f32.c';
/** The copies of elements of any other type, by element size (eenn_layout_typed.c). */
export const TYPED_LAYOUT_SOURCE = 'eenn_layout_typed.c';

/** The suffix of the typed kernels that move elements of `dtype` by their size: x8, x16, x32 or x64. */
export function sizeSuffix(dtype: DType): string {
  return `x${8 * bytesPerElement(dtype)}`;
}

/** The kernel function of a copy `fn` (copy, strided_copy, gather_rows) of elements of `dtype`, and its source. */
function moveKernel(name: string, dtype: DType): { fn: string; source: string } {
  return dtype === 'float32' ? { fn: `eenn_${name}_f32`, source: LAYOUT_SOURCE } : { fn: `eenn_${name}_${sizeSuffix(dtype)}`, source: TYPED_LAYOUT_SOURCE };
}

/** The plain copy `fn(source, dest, size)` of elements of `dtype` (not int8 of an int8 build), and its source file. */
export function copyKernel(dtype: DType): [string, string] {
  const { fn, source } = moveKernel('copy', dtype);
  return [fn, source];
}
/** Probe values are exact float32 integers up to 2^24. */
const MAX_PROBE_ELEMENTS = 1 << 24;

/** For each output of the node, the flat index of the input element (of input `dataInput`) each element copies. */
export function sourceMaps(ctx: LowerContext, dataInput = 0): Int32Array[] {
  const { node } = ctx;
  const def = lookupOp(node.op, node.domain);
  const x = ctx.inputs[dataInput];
  if (!def || !x) throw nodeError('E_UNSUPPORTED', node, `${node.op} has no data input to move`, 'the node is malformed: export the model again');
  const n = sizeOf(x.shape);
  if (n > MAX_PROBE_ELEMENTS)
    throw nodeError(
      'E_UNSUPPORTED',
      node,
      `input of ${n} elements is too large to lower`,
      'a microcontroller model moves far fewer values: check the exported shapes',
    );
  const probe = new Float32Array(n);
  for (let i = 0; i < n; i++) probe[i] = i;
  const args: (Value | undefined)[] = ctx.inputs.map((t, i) => {
    if (i === dataInput) return { shape: x.shape, dtype: 'float32', data: probe };
    if (!t) return undefined;
    if (!t.data) {
      throw nodeError(
        'E_UNSUPPORTED',
        node,
        `input ${i} ("${t.name}") of ${node.op} must be a constant to compile it`,
        'constant folding leaves runtime indices or shapes here; export the model with static indices',
      );
    }
    return { shape: t.shape, dtype: t.dtype, data: t.data };
  });
  return def.evaluate(node, args, ctx.opset).map((v) => Int32Array.from(v.data as ArrayLike<number>));
}

/** Strides s such that map[i] = base + sum(index_k * s_k) over `shape`, or undefined when the map is not affine. */
function affineStrides(map: Int32Array, shape: readonly number[]): number[] | undefined {
  const outStrides = contiguousStrides(shape);
  const strides = shape.map((d, k) => (d > 1 ? map[outStrides[k]!]! - map[0]! : 0));
  const index = new Array<number>(shape.length).fill(0);
  let expected = map[0]!;
  for (let i = 0; i < map.length; i++) {
    if (map[i] !== expected) return undefined;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++index[k]! < shape[k]!) {
        expected += strides[k]!;
        break;
      }
      expected -= strides[k]! * (shape[k]! - 1);
      index[k] = 0;
    }
  }
  return strides;
}

/** Strided-copy calls for a space whose operands are [input, output], elements of `dtype`. */
export function stridedCopyCalls(
  input: string,
  inputOffset: number,
  output: string,
  outputOffset: number,
  space: StridedSpace,
  dtype: DType = 'float32',
): KernelCall[] {
  const collapsed = collapse(space);
  if (collapsed.dims.includes(0)) return [];
  // A contiguous run is a plain copy.
  if (collapsed.dims.length === 1 && collapsed.strides[0]![0] === 1 && collapsed.strides[1]![0] === 1) {
    return [
      {
        ...moveKernel('copy', dtype),
        args: [tensorArg('input', input, inputOffset), tensorArg('output', output, outputOffset), intArg('size', collapsed.dims[0]!)],
      },
    ];
  }
  return piecesOf(collapsed).map((piece) => ({
    ...moveKernel('strided_copy', dtype),
    args: [
      tensorArg('input', input, inputOffset + piece.offsets[0]!),
      tensorArg('output', output, outputOffset + piece.offsets[1]!),
      ...piece.dims.map((d, k) => intArg(`d${k}`, d)),
      ...piece.strides[0]!.map((s, k) => intArg(`in_s${k}`, s)),
      ...piece.strides[1]!.map((s, k) => intArg(`out_s${k}`, s)),
    ],
  }));
}

/**
 * Kernel calls that fill `output` (shape `shape`) with input elements as `map` says; `dtype`: the element type the
 * kernels move (float32: the float kernels, which the int8 lowering retypes; others: the typed ones by size).
 */
export function lowerSourceMap(map: Int32Array, input: Tensor, output: Tensor, dtype: DType = 'float32'): KernelCall[] {
  const shape = output.shape;
  if (map.length === 0) return [];
  const strides = affineStrides(map, shape);
  if (strides) {
    return stridedCopyCalls(input.name, map[0]!, output.name, 0, { dims: [...shape], strides: [strides, contiguousStrides(shape)] }, dtype);
  }
  // Not affine: the longest inner run with one step in every row, and a table of row starts.
  for (let k = 0; k <= shape.length; k++) {
    const inner = sizeOf(shape.slice(k));
    const step = inner > 1 ? map[1]! - map[0]! : 0;
    const rows = map.length / inner;
    let ok = true;
    for (let r = 0; r < rows && ok; r++) {
      const base = map[r * inner]!;
      for (let j = 1; j < inner; j++) {
        if (map[r * inner + j] !== base + j * step) {
          ok = false;
          break;
        }
      }
    }
    if (!ok) continue;
    const offsets = new Int32Array(rows);
    for (let r = 0; r < rows; r++) offsets[r] = map[r * inner]!;
    return [
      {
        ...moveKernel('gather_rows', dtype),
        args: [
          tensorArg('input', input.name),
          tensorArg('output', output.name),
          intArg('rows', rows),
          intArg('row_size', inner),
          intArg('step', step),
          constArg('row_offsets', {
            name: `${output.name}_rows`,
            ctype: 'int32_t',
            data: offsets,
            note: `input offset of each of the ${rows} rows of "${output.name}"`,
          }),
        ],
      },
    ];
  }
  throw new Error('internal: no row decomposition'); // k = rank always succeeds
}

/** Lower a pure data-movement node through its reference (see the module comment), moving elements of `dtype`. */
export function lowerByProbe(ctx: LowerContext, dtype: DType = 'float32'): KernelCall[] {
  const input = ctx.inputs[0]!;
  const maps = sourceMaps(ctx, 0);
  return maps.flatMap((map, i) => {
    const out = ctx.outputs[i];
    return out && ctx.node.outputs[i] !== '' ? lowerSourceMap(map, input, out, dtype) : [];
  });
}

/** Concat: one strided copy per input into its slice of the output, elements of `dtype`. */
export function lowerConcat(ctx: LowerContext, axis: number, dtype: DType = 'float32'): KernelCall[] {
  const out = ctx.outputs[0]!;
  const outStrides = contiguousStrides(out.shape);
  const calls: KernelCall[] = [];
  let at = 0;
  for (const part of ctx.inputs) {
    if (!part) continue;
    calls.push(
      ...stridedCopyCalls(
        part.name,
        0,
        out.name,
        at * outStrides[axis]!,
        {
          dims: [...part.shape],
          strides: [contiguousStrides(part.shape), outStrides],
        },
        dtype,
      ),
    );
    at += part.shape[axis]!;
  }
  return calls;
}
