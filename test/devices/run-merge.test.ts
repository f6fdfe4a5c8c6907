// The two devices' stats.bin and output.bin merged per sample, on hand-made files: answered on the node, answered
// by the gateway (matched by sequence number, outputs placed by name in the whole layout, exits renumbered), the
// record's error for a damaged frame, 'lost' for a frame with no record, instructions from run and link ticks.

import { describe, expect, it } from 'vitest';
import { loadTarget } from '../../src/target/target.js';
import { mergeDeviceRecords, parseGatewayStats, parseNodeStats, UNKNOWN_SEQ, type MergeInput } from '../../src/devices-run.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { LINK_STATUS } from '../../src/devices/frame.js';

const m0plus = loadTarget('cortex-m0plus');
const m7 = loadTarget('cortex-m7');
const host = loadTarget('host');

/** The stats.bin trailer's magic and flags (templates/c/firmware/main.c.hbs). */
const MAGIC = 0x4e4e4545;
const TICKS_MEASURED = 1;
const STACK_MEASURED = 2;

interface Row {
  exit: number;
  flags: number;
  runTicks: number;
  seq: number;
  frameBytes: number;
  linkTicks: number;
}

/** A device stats.bin: 32-byte records, then the 16-byte trailer. */
function statsBin(rows: Row[], stack: number, flags = TICKS_MEASURED | STACK_MEASURED, count = rows.length): Uint8Array {
  const bytes = new Uint8Array(rows.length * 32 + 16);
  const view = new DataView(bytes.buffer);
  rows.forEach((row, i) => {
    const at = i * 32;
    view.setInt32(at, row.exit, true);
    view.setUint32(at + 4, row.flags, true);
    view.setBigUint64(at + 8, BigInt(row.runTicks), true);
    view.setUint32(at + 16, row.seq, true);
    view.setUint32(at + 20, row.frameBytes, true);
    view.setBigUint64(at + 24, BigInt(row.linkTicks), true);
  });
  const trailer = rows.length * 32;
  view.setUint32(trailer, MAGIC, true);
  view.setUint32(trailer + 4, count, true);
  view.setUint32(trailer + 8, stack, true);
  view.setUint32(trailer + 12, flags, true);
  return bytes;
}

const filled = (length: number, value: number): number[] => Array.from({ length }, () => value);

// A whole graph with three exits (outputs e0, e1: 2 bytes each, final: 3 bytes); the node decides e0 (j = 1) and
// sends "cut" (4 bytes); the gateway's outputs are e1 and final.
const node = {
  name: 'node',
  target: m0plus,
  outputs: [
    { name: 'e0', bytes: 2 },
    { name: 'cut', bytes: 4 },
  ],
};
const gateway = {
  name: 'gateway',
  target: m7,
  outputs: [
    { name: 'e1', bytes: 2 },
    { name: 'final', bytes: 3 },
  ],
};
const whole = [
  { name: 'e0', bytes: 2 },
  { name: 'e1', bytes: 2 },
  { name: 'final', bytes: 3 },
];
const FRAME = 24;

function mergeInput(): MergeInput {
  // Sample 0 leaves at the node's exit; 1 is answered at the gateway's final exit; 2 at its first exit; 3's frame
  // failed its CRC; 4's frame never arrived; 5's could not be sent.
  const nodeRows: Row[] = [
    { exit: 0, flags: 1, runTicks: 1000, seq: 0, frameBytes: 0, linkTicks: 0 },
    { exit: 1, flags: 1, runTicks: 2000, seq: 1, frameBytes: FRAME, linkTicks: 300 },
    { exit: 1, flags: 1, runTicks: 2000, seq: 2, frameBytes: FRAME, linkTicks: 300 },
    { exit: 1, flags: 1, runTicks: 2000, seq: 3, frameBytes: FRAME, linkTicks: 300 },
    { exit: 1, flags: 1, runTicks: 2000, seq: 4, frameBytes: FRAME, linkTicks: 300 },
    { exit: 1, flags: 3, runTicks: 2000, seq: 5, frameBytes: 0, linkTicks: 300 },
  ];
  const gatewayRows: Row[] = [
    { exit: 1, flags: LINK_STATUS.ok, runTicks: 500, seq: 1, frameBytes: FRAME, linkTicks: 40 },
    { exit: -1, flags: LINK_STATUS.crc, runTicks: 0, seq: 2, frameBytes: FRAME, linkTicks: 40 },
    { exit: 0, flags: LINK_STATUS.ok, runTicks: 400, seq: 2, frameBytes: FRAME, linkTicks: 40 },
    { exit: -1, flags: LINK_STATUS.crc, runTicks: 0, seq: 3, frameBytes: FRAME, linkTicks: 40 },
    { exit: -1, flags: LINK_STATUS.timeout, runTicks: 0, seq: UNKNOWN_SEQ, frameBytes: 0, linkTicks: 40 },
  ];
  // Node rows: e0 then cut; gateway rows: e1 then final; each byte says its sample / record.
  const nodeOutputs = Uint8Array.from(nodeRows.flatMap((_, i) => [...filled(2, 10 + i), ...filled(4, 50 + i)]));
  const gatewayOutputs = Uint8Array.from(gatewayRows.flatMap((_, i) => [...filled(2, 100 + i), ...filled(3, 200 + i)]));
  return {
    node,
    gateway,
    nodeExits: 1,
    outputs: whole,
    exitOutputs: ['e0', 'e1', 'final'],
    samples: nodeRows.length,
    nodeStats: parseNodeStats(statsBin(nodeRows, 900), nodeRows.length),
    gatewayStats: parseGatewayStats(statsBin(gatewayRows, 1500)),
    nodeOutputs,
    gatewayOutputs,
  };
}

