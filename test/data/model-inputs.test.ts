// Data files for models of several inputs and of every element type: which file feeds which input, the sample count
// they share, the exact conversions from a file's dtype to an input's, the firmware's bytes of each element type,
// and .npy files of every dtype in and out.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assignInputFiles, encodeNpy, parseInputFile, parseNpy, readModelInputs, readNpy, writeNpy, type InputOf } from '../../src/data/index.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Tensor } from '../../src/ir/graph.js';
import { decodeOutput, encodeInput, encodeModelSamples } from '../../src/io-codec.js';
import { buildGraph } from '../frontend/build-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-model-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(run: () => unknown): EennError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    return err as EennError;
  }
  throw new Error('no error');
}

/** A .npy written by hand with any descr (numpy's layout, version 1). */
function handNpy(descr: string, shape: string, body: Uint8Array): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }\n`;
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

const TWO: InputOf[] = [
  { name: 'a', shape: [1, 2], dtype: 'float32' },
  { name: 'b', shape: [1, 3], dtype: 'float32' },
];
const a = join(dir, 'a.npy');
const b = join(dir, 'b.npy');
const b1 = join(dir, 'b1.npy');
writeNpy(a, [2, 2], Float32Array.of(1, 2, 3, 4));
writeNpy(b, [2, 3], Float32Array.of(5, 6, 7, 8, 9, 10));
writeNpy(b1, [1, 3], Float32Array.of(5, 6, 7));

describe('which file feeds which input', () => {
  it('takes name=file, or files in the model input order, or both', () => {
    expect(parseInputFile('x=data.npy')).toEqual({ name: 'x', path: 'data.npy' });
    expect(parseInputFile('data.npy')).toEqual({ path: 'data.npy' });
    expect(parseInputFile(a)).toEqual({ path: a });
    expect([...assignInputFiles([a, b], TWO, '--input')]).toEqual([
      ['a', a],
      ['b', b],
    ]);
    expect([...assignInputFiles([`b=${a}`, `a=${b}`], TWO, '--input')]).toEqual([
      ['b', a],
      ['a', b],
    ]);
    // Named files take their inputs; the others fill the rest in order.
    expect(assignInputFiles([`b=${b}`, a], TWO, '--input').get('a')).toBe(a);
  });

  it('refuses an unknown name (listing the inputs), an input given twice, too many files and a missing input', () => {
    const unknown = errorOf(() => assignInputFiles([`c=${a}`, b], TWO, '--input'));
    expect(unknown.code).toBe('E_USAGE');
    expect(unknown.message).toContain('no input "c"');
    expect(unknown.message).toContain('"a" [1, 2] float32, "b" [1, 3] float32');
    expect(errorOf(() => assignInputFiles([`a=${a}`, `a=${b}`], TWO, '--input')).message).toContain('twice');
    expect(errorOf(() => assignInputFiles([a, b, b], TWO, '--data')).message).toMatch(/3 files for --data, but the model has 2 inputs/);
    const missing = errorOf(() => assignInputFiles([a], TWO, '--calib'));
    expect(missing.code).toBe('E_USAGE');
    expect(missing.message).toContain('no --calib file for model input "b"');
    expect(missing.hint).toContain('--calib a=a.npy --calib b=b.npy');
  });
});

describe('readModelInputs', () => {
  it('reads sample i of every file as sample i of the model', () => {
    const samples = readModelInputs([`b=${b}`, `a=${a}`], TWO, { flag: '--input' });
    expect(samples).toHaveLength(2);
    expect(samples[1]!['a']).toEqual({ shape: [1, 2], dtype: 'float32', data: Float32Array.of(3, 4) });
    expect(samples[1]!['b']!.data).toEqual(Float32Array.of(8, 9, 10));
    expect(readModelInputs([a, b], TWO, { flag: '--input', count: 1 })).toHaveLength(1);
  });

  it('refuses files of different sample counts with E_DATA naming each file and input', () => {
    const err = errorOf(() => readModelInputs([a, b1], TWO, { flag: '--input' }));
    expect(err.code).toBe('E_DATA');
    expect(err.message).toContain(`${a} (input "a") 2, ${b1} (input "b") 1`);
    expect(err.hint).toContain('--count');
  });

  it('names the input whose file does not fit its shape', () => {
    const err = errorOf(() => readModelInputs([b, a], TWO, { flag: '--input' }));
    expect(err.code).toBe('E_DATA');
    expect(err.message).toContain('model input "a"');
  });

  it('reads int64 ids as int64, and a float file only where every value is whole', () => {
    const ids: InputOf[] = [{ name: 'ids', shape: [1, 3], dtype: 'int64' }];
    const i64 = join(dir, 'ids.npy');
    writeNpy(i64, [2, 3], Float64Array.of(0, 5, 2 ** 40, 1, -1, 3), 'int64');
    const read = readModelInputs([i64], ids, { flag: '--input' });
    expect(read[0]!['ids']).toEqual({ shape: [1, 3], dtype: 'int64', data: Float64Array.of(0, 5, 2 ** 40) });
    const whole = join(dir, 'whole.npy');
    writeNpy(whole, [1, 3], Float32Array.of(1, 2, 3));
    expect(readModelInputs([whole], ids, { flag: '--input' })[0]!['ids']!.data).toEqual(Float64Array.of(1, 2, 3));
    const half = join(dir, 'half.npy');
    writeNpy(half, [1, 3], Float32Array.of(1, 2.5, 3));
    const err = errorOf(() => readModelInputs([half], ids, { flag: '--input' }));
    expect(err.code).toBe('E_DATA');
    expect(err.message).toMatch(/model input "ids" is int64, but sample 0 .* holds 2.5 at value 1, not a whole number/);
  });

  it('refuses values outside an integer input range and bool values other than 0 and 1', () => {
    const i32 = join(dir, 'i32.npy');
    writeNpy(i32, [1, 2], Int32Array.of(3, 300));
    const err = errorOf(() => readModelInputs([i32], [{ name: 'q', shape: [1, 2], dtype: 'int8' }], { flag: '--input' }));
    expect(err.message).toContain('outside the range of int8 (-128 to 127)');
    const flags = join(dir, 'flags.npy');
    writeNpy(flags, [1, 2], Uint8Array.of(1, 0), 'bool');
    expect(readModelInputs([flags], [{ name: 'm', shape: [1, 2], dtype: 'bool' }], { flag: '--input' })[0]!['m']!.data).toEqual(Uint8Array.of(1, 0));
    expect(errorOf(() => readModelInputs([i32], [{ name: 'm', shape: [1, 2], dtype: 'bool' }], { flag: '--input' })).hint).toContain('astype(bool)');
  });

  it('scales float inputs only, and refuses --scale for a model of integer inputs', () => {
    const mixed: InputOf[] = [
      { name: 'a', shape: [1, 2], dtype: 'float32' },
      { name: 'ids', shape: [1, 3], dtype: 'int64' },
    ];
    const ids = join(dir, 'ids2.npy');
    writeNpy(ids, [2, 3], Int32Array.of(1, 2, 3, 4, 5, 6));
    const read = readModelInputs([a, ids], mixed, { flag: '--input', scale: 0.5 });
    expect(read[0]!['a']!.data).toEqual(Float32Array.of(0.5, 1));
    expect(read[0]!['ids']!.data).toEqual(Float64Array.of(1, 2, 3));
    const err = errorOf(() => readModelInputs([ids], [mixed[1]!], { flag: '--input', scale: 0.5 }));
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toContain('--scale');
  });
});

describe('the firmware bytes of each element type', () => {
  const graph = buildGraph({
    inputs: { x: ['float32', [1, 2]], ids: ['int64', [1, 2]], m: ['bool', [1, 1]], d: ['float64', [1, 1]] },
    nodes: [],
    outputs: [],
  });

  it('writes every input in the model order: float32, int64 as int64_t, bool as one byte, float64 as double', () => {
    const sample = {
      x: { shape: [1, 2], dtype: 'float32' as const, data: Float32Array.of(1.5, -2) },
      ids: { shape: [1, 2], dtype: 'int64' as const, data: Float64Array.of(-1, 2 ** 33) },
      m: { shape: [1, 1], dtype: 'bool' as const, data: Uint8Array.of(1) },
      d: { shape: [1, 1], dtype: 'float64' as const, data: Float64Array.of(0.1) },
    };
    const { encoded, bytes } = encodeModelSamples(graph, [sample, sample]);
    expect(bytes.length).toBe(2 * (8 + 16 + 1 + 8));
    const view = new DataView(encoded[0]!.bytes.buffer);
    expect(view.getFloat32(0, true)).toBe(1.5);
    expect(view.getBigInt64(8, true)).toBe(-1n);
    expect(view.getBigInt64(16, true)).toBe(2n ** 33n);
    expect(view.getUint8(24)).toBe(1);
    expect(view.getFloat64(25, true)).toBe(0.1);
    expect(encoded[0]!.values['ids']!.data).toEqual(Float64Array.of(-1, 2 ** 33));
  });

  it('refuses a value of another type than the built input (never converted silently)', () => {
    const ids = graph.tensors.get('ids')!;
    expect(errorOf(() => encodeInput(ids, Float32Array.of(1, 2))).code).toBe('E_DATA');
  });

  it('decodes int64, bool and float outputs in their own type', () => {
    const out: Tensor = { name: 'y', shape: [1, 2], dtype: 'int64' };
    const bytes = new Uint8Array(BigInt64Array.of(7n, -(2n ** 40n)).buffer);
    const decoded = decodeOutput(out, bytes);
    expect(decoded.value).toEqual({ shape: [1, 2], dtype: 'int64', data: Float64Array.of(7, -(2 ** 40)) });
    expect(decoded.float).toEqual(Float32Array.of(7, -(2 ** 40)));
    const flags = decodeOutput({ name: 'f', shape: [3], dtype: 'bool' }, Uint8Array.of(1, 0, 1));
    expect(flags.value.dtype).toBe('bool');
    expect(flags.value.data).toEqual(Uint8Array.of(1, 0, 1));
    const float = decodeOutput({ name: 'z', shape: [1], dtype: 'float32' }, new Uint8Array(Float32Array.of(2.5).buffer));
    expect(float.value).toEqual({ shape: [1], dtype: 'float32', data: Float32Array.of(2.5) });
  });
});

describe('.npy of every dtype', () => {
  it('reads float16, uint16, uint32, uint64 and bool, little-endian', () => {
    const f2 = parseNpy(handNpy('<f2', '(3,)', new Uint8Array(Uint16Array.of(0x3c00, 0xc000, 0x0001).buffer)), 'f2.npy');
    expect(f2.dtype).toBe('float16');
    expect(Array.from(f2.data)).toEqual([1, -2, 2 ** -24]);
    expect(Array.from(parseNpy(handNpy('<u2', '(2,)', new Uint8Array(Uint16Array.of(65535, 1).buffer)), 'u2.npy').data)).toEqual([65535, 1]);
    expect(Array.from(parseNpy(handNpy('<u4', '(1,)', new Uint8Array(Uint32Array.of(2 ** 32 - 1).buffer)), 'u4.npy').data)).toEqual([2 ** 32 - 1]);
    expect(Array.from(parseNpy(handNpy('<u8', '(1,)', new Uint8Array(BigUint64Array.of(2n ** 40n).buffer)), 'u8.npy').data)).toEqual([2 ** 40]);
    expect(parseNpy(handNpy('|b1', '(2,)', Uint8Array.of(1, 0)), 'b1.npy')).toEqual({ shape: [2], dtype: 'bool', data: Uint8Array.of(1, 0) });
  });

  it('refuses big-endian data, int64 beyond 2^53 and bool bytes other than 0 and 1', () => {
    const be = errorOf(() => parseNpy(handNpy('>i8', '(1,)', new Uint8Array(8)), 'be.npy'));
    expect(be.message).toContain("big-endian .npy data ('>i8')");
    expect(be.hint).toContain("astype('<i8')");
    expect(errorOf(() => parseNpy(handNpy('<i8', '(1,)', new Uint8Array(BigInt64Array.of(2n ** 60n).buffer)), 'big.npy')).message).toContain('2^53');
    expect(errorOf(() => parseNpy(handNpy('|b1', '(1,)', Uint8Array.of(2)), 'b.npy')).message).toContain('0 and 1');
  });

  it('writes int64 as <i8 and bool as |b1, read back as they were', () => {
    const path = join(dir, 'i64-out.npy');
    writeNpy(path, [2], Float64Array.of(-3, 2 ** 50), 'int64');
    expect(readNpy(path)).toEqual({ shape: [2], dtype: 'int64', data: Float64Array.of(-3, 2 ** 50) });
    expect(new TextDecoder().decode(encodeNpy([2], Uint8Array.of(0, 1), 'bool').subarray(10, 40))).toContain("'|b1'");
    writeNpy(path, [2], Uint8Array.of(0, 1), 'bool');
    expect(readNpy(path).dtype).toBe('bool');
  });
});
