// Each side's flash and RAM: all on the node is the single-device build's estimate (compile.ts's report and fit
// check), a node without a model holds the input it sends and the link code, a gateway with nothing to do nothing;
// and the smallest pair of targets on which some cut fits.

import { beforeAll, describe, expect, it } from 'vitest';
import { firmwareBufferBytes } from '../../src/codegen/firmware.js';
import { projectSizer, type CompileResult } from '../../src/compile.js';
import { branchySplits } from './branchy-splits.js';
import { fitOf, LINK_CODE_BYTES, sideMemory, smallestFittingPair, type ProjectSizer } from '../../src/devices/memory.js';
import type { SplitGraphs } from '../../src/devices/types.js';
import { loadTarget, type Target } from '../../src/target/target.js';

/** The sizes compile.ts's fit check works from. */
const sizer: ProjectSizer = projectSizer('float32');
const CODE_BYTES = sizer.codeBytes;

const M4 = loadTarget('cortex-m4');

/** cortex-m4 with other limits. */
function sized(name: string, flashBytes: number, ramBytes: number): Target {
  return { ...M4, name, limits: { flashBytes, ramBytes } };
}

describe('sideMemory on examples/fmnist_branchy (float32)', () => {
  let whole: CompileResult;
  let splits: SplitGraphs[];
  beforeAll(async () => {
    ({ whole, splits } = await branchySplits());
  }, 60_000);

  it('all on the node: the single-device estimate; the gateway: nothing', () => {
    const last = splits.at(-1)!;
    const memory = whole.report.memory;
    expect(sideMemory(last, 'node', M4, sizer)).toEqual({
      flashBytes: memory.flash_bytes,
      ramBytes: memory.ram_bytes + firmwareBufferBytes(whole.inputBytes, whole.outputBytes),
    });
    expect(sideMemory(last, 'gateway', M4, sizer)).toEqual({ flashBytes: 0, ramBytes: 0 });
  });

  it('all on the gateway: the node holds the input and the link code, the gateway the whole model and the link', () => {
    const first = splits[0]!;
    expect(sideMemory(first, 'node', M4, sizer)).toEqual({
      flashBytes: CODE_BYTES + LINK_CODE_BYTES,
      ramBytes: M4.stackBytes + firmwareBufferBytes([first.cut.payloadBytes], []),
    });
    expect(sideMemory(first, 'gateway', M4, sizer).flashBytes).toBe(whole.report.memory.flash_bytes + LINK_CODE_BYTES);
  });

  it('a cut between: the weights split between the sides', () => {
    const middle = splits.find((s) => s.node && s.gateway)!;
    const node = sideMemory(middle, 'node', M4, sizer);
    const gateway = sideMemory(middle, 'gateway', M4, sizer);
    const weights = (bytes: number) => bytes - CODE_BYTES - LINK_CODE_BYTES;
    expect(weights(node.flashBytes)).toBeGreaterThan(0);
    expect(weights(gateway.flashBytes)).toBeGreaterThan(0);
    expect(weights(node.flashBytes) + weights(gateway.flashBytes)).toBe(whole.report.memory.weights_bytes);
  });

  it('says what is over and by how much', () => {
    expect(fitOf({ flashBytes: 10, ramBytes: 41_212 }, sized('small', 100, 32_768))).toEqual({
      fits: false,
      overBy: 'RAM 41,212 B of 32,768 B: 8,444 B over',
    });
    expect(fitOf({ flashBytes: 101, ramBytes: 41_212 }, sized('small', 100, 32_768)).overBy).toBe(
      'flash 101 B of 100 B: 1 B over; RAM 41,212 B of 32,768 B: 8,444 B over',
    );
    expect(fitOf({ flashBytes: 100, ramBytes: 32_768 }, sized('small', 100, 32_768))).toEqual({ fits: true });
  });

  it('finds the smallest pair of targets on which some cut fits', () => {
    const node0 = sideMemory(splits[0]!, 'node', M4, sizer);
    const gatewayAll = sideMemory(splits[0]!, 'gateway', M4, sizer);
    // "input": just the node of the cut at 0; "whole": the whole model (with the link); "none": nothing.
    const input = sized('input', node0.flashBytes, node0.ramBytes);
    const whole0 = sized('whole', gatewayAll.flashBytes, gatewayAll.ramBytes);
    const none = sized('none', 1024, 1024);
    const pair = smallestFittingPair(splits, sizer, undefined, [whole0, input, none]);
    expect([pair?.node.name, pair?.gateway.name]).toEqual(['input', 'whole']);
    expect(smallestFittingPair(splits, sizer, undefined, [input, none])).toBeUndefined();
    // A target that holds the whole model only without the link code: all on the node, with the smallest gateway.
    const alone = sized('alone', gatewayAll.flashBytes - LINK_CODE_BYTES, gatewayAll.ramBytes);
    const shared = smallestFittingPair(splits, sizer, undefined, [alone, none]);
    expect([shared?.node.name, shared?.gateway.name]).toEqual(['alone', 'none']);
  });
});