describe('parseNodeStats / parseGatewayStats', () => {
  it('reads the records, the stack high-water mark and the flags', () => {
    const input = mergeInput();
    expect(input.nodeStats.stackBytes).toBe(900);
    expect(input.nodeStats.records[1]).toEqual({
      exit: 1,
      ticksMeasured: true,
      sendFailed: false,
      runTicks: 2000,
      seq: 1,
      frameBytes: FRAME,
      linkTicks: 300,
    });
    expect(input.gatewayStats.records).toHaveLength(5);
    expect(input.gatewayStats.records[4]).toMatchObject({ exit: -1, status: LINK_STATUS.timeout, seq: UNKNOWN_SEQ });
    expect(input.gatewayStats.stackBytes).toBe(1500);
    expect(parseGatewayStats(statsBin([], 0, 0)).stackBytes).toBeNull();
  });

  it('rejects a file that is not whole records and a trailer, or holds another count', () => {
    const rows: Row[] = [{ exit: 0, flags: 0, runTicks: 0, seq: 0, frameBytes: 0, linkTicks: 0 }];
    expect(() => parseNodeStats(statsBin(rows, 0).subarray(4), 1)).toThrow(/not whole 32-byte records/);
    expect(() => parseNodeStats(statsBin(rows, 0), 2)).toThrow(/expected 2/);
    expect(() => parseGatewayStats(statsBin(rows, 0, 0, 3))).toThrow(EennError);
    const noMagic = statsBin(rows, 0);
    noMagic[32] = 0;
    expect(() => parseGatewayStats(noMagic)).toThrow(/trailer/);
  });
});

describe('mergeDeviceRecords', () => {
  const samples = mergeDeviceRecords(mergeInput());
  /** Instructions of SysTick ticks under -icount shift=N (each instruction 2^N ns), as ticksToInstructions says. */
  const instructions = (target: typeof m7, ticks: number): number => {
    if (target.counter.source !== 'systick' || !target.emulator) throw new Error('no counter');
    return Math.round((ticks * 1e9) / target.counter.hz / 2 ** target.emulator.icountShift);
  };

  it('keeps an answer of the node, its output alone in the whole layout', () => {
    expect(samples[0]).toEqual({
      device: 'node',
      exitIndex: 0,
      outputs: Uint8Array.from([10, 10, 0, 0, 0, 0, 0]),
      bytesSent: 0,
      instructions: { node: instructions(m0plus, 1000), gateway: 0 },
    });
  });

  it('takes the gateway answer with the sample sequence number, its exit after the node exits', () => {
    expect(samples[1]).toEqual({
      device: 'gateway',
      exitIndex: 2,
      outputs: Uint8Array.from([0, 0, 0, 0, 200, 200, 200]),
      bytesSent: FRAME,
      instructions: { node: instructions(m0plus, 2300), gateway: instructions(m7, 540) },
    });
    // A good record wins over an earlier damaged one of the same sample.
    expect(samples[2]).toMatchObject({ device: 'gateway', exitIndex: 1, outputs: Uint8Array.from([0, 0, 102, 102, 0, 0, 0]) });
  });

  it('reports a damaged frame by its error and a missing one as lost, never with an answer', () => {
    expect(samples[3]).toEqual({
      device: null,
      exitIndex: -1,
      outputs: new Uint8Array(7),
      bytesSent: FRAME,
      instructions: { node: instructions(m0plus, 2300), gateway: instructions(m7, 40) },
      linkError: 'crc',
    });
    expect(samples[4]).toMatchObject({ device: null, exitIndex: -1, linkError: 'lost', instructions: { gateway: null } });
    // The node's link failed to send sample 5's frame.
    expect(samples[5]).toMatchObject({ device: null, exitIndex: -1, linkError: 'io', bytesSent: 0 });
  });

  it('places every output by name without exits, and gives null instructions where nothing counts them', () => {
    // Position 0 on host processes: the node has no model and sends the input; the gateway answers with two outputs.
    const rows: Row[] = [{ exit: 0, flags: 0, runTicks: 0, seq: 0, frameBytes: 30, linkTicks: 0 }];
    const gatewayRows: Row[] = [{ exit: 0, flags: LINK_STATUS.ok, runTicks: 0, seq: 0, frameBytes: 30, linkTicks: 0 }];
    const [sample] = mergeDeviceRecords({
      node: { name: 'sensor', target: host, outputs: [] },
      gateway: {
        name: 'hub',
        target: host,
        outputs: [
          { name: 'b', bytes: 1 },
          { name: 'a', bytes: 2 },
        ],
      },
      nodeExits: 0,
      outputs: [
        { name: 'a', bytes: 2 },
        { name: 'b', bytes: 1 },
      ],
      samples: 1,
      nodeStats: parseNodeStats(statsBin(rows, 0, 0), 1),
      gatewayStats: parseGatewayStats(statsBin(gatewayRows, 0, 0)),
      nodeOutputs: new Uint8Array(0),
      gatewayOutputs: Uint8Array.from([7, 8, 9]),
    });
    expect(sample).toEqual({
      device: 'hub',
      exitIndex: 0,
      outputs: Uint8Array.from([8, 9, 7]),
      bytesSent: 30,
      instructions: { sensor: null, hub: null },
    });
  });

  it('rejects an output.bin that is not whole records', () => {
    const input = mergeInput();
    expect(() => mergeDeviceRecords({ ...input, gatewayOutputs: input.gatewayOutputs.subarray(1) })).toThrow(
      /gateway: output.bin holds 24 bytes, not 5 records of 5/,
    );
  });
});
