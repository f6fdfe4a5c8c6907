// Intermittent builds of the Fashion-MNIST CNN in int8 run without failures under QEMU (cortex-m4): a task per step,
// and tiles of the convolutions cut across tasks, with memory-mapped NVM and with NVM hooks, all give the plain
// build's outputs and exits bit for bit. Failures are test/toolchain's (the power-failure harness).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { loadTarget, type Target } from '../../src/target/target.js';
import { buildFirmware, runFirmware, type FirmwareRun } from '../../src/toolchain/index.js';
import { exampleModel, intermittentPlan, tasksOf, writeProject, type ExampleModel } from './intermittent-models.js';

const SAMPLES = 3;

describe('intermittent builds of the Fashion-MNIST CNN (int8) in QEMU, without failures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eenn-intermittent-qemu-'));
  const target = loadTarget('cortex-m4');
  let hooksTarget: Target;
  let model: ExampleModel;
  let plain: FirmwareRun;

  /** Build the project in `name` and run the samples through it. */
  const run = async (name: string, project: (folder: string) => void, on: Target = target): Promise<FirmwareRun> => {
    const folder = join(dir, name);
    project(folder);
    const image = await buildFirmware(folder, on, { jobs: 2 });
    return runFirmware(image.elfPath, on, model.inputBytes, { samples: SAMPLES, timeoutMs: 60_000 });
  };

  beforeAll(async () => {
    const json = JSON.parse(readFileSync('targets/cortex-m4.json', 'utf8')) as Record<string, unknown>;
    json.nvm = { kind: 'hooks', size: '1M', note: 'external FRAM behind eenn_nvm_read/eenn_nvm_write' };
    delete json.$schema;
    mkdirSync(join(dir, 'hooks'));
    writeFileSync(join(dir, 'hooks', 'cortex-m4.json'), JSON.stringify(json));
    hooksTarget = loadTarget(join(dir, 'hooks', 'cortex-m4.json'));
    model = await exampleModel('fmnist', 'int8', SAMPLES);
    plain = await run('plain', (folder) => writeProject(folder, target, model, planMemory(model.graph)));
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectPlainBits = (got: FirmwareRun) => {
    expect(got.exits).toEqual(plain.exits);
    for (let s = 0; s < SAMPLES; s++) expect(Buffer.from(got.outputs[s]!).equals(Buffer.from(plain.outputs[s]!)), `sample ${s}`).toBe(true);
  };

  it('a task per step (memory-mapped NVM) gives the plain build bit for bit, each task traced', async () => {
    const plan = intermittentPlan(model.graph);
    const tasks = tasksOf(model, plan, 'memory-mapped', 'steps');
    let sizes;
    const got = await run('steps', (folder) => (sizes = writeProject(folder, target, model, plan, tasks).intermittent));
    expectPlainBits(got);
    expect(sizes!.sramBytes).toBe(0);
    // Every task committed, in order, and the trace's counts grow.
    const traced = got.taskInstructions[0]!;
    expect(traced).toHaveLength(tasks.tasks.length);
    for (let t = 1; t < traced.length; t++) expect(traced[t]!).toBeGreaterThan(traced[t - 1]!);
    // Commits cost little: the whole run within 3% of the plain one.
    expect(got.instructions[0]!).toBeLessThan(plain.instructions[0]! * 1.03);
  }, 120_000);

  it('tiles of the convolutions across tasks, memory-mapped and through NVM hooks, give the same bits', async () => {
    const plan = intermittentPlan(model.graph);
    const mapped = tasksOf(model, plan, 'memory-mapped', 'tiles');
    const tiles = mapped.tasks.flatMap((t) => t.pieces).filter((p) => p.tile && p.tile.end - p.tile.begin < p.tile.units);
    expect(tiles.length, 'the split cuts some step into tiles').toBeGreaterThan(2);
    expectPlainBits(await run('tiles', (folder) => writeProject(folder, target, model, plan, mapped)));

    const hooks = tasksOf(model, plan, 'hooks', 'tiles');
    let sizes;
    const got = await run('hooks-tiles', (folder) => (sizes = writeProject(folder, hooksTarget, model, plan, hooks).intermittent), hooksTarget);
    expectPlainBits(got);
    expect(sizes!.sramBytes).toBe(sizes!.stateBytes);
  }, 180_000);
});
