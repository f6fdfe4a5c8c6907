// The frame the cut tensor crosses the link in, as the TypeScript side knows it: its layout and codes (the same
// values as templates/c/runtime/eenn_link.h, which a test compares), the model hash both devices check, and what
// framing costs the firmware in instructions, for the cost model.

import type { AttrValue, Graph, Tensor, TensorData } from '../ir/graph.js';
import type { Target } from '../target/target.js';
import type { Cut } from './types.js';

/** The two bytes every frame starts with (0xEE 0x4C: "ee" of eenn, "L" of link); a receiver hunts for them. */
export const FRAME_MAGIC: readonly [number, number] = [0xee, 0x4c];

/** Header bytes: magic (2), type (1), reserved (1), model hash (4), sequence number (4), payload length (4). */
export const FRAME_HEADER_BYTES = 16;

/** The CRC-32 after the payload. */
export const FRAME_CRC_BYTES = 4;

/** Bytes a frame adds to its payload: header and CRC. */
export const FRAME_OVERHEAD_BYTES = FRAME_HEADER_BYTES + FRAME_CRC_BYTES;

/** Where each header field sits (little-endian). */
export const FRAME_OFFSETS = { magic: 0, type: 2, reserved: 3, hash: 4, sequence: 8, length: 12 } as const;

/** Frame types: a tensor (the cut tensor of one sample), or the end of the node's samples (no payload). */
export const FRAME_TYPES = { tensor: 1, end: 2 } as const;

/** The inter-byte timeout of a frame's receiver by default, in milliseconds (EENN_LINK_TIMEOUT_MS). */
export const DEFAULT_LINK_TIMEOUT_MS = 1000;

/** The link's status codes (EENN_LINK_* in eenn_link.h), by number. */
export const LINK_STATUS = { ok: 0, timeout: 1, crc: 2, length: 3, model: 4, type: 5, io: 6 } as const;

/** A link status's name ('timeout', 'crc', ...: DeviceSample.linkError), by number; undefined for an unknown code. */
export function linkStatusName(code: number): keyof typeof LINK_STATUS | undefined {
  return (Object.keys(LINK_STATUS) as (keyof typeof LINK_STATUS)[]).find((name) => LINK_STATUS[name] === code);
}

/** Bytes of a frame carrying `payloadBytes`. */
export function frameBytes(payloadBytes: number): number {
  return payloadBytes + FRAME_OVERHEAD_BYTES;
}

/** Instructions the firmware spends on the link for one frame: a fixed part and a part per frame byte. */
export interface LinkCosts {
  /** Sending a frame: the header built, the hook called, the CRC sent. */
  sendFixed: number;
  /** Each frame byte sent: its CRC-32 update and the UART's TX-full poll and data write. */
  sendPerByte: number;
  /** Receiving a frame: the magic matched, the header parsed and checked, the CRC compared. */
  recvFixed: number;
  /** Each frame byte received: the RX-full poll, the counter read that keeps waits apart, the data read, the CRC update. */
  recvPerByte: number;
}

/**
 * What eenn_link.c over the CMSDK UART driver costs, measured in QEMU with the waits for the line left out
 * (test/devices/link-cost.test.ts measures every emulator target and checks these within LINK_COST_TOLERANCE):
 * Armv6-M has no 32-bit multiply-long or bit-field instructions, so its CRC-32 and counter reads take about twice
 * the instructions of the Armv7-M and Armv8-M cores, which measure alike (within a few percent of each other).
 */
export const LINK_COSTS: { armv6m: LinkCosts; other: LinkCosts } = {
  armv6m: { sendFixed: 9, sendPerByte: 23, recvFixed: 245, recvPerByte: 109 },
  other: { sendFixed: 18, sendPerByte: 17, recvFixed: 91, recvPerByte: 46 },
};

/** How far a target's measured framing cost (804-byte frame) may be from linkCosts(target): the test's bound. */
export const LINK_COST_TOLERANCE = 0.1;

/** The link costs of `target`'s core. */
export function linkCosts(target: Pick<Target, 'arch'>): LinkCosts {
  return target.arch === 'armv6-m' ? LINK_COSTS.armv6m : LINK_COSTS.other;
}

/** CRC-32 (IEEE 802.3: reflected, polynomial 0xEDB88320, initial 0xFFFFFFFF, final xor 0xFFFFFFFF) of `bytes`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (const byte of bytes) {
    c ^= byte;
    for (let bit = 0; bit < BITS_PER_BYTE; bit++) c = c & 1 ? (c >>> 1) ^ CRC32_POLYNOMIAL : c >>> 1;
  }
  return ~c >>> 0;
}

/** The reflected IEEE CRC-32 polynomial. */
const CRC32_POLYNOMIAL = 0xedb88320;

/** The CRC shifts the polynomial through each bit of a byte. */
const BITS_PER_BYTE = 8;

