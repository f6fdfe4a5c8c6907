// Codegen: the constant arrays of model.c (weights, biases and the tables a lowering derives): one C array per
// constant tensor or derived array, named after it, the same data derived twice printed once.

import type { DType, Tensor } from '../ir/graph.js';
import { commentText, formatArrayBody, formatShape, type ArrayKind, type IdentifierPool } from './c-format.js';
import type { ConstArray, ConstCType } from '../kernels/call.js';

/** C element type of each dtype: bool as uint8_t holding 0 or 1, float64 as double. */
export const CTYPE_OF: Record<DType, ConstCType> = {
  float32: 'float',
  float64: 'double',
  int64: 'int64_t',
  int32: 'int32_t',
  int16: 'int16_t',
  int8: 'int8_t',
  uint8: 'uint8_t',
  uint16: 'uint16_t',
  bool: 'uint8_t',
};
const ARRAY_KIND: Record<ConstCType, ArrayKind> = {
  float: 'float',
  double: 'double',
  int32_t: 'int32',
  int16_t: 'int16',
  int8_t: 'int8',
  uint8_t: 'uint8',
  uint16_t: 'uint16',
  int64_t: 'int64',
};
const CTYPE_BYTES: Record<ConstCType, number> = { float: 4, double: 8, int32_t: 4, int16_t: 2, int8_t: 1, uint8_t: 1, uint16_t: 2, int64_t: 8 };

/** A constant array to print, from a graph tensor or derived by a lowering. */
interface EmittedConstant {
  ident: string;
  ctype: ConstCType;
  data: ArrayLike<number>;
  note: string;
}

/** A constant array as model.c.hbs prints it: `static const {{ctype}} {{ident}}[{{length}}] = { {{body}} };`. */
export interface PrintedConstant {
  ident: string;
  ctype: ConstCType;
  length: number;
  note: string;
  body: string;
}

/** Hands out one C array per constant tensor or derived array, deduplicated, in the order they are first used. */
export class ConstantTable {
  private readonly list: EmittedConstant[] = [];
  private readonly byTensor = new Map<string, string>();
  /** Constant tensors printed in their own C type for the typed kernels (see `tensor`), by name. */
  private readonly byStoredTensor = new Map<string, string>();
  private readonly byArray = new Map<ConstArray, string>();
  private readonly byName = new Map<string, { array: ConstArray; ident: string }[]>();

  /** `typed`: int8 and int32 tensors keep their C type (int8 weights, int32 biases); else everything is float. */
  constructor(
    private readonly ids: IdentifierPool,
    private readonly typed: boolean,
  ) {}

  /**
   * The identifier of a constant tensor's array. `stored`: the kernel reads the tensor in its own C type (CTYPE_OF:
   * the typed kernels of a float32 build), not as float.
   */
  tensor(t: Tensor, stored = false): string {
    if (stored && t.dtype !== 'float32' && !(this.typed && (t.dtype === 'int8' || t.dtype === 'int32'))) return this.storedTensor(t);
    let ident = this.byTensor.get(t.name);
    if (!ident) {
      ident = this.ids.take(t.name);
      this.byTensor.set(t.name, ident);
      // The float kernels read every constant as float (an int32 Pow exponent, an int64 table); the int8 ones
      // take int8 weights and int32 biases as they are.
      const ctype = this.typed && (t.dtype === 'int8' || t.dtype === 'int32') ? CTYPE_OF[t.dtype] : 'float';
      const data =
        ctype === 'float' && !(t.data instanceof Float32Array) ? Float32Array.from(t.data as ArrayLike<number>) : (t.data as ArrayLike<number>);
      this.list.push({ ident, ctype, data, note: `"${commentText(t.name)}" ${formatShape(t.shape)} ${ctype === 'float' ? 'float32' : t.dtype}` });
    }
    return ident;
  }

  /** The identifier of a constant tensor's array in its own C type. */
  private storedTensor(t: Tensor): string {
    let ident = this.byStoredTensor.get(t.name);
    if (!ident) {
      ident = this.ids.take(t.name);
      this.byStoredTensor.set(t.name, ident);
      this.list.push({ ident, ctype: CTYPE_OF[t.dtype], data: t.data as ArrayLike<number>, note: `"${commentText(t.name)}" ${formatShape(t.shape)} ${t.dtype}` });
    }
    return ident;
  }

  /** The identifier of a derived array's C array. */
  derived(array: ConstArray): string {
    const known = this.byArray.get(array);
    if (known) return known;
    // The same derivation of the same tensor (a weight shared by two nodes) is printed once.
    for (const prior of this.byName.get(array.name) ?? []) {
      if (sameArray(prior.array, array)) {
        this.byArray.set(array, prior.ident);
        return prior.ident;
      }
    }
    const ident = this.ids.take(array.name);
    this.byArray.set(array, ident);
    this.byName.set(array.name, [...(this.byName.get(array.name) ?? []), { array, ident }]);
    this.list.push({ ident, ctype: array.ctype, data: array.data, note: commentText(array.note) });
    return ident;
  }

  /** The arrays handed out so far as model.c prints them (empty ones left out), and the bytes they take. */
  printed(): { arrays: PrintedConstant[]; bytes: number } {
    const arrays = this.list
      .map((c) => ({
        ident: c.ident,
        ctype: c.ctype,
        length: c.data.length,
        note: c.note,
        body: formatArrayBody(c.data, ARRAY_KIND[c.ctype]),
      }))
      .filter((c) => c.length > 0);
    return { arrays, bytes: arrays.reduce((sum, c) => sum + CTYPE_BYTES[c.ctype] * c.length, 0) };
  }
}

/** True when two constant arrays print the same: one C type, the same values (-0 and NaN told apart as stored). */
export function sameArray(a: ConstArray, b: ConstArray): boolean {
  if (a === b) return true;
  if (a.ctype !== b.ctype || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}
