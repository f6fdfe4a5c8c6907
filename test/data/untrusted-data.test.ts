// Data files as untrusted input: .npy headers with shapes that are not whole numbers, dtypes eennc does not read,
// payloads shorter or longer than the header says; NaN and infinite inputs, which an int8 build refuses by sample.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EennError, FALLBACK_HINTS } from '../../src/ir/diagnostics.js';
import type { Tensor } from '../../src/ir/graph.js';
import { perTensorQuant } from '../../src/ir/int8.js';
import { encodeNpy, parseNpy, readNpy, readSamples } from '../../src/data/index.js';
import { DATA_FILE_BYTES } from '../../src/data/read-bytes.js';
import { encodeSamples } from '../../src/io-codec.js';
import { encodeModel, OnnxDataType } from '../../src/frontend/onnx-proto.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-data-untrusted-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};

/** A version 1 .npy with this header text (descr and shape as written between the braces) and body. */
function npy(descr: string, shape: string, body: Uint8Array): Uint8Array {
  const header = `{'descr': ${descr}, 'fortran_order': False, 'shape': ${shape}, }\n`;
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

function refusal(run: () => unknown): EennError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    const e = err as EennError;
    // the thrower's own hint, not the fallback every error of its code gets
    expect(e.hint, e.format()).not.toBe(FALLBACK_HINTS[e.code]);
    return e;
  }
  throw new Error('expected a refusal, the call succeeded');
}

describe('.npy headers', () => {
  const body = new Uint8Array(4 * 784);
  const cases: [string, string, string, Uint8Array, RegExp][] = [
    ['a shape of (2.5, 1, 28, 28)', "'<f4'", '(2.5, 1, 28, 28)', body, /shape \(2\.5, 1, 28, 28\): "2\.5" is not a non-negative whole number/],
    ['a negative dimension', "'<f4'", '(-1, 784)', body, /"-1" is not a non-negative whole number/],
    ['a dimension beyond 2^53', "'<f4'", '(100000000000000000000, 784)', body, /"100000000000000000000" is not a non-negative whole number/],
    ['an empty dimension', "'<f4'", '(1, , 784)', body, /"" is not a non-negative whole number/],
    [
      'a huge shape over a small payload',
      "'<f4'",
      '(4294967296, 4294967296)',
      body,
      /truncated: shape \[4294967296, 4294967296\] of float32 needs .* bytes, the file holds 3,136/,
    ],
    [
      'a payload shorter than the header says',
      "'<f4'",
      '(2, 784)',
      body,
      /truncated: shape \[2, 784\] of float32 needs 6,272 bytes, the file holds 3,136/,
    ],
    [
      'a payload longer than the header says',
      "'<f4'",
      '(1, 392)',
      body,
      /longer than its header says: shape \[1, 392\] of float32 needs 1,568 bytes, the file holds 3,136/,
    ],
    ['a string dtype', "'<U10'", '(1, 784)', body, /dtype '<U10' is not supported/],
    ['a complex dtype', "'<c8'", '(1, 392)', body, /dtype '<c8' is not supported/],
    ['a structured dtype', "[('a', '<f4'), ('b', '<f4')]", '(392,)', body, /structured dtypes/],
  ];
  for (const [what, descr, shape, payload, pattern] of cases) {
    it(`refuses ${what} with E_DATA and a hint`, () => {
      const e = refusal(() => parseNpy(npy(descr, shape, payload), 'x.npy'));
      expect(e.code).toBe('E_DATA');
      expect(e.file).toBe('x.npy');
      expect(e.message).toMatch(pattern);
    });
  }

  it('refuses an unknown format version and a header cut short', () => {
    const bytes = npy("'<f4'", '(784,)', body);
    bytes[6] = 9;
    expect(refusal(() => parseNpy(bytes, 'v.npy')).message).toMatch(/format version 9/);
    expect(refusal(() => parseNpy(npy("'<f4'", '(784,)', body).subarray(0, 30), 'h.npy')).message).toMatch(/header is truncated/);
  });

  it('still reads what numpy writes: scalars, (N,) shapes and trailing commas', () => {
    expect(parseNpy(npy("'<f4'", '()', new Uint8Array(4)), 's.npy').shape).toEqual([]);
    expect(parseNpy(npy("'<f4'", '(3,)', new Uint8Array(12)), 'v.npy').shape).toEqual([3]);
    expect(parseNpy(npy("'|u1'", '(2, 3)', new Uint8Array(6)), 'm.npy').shape).toEqual([2, 3]);
  });
});

