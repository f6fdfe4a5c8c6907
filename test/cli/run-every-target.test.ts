// End to end through the command line: the Fashion-MNIST examples built for every target, run in QEMU (natively on
// host), must print the right class for their labelled test images and match the float reference.

import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readNpy } from '../../src/data/index.js';
import { loadAllTargets } from '../../src/target/target.js';
import { eennc } from './cli-helpers.js';

const BIG = 'examples/fmnist/fmnist_cnn.onnx';
const SMALL = 'examples/fmnist_small/fmnist_small.onnx';

/**
 * The float32 Fashion-MNIST CNN needs ~430 KB of flash and ~80 KB of RAM; targets with less (cortex-m0plus,
 * cortex-m3) run the small example, sized for them.
 */
function exampleFor(limits: { flashBytes: number | null; ramBytes: number | null }): string {
  const small = (limits.flashBytes !== null && limits.flashBytes <= 512 * 1024) || (limits.ramBytes !== null && limits.ramBytes < 128 * 1024);
  return small ? 'fmnist_small' : 'fmnist';
}

interface RunJson {
  model: string;
  target: string;
  precision: string;
  memory: { flash_bytes: number; ram_bytes: number; arena_bytes: number; stack_bytes: number };
  samples: { outputs: Record<string, number[]>; exit: string; instructions: number | null }[];
  pass?: boolean;
}

const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);

/** The targets whose firmware runs here: in QEMU (boards QEMU models included) or natively. */
const runnable = loadAllTargets().filter((target) => target.emulator || target.kind === 'host');

describe('eennc run on every target', () => {
  it('has both examples', () => {
    expect(existsSync(BIG)).toBe(true);
    expect(existsSync(SMALL)).toBe(true);
  });

  for (const target of runnable) {
    it(`${target.name}: predicts the labelled classes`, async () => {
      const example = exampleFor(target.limits);
      const model = example === 'fmnist' ? BIG : SMALL;
      const dir = `examples/${example}`;
      const labels = Array.from(readNpy(`${dir}/test_labels.npy`).data as ArrayLike<number>, Number).slice(0, 4);
      const r = await eennc(
        'run',
        model,
        '--precision',
        'float32',
        '--target',
        target.name,
        '--input',
        `${dir}/test_inputs.npy`,
        '--count',
        '4',
        '--json',
      );
      expect(r.stderr).not.toContain('error');
      expect(r.exitCode).toBe(0);
      const json = JSON.parse(r.stdout) as RunJson;
      expect(json.target).toBe(target.name);
      expect(json.precision).toBe('float32');
      expect(json.samples).toHaveLength(4);
      expect(json.samples.map((s) => argmax(s.outputs.logits!))).toEqual(labels);
      for (const s of json.samples) {
        expect(s.exit).toBe('final');
        if (target.kind === 'host') expect(s.instructions).toBeNull();
        else expect(s.instructions).toBeGreaterThan(10_000);
      }
      expect(json.memory.arena_bytes).toBeGreaterThan(0);
      if (target.limits.flashBytes !== null) expect(json.memory.flash_bytes).toBeLessThanOrEqual(target.limits.flashBytes);
      if (target.limits.ramBytes !== null) expect(json.memory.ram_bytes).toBeLessThanOrEqual(target.limits.ramBytes);
    });
  }
});

describe('eennc test, int8, on every target', () => {
  // int8 weights are a quarter of float32: the full CNN fits every target.
  for (const target of runnable) {
    it(`${target.name}: bit-exact with the int8 reference and predicts the labelled classes`, async () => {
      const labels = Array.from(readNpy('examples/fmnist/test_labels.npy').data as ArrayLike<number>, Number).slice(0, 4);
      const r = await eennc(
        'test',
        BIG,
        '--target',
        target.name,
        '--calib',
        'examples/fmnist/calib_u8.npy',
        '--calib-scale',
        '1/255',
        '--calib-count',
        '100',
        '--data',
        'examples/fmnist/test_inputs.npy',
        '--count',
        '4',
        '--json',
      );
      expect(r.exitCode).toBe(0);
      const json = JSON.parse(r.stdout) as RunJson & { comparisons: { mismatches: number }[] };
      expect(json.precision).toBe('int8');
      expect(json.pass).toBe(true);
      expect(json.comparisons.map((c) => c.mismatches)).toEqual([0, 0, 0, 0]);
      // Outputs are reported dequantized to float.
      expect(json.samples.map((s) => argmax(s.outputs.logits!))).toEqual(labels);
      if (target.limits.flashBytes !== null) expect(json.memory.flash_bytes).toBeLessThanOrEqual(target.limits.flashBytes);
    });
  }
});
