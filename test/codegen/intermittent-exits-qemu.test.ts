// Intermittent builds with early exits (the BranchyNet example, int8) and in float32 (the Fashion-MNIST CNN) run
// without failures under QEMU (cortex-m4): the exits taken and the outputs they answer with equal the plain build's
// bit for bit, with a task per step and with tiles (where the kernels have tilers) across tasks.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tensorBytes } from '../../src/schedule/memory-plan.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import type { TaskPlan } from '../../src/intermittent/index.js';
import { buildFirmware, runFirmware, type FirmwareRun } from '../../src/toolchain/index.js';
import { exampleModel, intermittentPlan, tasksOf, writeProject, type ExampleModel } from './intermittent-models.js';

const SAMPLES = 6;

describe('intermittent builds with early exits and in float32, in QEMU, without failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-intermittent-exits-'));
  const target = loadTarget('cortex-m4');

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (name: string, model: ExampleModel, tasks?: TaskPlan): Promise<FirmwareRun> => {
    const folder = join(dir, name);
    writeProject(folder, target, model, tasks ? intermittentPlan(model.graph) : planMemory(model.graph), tasks);
    const image = await buildFirmware(folder, target, { jobs: 2 });
    return runFirmware(image.elfPath, target, model.inputBytes, { samples: model.samples, timeoutMs: 60_000 });
  };

  /** The bytes of the outputs an exit answers with (its own output and those of the exits before it) in one sample. */
  const answered = (model: ExampleModel, bytes: Uint8Array, exit: number): Buffer[] => {
    const graph = model.graph;
    const exits = graph.exits?.outputs ?? graph.outputs;
    let at = 0;
    return graph.outputs.flatMap((name) => {
      const n = tensorBytes(graph.tensors.get(name)!);
      const slice = Buffer.from(bytes.subarray(at, at + n));
      at += n;
      const first = exits.indexOf(name);
      return first >= 0 && first <= exit ? [slice] : [];
    });
  };

  it('the BranchyNet example (int8): the same exits and answers, a task per step and in tiles', async () => {
    const model = await exampleModel('branchy', 'int8', SAMPLES);
    const plan = intermittentPlan(model.graph);
    const plain = await run('branchy-plain', model);
    expect(new Set(plain.exits).size, `exits taken: ${plain.exits.join(',')}`).toBeGreaterThan(1);
    for (const kind of ['steps', 'tiles'] as const) {
      const got = await run(`branchy-${kind}`, model, tasksOf(model, plan, 'memory-mapped', kind));
      expect(got.exits, kind).toEqual(plain.exits);
      for (let s = 0; s < SAMPLES; s++) {
        expect(answered(model, got.outputs[s]!, got.exits[s]!), `${kind}, sample ${s}`).toEqual(answered(model, plain.outputs[s]!, plain.exits[s]!));
      }
    }
  }, 240_000);

  it('the Fashion-MNIST CNN in float32: the same bits, a task per step and in tiles', async () => {
    const model = await exampleModel('fmnist', 'float32', 2);
    const plan = intermittentPlan(model.graph);
    const plain = await run('float-plain', model);
    for (const kind of ['steps', 'tiles'] as const) {
      const got = await run(`float-${kind}`, model, tasksOf(model, plan, 'memory-mapped', kind));
      expect(got.exits).toEqual(plain.exits);
      for (let s = 0; s < model.samples; s++)
        expect(Buffer.from(got.outputs[s]!).equals(Buffer.from(plain.outputs[s]!)), `${kind}, sample ${s}`).toBe(true);
    }
  }, 240_000);
});
