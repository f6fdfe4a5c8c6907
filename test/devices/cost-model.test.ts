// The cost model on numbers worked by hand: a 4-step schedule with an early exit after step 1, cuts at 0 (all on
// the gateway), 2 (the exit on the node) and 4 (all on the node); the latency and energy formulas of design.md, the
// objective's choice, a forced cut that does not fit and a model that fits no split.

import { describe, expect, it } from 'vitest';
import { chooseCut, evaluateCuts } from '../../src/devices/cost-model.js';
import { linkCosts } from '../../src/devices/frame.js';
import type { Footprint } from '../../src/devices/memory.js';
import type { CostInputs, Cut, DeviceSpec, LinkSpec } from '../../src/devices/types.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { loadTarget, type Target } from '../../src/target/target.js';

/** A target with the given clock, energy and memory. */
function target(name: string, hz: number, nanojoules: number, ramBytes: number): Target {
  return {
    ...loadTarget('cortex-m4'),
    name,
    clock: { hz },
    energy: { nanojoulesPerInstruction: nanojoules },
    limits: { flashBytes: 100_000, ramBytes },
  };
}

const devices: DeviceSpec[] = [
  { name: 'node', target: target('slow', 500_000, 1, 10_000) },
  { name: 'gateway', target: target('fast', 10_000_000, 2, 10_000) },
];
const link: LinkSpec = { kind: 'uart', text: 'uart:100000', baud: 100_000, bitsPerByte: 10, messageLatencyUs: 1000, nanojoulesPerByte: 50 };
const inputs: CostInputs = {
  stepNames: ['a', 'b', 'c', 'd'],
  stepInstructions: { node: [1000, 2000, 3000, 4000], gateway: [100, 200, 300, 400] },
  exitProbabilities: [0.25, 0.75],
  exitSteps: [1, 3],
};
const cuts: Cut[] = [
  { position: 0, tensor: 'input', payloadBytes: 100, nodeExits: [] },
  { position: 2, tensor: 't', payloadBytes: 30, nodeExits: [0] },
  { position: 4, payloadBytes: 0, nodeExits: [0] },
];
/** The node's framing cost to send and the gateway's to receive (both Armv7E-M here). */
const send = (frame: number) => linkCosts(devices[0]!.target).sendFixed + linkCosts(devices[0]!.target).sendPerByte * frame;
const receive = (frame: number) => linkCosts(devices[1]!.target).recvFixed + linkCosts(devices[1]!.target).recvPerByte * frame;
/** Node 500 kHz, gateway 10 MHz, in milliseconds; the line: 1 ms a message and 10 bits a byte at 100,000 baud. */
const nodeMs = (instructions: number) => instructions / 500;
const gatewayMs = (instructions: number) => instructions / 10_000;
const lineMs = (frame: number) => 1 + (frame * 10) / 100;

/** Each side fits in `ram` bytes unless the cut's position is in `over`, where the node takes 12,345 bytes. */
function footprints(over: number[]): (cut: Cut) => { node: Footprint; gateway: Footprint } {
  return (cut) => ({
    node: { flashBytes: 1000, ramBytes: over.includes(cut.position) ? 12_345 : 5000 },
    gateway: { flashBytes: 1000, ramBytes: cut.position === 4 ? 0 : 5000 },
  });
}

