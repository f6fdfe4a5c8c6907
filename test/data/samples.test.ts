// Data files: .npy (versions 1 and 2, several dtypes), raw float32 .bin, IDX (gzip or not), labels, and .npy output.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { encodeNpy, readLabels, readNpy, readSamples, writeNpy } from '../../src/data/index.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/** A .npy file written by hand, as numpy writes it (any version, any descr). */
function handNpy(version: 1 | 2, descr: string, shape: string, body: Uint8Array, fortran = false): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': ${shape}, }\n`;
  const prefix = version === 1 ? 10 : 12;
  const out = new Uint8Array(prefix + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), prefix);
  out.set(body, prefix + header.length);
  return out;
}

/** An IDX file of unsigned bytes. */
function idx(shape: number[], values: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length + values.length);
  const view = new DataView(out.buffer);
  out.set([0, 0, 8, shape.length]);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(values, 4 + 4 * shape.length);
  return out;
}

function errorOf(run: () => unknown): EennError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    return err as EennError;
  }
  throw new Error('no error');
}

describe('npy', () => {
  it('writes and reads back float32, int8 and uint8 arrays', () => {
    const path = join(dir, 'out.npy');
    writeNpy(path, [2, 3], Float32Array.of(1, 2, 3, 4, 5, 6.5));
    expect(readNpy(path)).toEqual({ shape: [2, 3], dtype: 'float32', data: Float32Array.of(1, 2, 3, 4, 5, 6.5) });
    writeNpy(path, [3], Int8Array.of(-1, 0, 127));
    expect(readNpy(path)).toEqual({ shape: [3], dtype: 'int8', data: Int8Array.of(-1, 0, 127) });
    const bytes = encodeNpy([2], Uint8Array.of(0, 255));
    expect((10 + new DataView(bytes.buffer).getUint16(8, true)) % 64).toBe(0); // data aligned as numpy does
  });

  it('reads version 2 headers, float64 and int64', () => {
    const f64 = file('v2.npy', handNpy(2, '<f8', '(2,)', new Uint8Array(Float64Array.of(0.1, -2).buffer)));
    expect(readNpy(f64)).toEqual({ shape: [2], dtype: 'float64', data: Float64Array.of(0.1, -2) });
    const i64 = file('i64.npy', handNpy(1, '<i8', '(3,)', new Uint8Array(BigInt64Array.of(5n, -(2n ** 40n), 0n).buffer)));
    expect(Array.from(readNpy(i64).data)).toEqual([5, -(2 ** 40), 0]);
  });

  it('refuses Fortran order, big-endian data, unknown dtypes and truncated files with E_DATA', () => {
    const fortran = handNpy(1, '<f4', '(2, 2)', new Uint8Array(16), true);
    expect(errorOf(() => readNpy(file('f.npy', fortran))).message).toMatch(/Fortran/);
    expect(errorOf(() => readNpy(file('be.npy', handNpy(1, '>f4', '(1,)', new Uint8Array(4))))).message).toMatch(/big-endian/);
    expect(errorOf(() => readNpy(file('c.npy', handNpy(1, '<c8', '(1,)', new Uint8Array(8))))).code).toBe('E_DATA');
    expect(errorOf(() => readNpy(file('t.npy', handNpy(1, '<f4', '(4,)', new Uint8Array(8))))).message).toMatch(/truncated/);
  });
});

describe('readSamples', () => {
  const inputShape = [1, 1, 2, 2];

  it('reads N samples stacked as [N, ...input] or [N, ...input without the batch], and one exact input', () => {
    const values = Float32Array.from({ length: 12 }, (_, i) => i);
    for (const shape of [
      [3, 1, 1, 2, 2],
      [3, 1, 2, 2],
      [3, 2, 2],
    ]) {
      const path = file(`s${shape.length}.npy`, encodeNpy(shape, values));
      expect(readSamples(path, inputShape)).toEqual({ count: 3, data: values });
    }
    const one = file('one.npy', encodeNpy(inputShape, values.subarray(0, 4)));
    expect(readSamples(one, inputShape).count).toBe(1);
  });

  it('scales uint8 pixels and limits the count', () => {
    const path = file('u8.npy', encodeNpy([2, 2, 2], Uint8Array.of(0, 51, 102, 255, 1, 2, 3, 4)));
    const { count, data } = readSamples(path, inputShape, { scale: 1 / 255, count: 1 });
    expect(count).toBe(1);
    expect(Array.from(data)).toEqual([0, 51 / 255, 102 / 255, 1].map(Math.fround));
  });

  it('reads raw float32 .bin files, and says which size it expected when they do not divide', () => {
    const values = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const path = file('two.bin', new Uint8Array(values.buffer));
    expect(readSamples(path, inputShape)).toEqual({ count: 2, data: values });
    const bad = file('odd.bin', new Uint8Array(values.buffer, 0, 20));
    const e = errorOf(() => readSamples(bad, inputShape));
    expect(e.code).toBe('E_DATA');
    expect(e.file).toBe(bad);
    expect(e.message).toContain('multiple of 16 bytes');
  });

  it('refuses data whose shape does not fit the input', () => {
    const path = file('wrong.npy', encodeNpy([2, 3, 3], new Float32Array(18)));
    const e = errorOf(() => readSamples(path, inputShape));
    expect(e.code).toBe('E_DATA');
    expect(e.message).toMatch(/\[2, 3, 3\].*\[1, 1, 2, 2\]/);
  });

  it('reads IDX images, gzip-compressed or not, and the real Fashion-MNIST test set', () => {
    const images = idx([2, 2, 2], [0, 255, 10, 20, 30, 40, 50, 60]);
    for (const [name, bytes] of [
      ['img-idx3-ubyte', images],
      ['img-idx3-ubyte.gz', gzipSync(images)],
    ] as const) {
      const { count, data } = readSamples(file(name, bytes), inputShape);
      expect(count).toBe(2);
      expect(Array.from(data)).toEqual([0, 255, 10, 20, 30, 40, 50, 60]);
    }
    const fmnist = readSamples('/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz', [1, 1, 28, 28], { scale: 1 / 255 });
    expect(fmnist.count).toBe(10000);
    expect(Math.max(...fmnist.data.subarray(0, 784))).toBeLessThanOrEqual(1);
    expect(fmnist.data.subarray(0, 784).some((v) => v > 0)).toBe(true);
  });
});

describe('readLabels', () => {
  it('reads IDX label files and integer .npy arrays, and refuses float labels', () => {
    expect(Array.from(readLabels(file('l-idx1-ubyte.gz', gzipSync(idx([3], [7, 0, 9])))))).toEqual([7, 0, 9]);
    const i64 = file('labels.npy', handNpy(1, '<i8', '(2,)', new Uint8Array(BigInt64Array.of(3n, 1n).buffer)));
    expect(Array.from(readLabels(i64))).toEqual([3, 1]);
    expect(errorOf(() => readLabels(file('fl.npy', encodeNpy([2], Float32Array.of(1, 2))))).code).toBe('E_DATA');
    const fmnist = readLabels('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
    expect(fmnist.length).toBe(10000);
    expect(Math.max(...fmnist)).toBe(9);
  });
});
