// TensorProto decoding: raw_data and typed fields for every dtype the IR has, external data, and bad tensors.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { decodeTensorProto, encodeTensor, OnnxDataType, tensorFromProto, tensorToProto, type TensorProto } from '../../src/frontend/onnx-proto.js';
import { scratchDir } from './build-graph.js';

const source = { file: 'test.onnx', baseDir: '.' };

/** Encode then decode, as a tensor would come out of a file. */
function roundTrip(proto: TensorProto) {
  return tensorFromProto(decodeTensorProto(encodeTensor(proto), 'test.pb'), source);
}

describe('tensorFromProto', () => {
  it('reads raw_data of every IR dtype, int64 beyond 32 bits included', () => {
    const cases = [
      ['float32', new Float32Array([1.5, -2.25, 3e-8])],
      ['float64', new Float64Array([1e300, -0.1])],
      ['int64', new Float64Array([-1, 2 ** 40 + 7, -(2 ** 45) - 3, 0])],
      ['int32', new Int32Array([-7, 2 ** 30])],
      ['int16', new Int16Array([-300, 300])],
      ['int8', new Int8Array([-128, 127])],
      ['uint8', new Uint8Array([0, 255])],
      ['bool', new Uint8Array([1, 0, 1])],
    ] as const;
    for (const [dtype, data] of cases) {
      const t = roundTrip(tensorToProto('t', [data.length], dtype, data));
      expect(t.dtype).toBe(dtype);
      expect(t.shape).toEqual([data.length]);
      expect(Array.from(t.data as ArrayLike<number>)).toEqual(Array.from(data as ArrayLike<number>));
    }
  });

  it("writes INT64_MAX and INT64_MIN (exporters' open Slice bounds, 2^63 in a Float64Array) without wrapping", () => {
    const t = roundTrip(tensorToProto('ends', [3], 'int64', new Float64Array([2 ** 63, -(2 ** 63), 2 ** 64])));
    const values = Array.from(t.data as ArrayLike<number>);
    expect(values[0]).toBeGreaterThan(2 ** 62);
    expect(values[1]).toBe(-(2 ** 63));
    expect(values[2]).toBeGreaterThan(2 ** 62);
  });

  it('reads the typed fields float_data, int32_data, int64_data and double_data', () => {
    expect(Array.from(roundTrip({ dims: [2], dataType: OnnxDataType.FLOAT, floatData: [0.5, -1] }).data)).toEqual([0.5, -1]);
    const int8 = roundTrip({ dims: [3], dataType: OnnxDataType.INT8, int32Data: [-5, 0, 100] });
    expect(int8.data).toBeInstanceOf(Int8Array);
    expect(Array.from(int8.data)).toEqual([-5, 0, 100]);
    const bools = roundTrip({ dims: [2], dataType: OnnxDataType.BOOL, int32Data: [1, 0] });
    expect(bools.dtype).toBe('bool');
    expect(Array.from(bools.data)).toEqual([1, 0]);
    const int64 = roundTrip({ dims: [2, 1], dataType: OnnxDataType.INT64, int64Data: [-(2 ** 40), 9] });
    expect(int64.data).toBeInstanceOf(Float64Array);
    expect(int64.shape).toEqual([2, 1]);
    expect(Array.from(int64.data)).toEqual([-(2 ** 40), 9]);
    expect(Array.from(roundTrip({ dims: [], dataType: OnnxDataType.DOUBLE, doubleData: [0.1] }).data)).toEqual([0.1]);
  });

  it('reads external data at an offset in a file next to the model', () => {
    const dir = scratchDir();
    const bytes = new Uint8Array(16 + 12);
    new Float32Array(bytes.buffer, 16, 3).set([1, 2, 3]);
    writeFileSync(join(dir, 'weights.bin'), bytes);
    const proto: TensorProto = {
      name: 'w',
      dims: [3],
      dataType: OnnxDataType.FLOAT,
      dataLocation: 1,
      externalData: [
        { key: 'location', value: 'weights.bin' },
        { key: 'offset', value: '16' },
        { key: 'length', value: '12' },
      ],
    };
    const t = tensorFromProto(proto, { file: join(dir, 'm.onnx'), baseDir: dir });
    expect(Array.from(t.data)).toEqual([1, 2, 3]);
    expect(() => tensorFromProto({ ...proto, externalData: [{ key: 'location', value: 'missing.bin' }] }, { file: 'm.onnx', baseDir: dir })).toThrow(
      /external data file "missing.bin"/,
    );
  });

  it('rejects element types outside the IR and data of the wrong size', () => {
    const half = () => roundTrip({ name: 'h', dims: [1], dataType: OnnxDataType.FLOAT16, int32Data: [15360] });
    expect(half).toThrow(EennError);
    expect(half).toThrow(/float16/);
    const short = () => roundTrip({ name: 's', dims: [4], dataType: OnnxDataType.FLOAT, floatData: [1, 2] });
    expect(short).toThrow(/holds 2 values/);
    const rawShort = () => roundTrip({ name: 'r', dims: [2], dataType: OnnxDataType.FLOAT, rawData: new Uint8Array(6) });
    expect(rawShort).toThrow(/6 bytes of data, expected 8/);
  });
});
