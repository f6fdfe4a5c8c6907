// The link frame as TypeScript knows it: the same values as templates/c/runtime/eenn_link.h, the CRC-32 of the
// IEEE standard, the layout of an encoded frame, and a model hash that follows the graph's weights and the cut.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  DEFAULT_LINK_TIMEOUT_MS,
  encodeFrame,
  FRAME_CRC_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_MAGIC,
  FRAME_OFFSETS,
  FRAME_OVERHEAD_BYTES,
  FRAME_TYPES,
  frameBytes,
  LINK_STATUS,
  linkStatusName,
  modelHash,
} from '../../src/devices/frame.js';
import { importModel } from '../../src/frontend/index.js';
import type { Cut } from '../../src/devices/types.js';

const HEADER = 'templates/c/runtime/eenn_link.h';

/** The header's object-like #defines with a value, each evaluated (sums of numbers and earlier names). */
function headerDefines(): Map<string, number> {
  const defines = new Map<string, number>();
  for (const line of readFileSync(HEADER, 'utf8').split('\n')) {
    const m = /^\s*#\s*define\s+(EENN_LINK_\w+)\s+(.+?)\s*(\/\*.*)?$/.exec(line);
    if (!m) continue;
    const terms = m[2]!
      .replace(/[()]/g, '')
      .split('+')
      .map((term) => term.trim());
    const values = terms.map((term) => (defines.has(term) ? defines.get(term)! : Number(term.replace(/u$/i, ''))));
    if (values.every(Number.isFinite))
      defines.set(
        m[1]!,
        values.reduce((a, b) => a + b, 0),
      );
  }
  return defines;
}

describe('the link frame', () => {
  it('has the values of eenn_link.h', () => {
    const defines = headerDefines();
    const expected: Record<string, number> = {
      EENN_LINK_MAGIC_0: FRAME_MAGIC[0],
      EENN_LINK_MAGIC_1: FRAME_MAGIC[1],
      EENN_LINK_TYPE_TENSOR: FRAME_TYPES.tensor,
      EENN_LINK_TYPE_END: FRAME_TYPES.end,
      EENN_LINK_HEADER_BYTES: FRAME_HEADER_BYTES,
      EENN_LINK_CRC_BYTES: FRAME_CRC_BYTES,
      EENN_LINK_OVERHEAD_BYTES: FRAME_OVERHEAD_BYTES,
      EENN_LINK_OFFSET_TYPE: FRAME_OFFSETS.type,
      EENN_LINK_OFFSET_RESERVED: FRAME_OFFSETS.reserved,
      EENN_LINK_OFFSET_HASH: FRAME_OFFSETS.hash,
      EENN_LINK_OFFSET_SEQUENCE: FRAME_OFFSETS.sequence,
      EENN_LINK_OFFSET_LENGTH: FRAME_OFFSETS.length,
      EENN_LINK_TIMEOUT_MS: DEFAULT_LINK_TIMEOUT_MS,
    };
    for (const [name, code] of Object.entries(LINK_STATUS)) expected[name === 'ok' ? 'EENN_LINK_OK' : `EENN_LINK_E_${name.toUpperCase()}`] = code;
    for (const [name, value] of Object.entries(expected)) expect(defines.get(name), name).toBe(value);
    // Every status code the header defines is one TypeScript knows.
    for (const [name, value] of defines) if (/^EENN_LINK_(OK|E_\w+)$/.test(name)) expect(linkStatusName(value), name).toBeDefined();
  });

  it('checks with the IEEE CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    // Fed in two runs, the same as in one.
    const bytes = new TextEncoder().encode('eennc link frame');
    expect(crc32(bytes.subarray(5), crc32(bytes.subarray(0, 5)))).toBe(crc32(bytes));
  });

  it('lays a frame out as design.md says', () => {
    const payload = Uint8Array.from([1, 2, 3, 250]);
    const frame = encodeFrame(FRAME_TYPES.tensor, 0xdeadbeef, 7, payload);
    expect(frame.length).toBe(frameBytes(payload.length));
    expect(frame.length).toBe(FRAME_HEADER_BYTES + 4 + FRAME_CRC_BYTES);
    const view = new DataView(frame.buffer);
    expect([frame[0], frame[1], frame[2], frame[3]]).toEqual([0xee, 0x4c, 1, 0]);
    expect(view.getUint32(4, true)).toBe(0xdeadbeef);
    expect(view.getUint32(8, true)).toBe(7);
    expect(view.getUint32(12, true)).toBe(4);
    expect(Array.from(frame.subarray(16, 20))).toEqual([1, 2, 3, 250]);
    expect(view.getUint32(20, true)).toBe(crc32(frame.subarray(0, 20)));
    const end = encodeFrame(FRAME_TYPES.end, 1, 2);
    expect(end.length).toBe(FRAME_OVERHEAD_BYTES);
    expect(end[2]).toBe(FRAME_TYPES.end);
  });

  it('names the link status codes', () => {
    expect(linkStatusName(2)).toBe('crc');
    expect(linkStatusName(1)).toBe('timeout');
    expect(linkStatusName(99)).toBeUndefined();
  });
});

describe('modelHash', () => {
  const cut: Cut = { position: 3, tensor: 't', payloadBytes: 16, nodeExits: [] };

  it('is the same for the same model and cut, and changes with the cut or a weight', () => {
    const a = importModel('examples/fmnist_branchy/fmnist_branchy.onnx').graph;
    const b = importModel('examples/fmnist_branchy/fmnist_branchy.onnx').graph;
    const hash = modelHash(a, cut);
    expect(hash).toBe(modelHash(b, cut));
    expect(Number.isInteger(hash) && hash >= 0 && hash <= 0xffffffff).toBe(true);
    expect(modelHash(a, { ...cut, position: 4 })).not.toBe(hash);
    const weight = [...b.tensors.values()].find((t) => t.data && t.dtype === 'float32')!;
    (weight.data as Float32Array)[0] = (weight.data as Float32Array)[0]! + 1;
    expect(modelHash(b, cut)).not.toBe(hash);
  });
});
