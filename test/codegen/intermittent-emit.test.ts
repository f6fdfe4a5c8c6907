// What emitModel prints for an intermittent build (no compiler here: the builds run in intermittent-qemu.test.ts and
// intermittent-resume.test.ts): a function per task with its tiles, the state's layout in model.h with the sizes
// EmittedModel reports, the hooks only with NVM hooks, a model hash that changes with the split, and a task plan
// that does not cover the schedule refused.

import { beforeAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { fnv1a, stepTilings } from '../../src/codegen/intermittent.js';
import { importModel } from '../../src/frontend/index.js';
import { INTERMITTENT_SCHEDULE, naiveTasks, splitTasks, type NvmKind, type TaskPlan } from '../../src/intermittent/index.js';
import type { Graph } from '../../src/ir/graph.js';
import { planMemory, type MemoryPlan } from '../../src/schedule/memory-plan.js';

const OVERHEADS = { tileCall: 100, resume: 600, commit: 400, perByte: 0 };

describe('emitModel with intermittent tasks', () => {
  let graph: Graph;
  let plan: MemoryPlan;

  const emit = (tasks: TaskPlan) => emitModel(graph, plan, { modelName: 'fmnist', precision: 'float32', intermittent: { tasks } });
  const tiled = (nvm: NvmKind): TaskPlan => {
    const facts = stepTilings(graph, plan, 'float32').map((tiling) =>
      tiling ? { instructions: Math.min(250_000, (30_000 * tiling.units) / tiling.granule), tiling } : { instructions: 300 },
    );
    return splitTasks(plan, facts, { budget: 100_000, nvm, overheads: OVERHEADS });
  };

  beforeAll(() => {
    graph = importModel('examples/fmnist/fmnist_cnn.onnx').graph;
    plan = planMemory(graph, { ...INTERMITTENT_SCHEDULE });
  });

  it('prints a function per task, the tiles as calls of their units, and the table of tasks', () => {
    const tasks = tiled('memory-mapped');
    const modelC = emit(tasks).files.get('model.c')!;
    const tiles = tasks.tasks.flatMap((t) => t.pieces).filter((p) => p.tile);
    expect(tiles.length).toBeGreaterThan(4);
    for (const task of tasks.tasks) expect(modelC).toContain(`static int32_t eenn_task_${task.index}(void)`);
    expect(modelC).toContain(`static int32_t (*const eenn_tasks[EENN_NUM_TASKS])(void) = {`);
    const first = tiles[0]!.tile!;
    expect(modelC).toContain(`this piece: units [${first.begin}, ${first.end}) of the call's ${first.units}`);
    // The state replaces the static arena; the caller's pointers are read only by eenn_run's copies.
    expect(modelC).not.toContain('} eenn_arena;');
    expect(modelC).toContain('EENN_INPUT_AREA_0');
    expect(modelC).toContain('__attribute__((section(".eenn_nvm"), aligned(8)))');
    expect(modelC).not.toContain('eenn_nvm_write');
  });

  it("documents the state's layout in model.h, with the sizes it reports", () => {
    for (const nvm of ['memory-mapped', 'hooks'] as const) {
      const tasks = naiveTasks(plan, undefined, { nvm, budget: 100_000, overheads: OVERHEADS });
      const emitted = emit(tasks);
      const sizes = emitted.intermittent!;
      const modelH = emitted.files.get('model.h')!;
      expect(sizes.recordBytes).toBe(48);
      expect(sizes.inputsBytes).toBe(28 * 28 * 4);
      expect(sizes.outputsBytes).toBe(40);
      expect(sizes.arenaBytes).toBe(plan.arenaBytes);
      expect(sizes.stateBytes).toBe(48 + 3136 + 40 + plan.arenaBytes);
      expect(sizes.nvmBytes).toBe(sizes.stateBytes);
      expect(sizes.sramBytes).toBe(nvm === 'hooks' ? sizes.stateBytes : 0);
      expect(modelH).toContain(`#define EENN_NUM_TASKS    ${plan.steps.length}`);
      expect(modelH).toContain(`#define EENN_STATE_BYTES  ${sizes.stateBytes}u`);
      expect(modelH).toContain(`#define EENN_NVM_HOOKS    ${nvm === 'hooks' ? 1 : 0}`);
      expect(modelH).toMatch(/\*\s+48\s+3136\s+inputs:/);
      expect(modelH.includes('int32_t eenn_nvm_write(uint32_t offset, const void *data, uint32_t bytes);')).toBe(nvm === 'hooks');
      expect(modelH).toContain('int32_t eenn_status(void);');
      expect(modelH).toContain('void eenn_trace_task(int32_t task);');
    }
  });

  it('hashes model.c without its hash, so that another split gives another hash', () => {
    const hashOf = (text: string) => /#define EENN_MODEL_HASH (0x[0-9A-F]{8})u/.exec(text)![1]!;
    const naive = emit(naiveTasks(plan, undefined, { budget: 100_000, overheads: OVERHEADS })).files.get('model.c')!;
    const split = emit(tiled('memory-mapped')).files.get('model.c')!;
    const hash = hashOf(naive);
    expect(Number(hash)).toBe(fnv1a(naive.replace(`${hash}u`, '')));
    expect(hashOf(split)).not.toBe(hash);
  });

  it('leaves a plain build as it was', () => {
    const modelC = emitModel(graph, plan, { modelName: 'fmnist', precision: 'float32' }).files.get('model.c')!;
    expect(modelC).toContain('} eenn_arena;');
    expect(modelC).not.toMatch(/eenn_task_|EENN_MODEL_HASH|eenn_state/);
  });

  it('refuses tasks that do not run every step once, in order', () => {
    const tasks = naiveTasks(plan, undefined, { budget: 100_000, overheads: OVERHEADS });
    expect(() => emit({ ...tasks, tasks: tasks.tasks.slice(0, -1) })).toThrow(/does not cover the schedule/);
    const swapped = tasks.tasks.map((t, i) => ({ ...t, pieces: [{ step: i === 0 ? 1 : i === 1 ? 0 : i }] }));
    expect(() => emit({ ...tasks, tasks: swapped })).toThrow(/runs step 1 where step 0 comes next/);
  });
});