/** A whole frame's bytes (header, payload, CRC), as eenn_link_send_frame writes it: for the harness's end frame and tests. */
export function encodeFrame(type: number, modelHash: number, sequence: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(frameBytes(payload.length));
  const view = new DataView(frame.buffer);
  frame[FRAME_OFFSETS.magic] = FRAME_MAGIC[0];
  frame[FRAME_OFFSETS.magic + 1] = FRAME_MAGIC[1];
  frame[FRAME_OFFSETS.type] = type;
  frame[FRAME_OFFSETS.reserved] = 0;
  view.setUint32(FRAME_OFFSETS.hash, modelHash >>> 0, true);
  view.setUint32(FRAME_OFFSETS.sequence, sequence >>> 0, true);
  view.setUint32(FRAME_OFFSETS.length, payload.length, true);
  frame.set(payload, FRAME_HEADER_BYTES);
  const end = FRAME_HEADER_BYTES + payload.length;
  view.setUint32(end, crc32(frame.subarray(0, end)), true);
  return frame;
}

/** FNV-1a's 32-bit offset basis and prime. */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** An FNV-1a 32-bit hash fed with strings, numbers and raw bytes. */
class Fnv1a {
  private hash = FNV_OFFSET;
  private readonly text = new TextEncoder();

  /** Each byte: xor into the hash, multiply by the prime. */
  bytes(data: Uint8Array): this {
    let h = this.hash;
    for (const byte of data) h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
    this.hash = h;
    return this;
  }

  /** A string, ended by a 0 byte so that "ab","c" and "a","bc" differ. */
  string(value: string): this {
    return this.bytes(this.text.encode(value)).bytes(ZERO_BYTE);
  }

  /** A number by its shortest decimal text (the same on every host). */
  number(value: number): this {
    return this.string(String(value));
  }

  /** The hash so far, as an unsigned 32-bit number. */
  get value(): number {
    return this.hash >>> 0;
  }
}

/** The byte that ends each string fed to the hash. */
const ZERO_BYTE = new Uint8Array([0]);

/**
 * The model hash both devices' projects bake in (EENN_LINK_MODEL_HASH) and every frame carries: FNV-1a over the
 * whole compiled graph (nodes, attributes, tensors with their shapes, types, quantization and weights, inputs,
 * outputs, exits) and the cut, so that a node and a gateway built from different models or cuts refuse each other.
 */
export function modelHash(graph: Graph, cut: Cut): number {
  const h = new Fnv1a();
  hashGraph(h, graph);
  h.string('cut')
    .number(cut.position)
    .string(cut.tensor ?? '')
    .number(cut.payloadBytes);
  for (const exit of cut.nodeExits) h.number(exit);
  return h.value;
}

/** Feeds a graph's nodes (with attributes), tensors (by name), inputs, outputs and exits to `h`. */
function hashGraph(h: Fnv1a, graph: Graph): void {
  h.string('graph').number(graph.opset);
  for (const node of graph.nodes) {
    h.string(node.name).string(node.op).string(node.domain).number(node.inputs.length).number(node.outputs.length);
    for (const name of [...node.inputs, ...node.outputs]) h.string(name);
    for (const key of Object.keys(node.attrs).sort()) {
      h.string(key);
      hashAttr(h, node.attrs[key]!);
    }
  }
  for (const name of [...graph.tensors.keys()].sort()) hashTensor(h, graph.tensors.get(name)!);
  h.string('inputs');
  for (const name of graph.inputs) h.string(name);
  h.string('outputs');
  for (const name of graph.outputs) h.string(name);
  const exits = graph.exits;
  if (exits) {
    h.string('exits')
      .string(exits.policy)
      .string(exits.continues ? 'continues' : '');
    for (const name of exits.outputs) h.string(name);
    for (const t of exits.thresholds) h.number(t);
    for (const d of exits.decisions) {
      h.string(d.output).string(d.tensor).string(d.kind);
      if (d.int8) {
        h.number(d.int8.bound).number(d.int8.weight);
        for (const v of d.int8.table) h.number(v);
      }
    }
  }
}

/** Feeds an attribute's value: a number, string, list, subgraph or constant tensor. */
function hashAttr(h: Fnv1a, value: AttrValue): void {
  if (typeof value === 'number' || typeof value === 'string') h.string(typeof value).string(String(value));
  else if (Array.isArray(value)) {
    h.string('list').number(value.length);
    for (const v of value) h.string(String(v));
  } else if ('nodes' in value) hashGraph(h, value);
  else hashTensor(h, value);
}

/** Feeds a tensor's name, type, shape, quantization and contents. */
function hashTensor(h: Fnv1a, t: Tensor): void {
  h.string(t.name).string(t.dtype).string(t.shape.join('x'));
  if (t.quant) {
    h.string('quant').number(t.quant.axis ?? -1);
    h.bytes(bytesOf(t.quant.scale)).bytes(bytesOf(t.quant.zeroPoint));
  }
  if (t.data) h.string('data').bytes(bytesOf(t.data));
}

/** The bytes of a typed array, as they lie in memory (little-endian on every host eennc runs on). */
function bytesOf(data: TensorData | Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