function errorOf(work: () => unknown): EennError {
  try {
    work();
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('evaluateCuts', () => {
  const [all, split, none] = evaluateCuts(cuts, footprints([]), inputs, devices, link);

  it('all on the node: its steps up to each exit, nothing sent', () => {
    expect(none!.label).toBe('all on node');
    expect(none!.node.instructionsByExit).toEqual([3000, 10000]);
    expect(none!.gateway.instructionsByExit).toEqual([0, 0]);
    expect(none!.linkBytes).toBe(0);
    expect(none!.latencyMs).toBeCloseTo(0.25 * nodeMs(3000) + 0.75 * nodeMs(10000), 9);
    expect(none!.energyUj).toBeCloseTo((0.25 * 3000 + 0.75 * 10000) / 1000, 9);
  });

  it('all on the gateway: the node frames the input, the gateway receives it and runs up to each exit', () => {
    const frame = 100 + 20;
    expect(all!.label).toBe('all on gateway');
    expect(all!.node.instructionsByExit).toEqual([send(frame), send(frame)]);
    expect(all!.gateway.instructionsByExit).toEqual([receive(frame) + 300, receive(frame) + 1000]);
    expect(all!.linkBytes).toBe(frame);
    const latency = (gw: number) => nodeMs(send(frame)) + lineMs(frame) + gatewayMs(gw);
    expect(all!.latencyMs).toBeCloseTo(0.25 * latency(receive(frame) + 300) + 0.75 * latency(receive(frame) + 1000), 9);
    const energy = (gw: number) => send(frame) * 1 + frame * 50 + gw * 2;
    expect(all!.energyUj).toBeCloseTo((0.25 * energy(receive(frame) + 300) + 0.75 * energy(receive(frame) + 1000)) / 1000, 9);
  });

  it('a cut after the early exit: inputs leaving there never cross the link', () => {
    const frame = 30 + 20;
    expect(split!.label).toBe('after b');
    expect(split!.node.instructionsByExit).toEqual([3000, 3000 + send(frame)]);
    expect(split!.gateway.instructionsByExit).toEqual([0, receive(frame) + 700]);
    expect(split!.node.instructions).toBeCloseTo(0.25 * 3000 + 0.75 * (3000 + send(frame)), 9);
    expect(split!.linkBytes).toBeCloseTo(0.75 * frame, 9);
    const sent = nodeMs(3000 + send(frame)) + lineMs(frame) + gatewayMs(receive(frame) + 700);
    expect(split!.latencyMs).toBeCloseTo(0.25 * nodeMs(3000) + 0.75 * sent, 9);
    const sentEnergy = 3000 + send(frame) + frame * 50 + 2 * (receive(frame) + 700);
    expect(split!.energyUj).toBeCloseTo((0.25 * 3000 + 0.75 * sentEnergy) / 1000, 9);
    expect(split!.fits).toBe(true);
    expect(split!.node).toMatchObject({ device: 'node', target: 'slow', flashBytes: 1000, ramBytes: 5000, fits: true });
  });

  it('chooses the split for latency and all on the node for energy', () => {
    const evaluations = [all!, split!, none!];
    expect(split!.latencyMs).toBeLessThan(Math.min(all!.latencyMs, none!.latencyMs));
    expect(chooseCut(evaluations, 'latency').cut.position).toBe(2);
    expect(chooseCut(evaluations, 'energy').cut.position).toBe(4);
    expect(chooseCut(evaluations, 'latency', cuts[0]).cut.position).toBe(0);
  });

  it('leaves a figure unknown (NaN) where a target does not give it', () => {
    const noClock = devices.map((d) => ({ ...d, target: { ...d.target, clock: undefined } }));
    const [first] = evaluateCuts(cuts, footprints([]), inputs, noClock, link);
    expect(first!.latencyMs).toBeNaN();
    expect(Number.isFinite(first!.energyUj)).toBe(true);
  });
});

describe('chooseCut', () => {
  it('refuses a forced cut that does not fit, saying which side and by how much', () => {
    const evaluations = evaluateCuts(cuts, footprints([2]), inputs, devices, link);
    expect(evaluations[1]!.node.overBy).toBe('RAM 12,345 B of 10,000 B: 2,345 B over');
    const err = errorOf(() => chooseCut(evaluations, 'latency', cuts[1]));
    expect(err.code).toBe('E_TARGET');
    expect(err.message).toBe('--cut 2 (after b) does not fit: node (slow) RAM 12,345 B of 10,000 B: 2,345 B over');
    expect(err.hint).toContain('0 (all on gateway), 4 (all on node)');
    // Unforced, the best cut that fits.
    expect(chooseCut(evaluations, 'latency').cut.position).toBe(4);
  });

  it('names the smallest pair that would fit when no split fits', () => {
    const evaluations = evaluateCuts(cuts, footprints([0, 2, 4]), inputs, devices, link);
    const pair = { node: loadTarget('cortex-m4'), gateway: loadTarget('cortex-m7') };
    const err = errorOf(() => chooseCut(evaluations, 'latency', undefined, () => pair));
    expect(err.code).toBe('E_TARGET');
    expect(err.message).toBe('the model fits no split between node (slow) and gateway (fast)');
    expect(err.details).toHaveLength(3);
    expect(err.details![0]).toContain('0 (all on gateway): node (slow) RAM 12,345 B');
    expect(err.hint).toBe('the smallest pair of targets on which a split fits: --devices node=cortex-m4,gateway=cortex-m7');
    expect(errorOf(() => chooseCut(evaluations, 'latency', undefined, () => undefined)).hint).toContain('no pair of shipped targets');
    // A forced cut where none fits names the pair too.
    expect(errorOf(() => chooseCut(evaluations, 'latency', cuts[0], () => pair)).hint).toBe(
      'no cut fits these devices: the smallest pair of targets on which a split fits: --devices node=cortex-m4,gateway=cortex-m7',
    );
  });
});