describe('data files that are not regular files, or too large', () => {
  it('refuses a named pipe without waiting on it, a folder and /dev/zero', () => {
    const pipe = join(dir, 'pipe.npy');
    expect(spawnSync('mkfifo', [pipe]).status).toBe(0);
    const zero = join(dir, 'zero.npy');
    symlinkSync('/dev/zero', zero);
    for (const [path, pattern] of [
      [pipe, /not a regular file/],
      [dir, /it is a folder/],
      [zero, /not a regular file/],
    ] as const) {
      const e = refusal(() => readSamples(path, [1, 4]));
      expect([e.code, e.file]).toEqual(['E_FILE', path]);
      expect(e.message).toMatch(pattern);
    }
  });

  it('refuses gzip data that decompresses to more than it reads, stopping at the limit', () => {
    // gzip members back to back decompress as one stream: 16 MiB of zeros, repeated past the limit.
    const member = gzipSync(new Uint8Array(16 * 1024 * 1024));
    const members = DATA_FILE_BYTES / (16 * 1024 * 1024) + 1;
    const bytes = new Uint8Array(member.length * members);
    for (let i = 0; i < members; i++) bytes.set(member, i * member.length);
    const bomb = file('bomb.npy.gz', bytes);
    const e = refusal(() => readNpy(bomb));
    expect(e.code).toBe('E_DATA');
    expect(e.message).toMatch(/decompresses to more than/);
  });
});

describe('NaN and infinite inputs', () => {
  const values = Float32Array.from({ length: 12 }, (_, i) => i / 12);
  values[7] = NaN; // sample 1 of [3, 4]
  values[9] = Infinity; // sample 2
  const path = file('nan.npy', encodeNpy([3, 4], values));

  it('are an E_DATA error naming the sample when the data must be finite (int8)', () => {
    const e = refusal(() => readSamples(path, [1, 4], { requireFinite: true }));
    expect(e.code).toBe('E_DATA');
    expect(e.file).toBe(path);
    expect(e.message).toMatch(/sample 1 \(counting from 0\) holds NaN at value 3 of 4 \(and 1 more sample\)/);
  });

  it('are counted, not refused, for float32', () => {
    const samples = readSamples(path, [1, 4]);
    expect(samples.count).toBe(3);
    expect(samples.nonFinite).toEqual({ samples: 2, first: 1 });
    expect(readSamples(path, [1, 4], { count: 1 }).nonFinite).toBeUndefined();
  });

  it('a scale that overflows float32 makes values infinite, and that is refused too', () => {
    const big = file('big.npy', encodeNpy([1, 4], Float32Array.of(1, 2, 3e38, 4)));
    expect(refusal(() => readSamples(big, [1, 4], { scale: 10, requireFinite: true })).message).toMatch(/holds Infinity at value 2/);
  });

  it('cannot be encoded for an int8 input: the error names the sample, no class comes out', () => {
    const tensor: Tensor = { name: 'x', shape: [1, 4], dtype: 'int8', quant: perTensorQuant(0.05, 0) };
    const samples = [Float32Array.of(0, 0.1, 0.2, 0.3), Float32Array.of(0, -Infinity, 0, 0)];
    const e = refusal(() => encodeSamples(tensor, samples));
    expect(e.code).toBe('E_DATA');
    expect(e.message).toMatch(/sample 1 \(counting from 0\) holds -Infinity at value 1 of 4/);
    expect(encodeSamples({ ...tensor, dtype: 'float32', quant: undefined }, samples).bytes.length).toBe(32);
  });

  it('refuses a bad count of samples to read', () => {
    for (const count of [2.9, 0, -1, NaN]) {
      expect(refusal(() => readSamples(path, [1, 4], { count })).code).toBe('E_USAGE');
    }
  });

  /** `eennc ARGS` run asynchronously: exit status, stdout, stderr. */
  const eennc = (...args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
      execFile('node', ['bin/eennc.js', ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
    });
  const reluModel = () => {
    const valueInfo = (name: string) => ({
      name,
      type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
    });
    return file(
      'relu.onnx',
      encodeModel({
        irVersion: 8,
        opsetImport: [{ domain: '', version: 13 }],
        graph: {
          name: 'relu',
          input: [valueInfo('x')],
          output: [valueInfo('y')],
          node: [{ name: 'relu', opType: 'Relu', input: ['x'], output: ['y'] }],
        },
      }),
    );
  };

  it('eennc run of an int8 build refuses NaN inputs, naming the file and the sample', async () => {
    const calib = file('calib.npy', encodeNpy([2, 4], Float32Array.of(0, 0.5, 1, -1, 0.25, 0.75, -0.5, 0)));
    const result = await eennc('run', reluModel(), '--target', 'host', '--calib', calib, '--input', path);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain(`error: ${path}: sample 1 (counting from 0) holds NaN`);
    expect(result.stderr).toMatch(/^hint: /m);
    expect(result.stdout).not.toMatch(/class/);
  });

  it('eennc run of a float32 build warns about them and runs', async () => {
    const result = await eennc('run', reluModel(), '--target', 'host', '--precision', 'float32', '--input', path);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`warning: ${path}: 2 samples hold NaN or infinite values (the first: sample 1, counting from 0)`);
    expect(result.stdout).toMatch(/^sample 2: /m);
  });
});
