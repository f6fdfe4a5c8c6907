// The build loop of an intermittent build (--intermittent): plan the schedule for checkpoints, measure what each
// step costs in the target's emulator, split the steps into tasks that fit one power-on window (src/intermittent/),
// and measure the split again until every task fits. compile.ts calls it in place of the plain plan-and-emit.
// measure (a task per step, traced) -> split -> out of place where a task would overwrite its input -> verify.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EennError, inFile } from './ir/diagnostics.js';
import type { Graph } from './ir/graph.js';
import { planMemory, tensorBytes, type MemoryPlan } from './schedule/memory-plan.js';
import type { PlanOptions } from './schedule/plan-types.js';
import type { Target } from './target/target.js';
import {
  budgetFor,
  INTERMITTENT_MARGIN,
  INTERMITTENT_SCHEDULE,
  naiveTasks,
  splitUntilStable,
  stepCostsFromTrace,
  taskLimit,
  type IntermittentOptions,
  type NvmKind,
  type StepFacts,
  type Task,
  type TaskOverheads,
  type TaskPlan,
} from './intermittent/index.js';
import { stepTilings, type IntermittentSizes } from './codegen/intermittent.js';
import type { IntermittentReport, TaskReport } from './report/task-table.js';
import { makeTempDir, removeTempDir } from './util/temp-dirs.js';

/**
 * Instructions of the runtime's fixed work (templates/c/runtime/eenn_intermittent.c), on the safe side, in one place.
 * `resume` (the two record slots read and checked by their CRC-32 at the start of a window, then the dispatch) never
 * happens in a continuous run, so it stays a bound; the failure-injection harness (src/toolchain/power-failures.ts)
 * checks it by finishing every schedule whose windows all reach the budget. `commit` is what the split adds per task;
 * the measured step costs keep their own commit (COST_OVERHEADS), so a task's prediction is never short of the
 * measurement, and the verifying run measures every task with its real commit anyway.
 */
export const RUNTIME_OVERHEADS: TaskOverheads = {
  /** A tile's kernel call: its arguments, pointer arithmetic and loop set-up besides its share of the step. */
  tileCall: 400,
  /** Finding the newest valid record (two slots, each a CRC-32 over 20 bytes), restoring, dispatching to the task. */
  resume: 1500,
  /** Writing one record slot: fields, CRC-32 (a nibble table: about 12 instructions a byte), two barriers. */
  commit: 600,
  /** Hooks: each byte saved or restored through eenn_nvm_write / eenn_nvm_read (the test firmware's copy and checks). */
  perByte: 1,
};

/**
 * The overheads taken off the traced naive run to get each step's cost: the commit stays in (a lower bound of 0 for
 * it), so a task of k steps is predicted (k - 1) commits high, never low.
 */
const COST_OVERHEADS: TaskOverheads = { ...RUNTIME_OVERHEADS, commit: 0 };

/** Rounds of "measure the split, cut finer where a task is over" before the build gives up (E_BUDGET). */
const VERIFY_ROUNDS = 4;
/** How far the measured split may exceed its prediction before the tiles' call overhead is measured and it is split again. */
const TILE_MISPREDICTION = 0.03;
/** Time limit of one measuring run (one sample). */
const MEASURE_TIMEOUT_MS = 180_000;

/** What the loop needs from the compile pipeline: how it plans and emits a project (compile.ts). */
export interface IntermittentBuild<P extends IntermittentProject> {
  graph: Graph;
  target: Target;
  precision: 'int8' | 'float32';
  options: IntermittentOptions;
  /** The model file, named by the errors. */
  model: string;
  /** The firmware build's optimisation flags (measured as built). */
  optimization?: string;
  /** One sample of every model input, encoded as the firmware reads it (the costs are measured on it). */
  sample: Uint8Array;
  onProgress?: (message: string) => void;
  /** The planner's options of the build's arena policy, the arena held within `arenaBytes` (the state's room). */
  planOptions(arenaBytes: number): PlanOptions;
  /** The C project (model, traced test firmware) of `plan` split into `tasks`. */
  emit(plan: MemoryPlan, tasks: TaskPlan): P;
}

/** The parts of an emitted project the loop reads. */
export interface IntermittentProject {
  files: Map<string, string | Uint8Array>;
  /** The NVM layout of the state (EmittedModel.intermittent). */
  state: IntermittentSizes;
}

export interface IntermittentResult<P> {
  project: P;
  plan: MemoryPlan;
  tasks: TaskPlan;
  report: IntermittentReport;
}

/**
 * Split the schedule of `build.graph` into tasks that fit the budget on `build.target`, measured in its emulator, and
 * emit the project. Throws E_TARGET (no NVM, no emulator, NVM or SRAM too small) and E_BUDGET (a piece that no
 * split can make fit) before anything is written.
 */
export async function buildIntermittent<P extends IntermittentProject>(build: IntermittentBuild<P>): Promise<IntermittentResult<P>> {
  const { target, options, graph } = build;
  const nvm = requireNvm(target, build.model);
  requireEmulator(target, build.model);
  const overheads = RUNTIME_OVERHEADS;
  const limit = taskLimit(options.budget);
  const planOptions = build.planOptions(arenaRoom(graph, target, nvm));

  // 1-2: plan without fused bands, and measure every step in a task of its own (the naive split), traced.
  const measuredPlan = planMemory(graph, { ...planOptions, ...INTERMITTENT_SCHEDULE });
  const naive = naiveTasks(measuredPlan);
  const naiveProject = build.emit(measuredPlan, naive);
  checkState(naiveProject.state, target, build.model);
  build.onProgress?.(`intermittent: measuring the ${measuredPlan.steps.length} steps on ${target.name} (one sample, a task per step)`);
  const costs = stepCostsFromTrace(naive, await measureTasks(build, naiveProject, naive.tasks.length), COST_OVERHEADS);
  const tilings = stepTilings(graph, measuredPlan, build.precision);
  let facts = costs.map((instructions, i): StepFacts => ({ instructions, ...(tilings[i] ? { tiling: tilings[i] } : {}) }));

  // 3-4: split; steps that would write over their task's input in place are planned out of place (splitUntilStable).
  const split = () => {
    const splitOptions = { budget: options.budget, budgetText: options.budgetText, nvm: nvm.kind, overheads };
    return inFile(build.model, () => splitUntilStable(graph, planOptions, facts, splitOptions));
  };
  let { plan, tasks } = split();

  // 5: build the split, measure every task with its commit, and cut finer where one is over the limit; where the
  // tiles cost much more than predicted, split again with their measured call overhead and keep the cheaper split.
  let best: { project: P; plan: MemoryPlan; tasks: TaskPlan; measured: number[] } | undefined;
  const finish = (round: number): IntermittentResult<P> => {
    const { project, plan, tasks, measured } = best!;
    const report = intermittentReport(plan, tasks, measured, { options, nvm, state: project.state, rounds: round, costs });
    return { project, plan, tasks, report };
  };
  for (let round = 1; ; round++) {
    const project = build.emit(plan, tasks);
    checkState(project.state, target, build.model);
    build.onProgress?.(`intermittent: measuring the ${tasks.tasks.length} tasks on ${target.name}`);
    const measured = perTask(await measureTasks(build, project, tasks.tasks.length));
    const resume = (t: number) => overheads.resume + (nvm.kind === 'hooks' && t > 0 ? overheads.perByte * tasks.tasks[t - 1]!.liveBytesAfter : 0);
    const over = tasks.tasks.filter((task) => measured[task.index]! + resume(task.index) > limit);
    if (over.length === 0) {
      if (!best || sum(measured) < sum(best.measured)) best = { project, plan, tasks, measured };
      const calls = mispredicted(tasks, measured, nvm.kind, overheads) ? measuredTileCalls(tasks, measured, facts, nvm.kind, overheads) : undefined;
      if (round >= VERIFY_ROUNDS || !calls || calls.size === 0) return finish(round);
      build.onProgress?.(`intermittent: the tiles of ${calls.size} step${calls.size === 1 ? '' : 's'} cost more than predicted; splitting again`);
      facts = facts.map((f, step) => (calls.has(step) ? { ...f, tileCall: calls.get(step)! } : f));
      try {
        ({ plan, tasks } = split());
      } catch (err) {
        if (err instanceof EennError && err.code === 'E_BUDGET') return finish(round);
        throw err;
      }
      continue;
    }
    if (round >= VERIFY_ROUNDS) {
      if (best) return finish(round);
      throw overBudget(build, plan, tasks, over[0]!.index, measured, resume);
    }
    // The split sized these tasks from the naive run's step costs and the assumed tile call overhead. Tiles that
    // took more than assumed get their step's measured call overhead; a task of whole steps scales each step it runs
    // by what it really took.
    const calls = measuredTileCalls(tasks, measured, facts, nvm.kind, overheads);
    const ratio = new Map<number, number>();
    for (const task of over) {
      if (task.pieces.some((piece) => piece.tile)) continue;
      const predicted = predictedWithCommit(task, nvm.kind, overheads);
      for (const piece of task.pieces) ratio.set(piece.step, Math.max(ratio.get(piece.step) ?? 1, measured[task.index]! / predicted));
    }
    facts = facts.map((f, step) => ({
      ...f,
      instructions: Math.ceil(f.instructions * (ratio.get(step) ?? 1)),
      ...(calls.has(step) ? { tileCall: calls.get(step)! } : {}),
    }));
    build.onProgress?.(`intermittent: ${over.length} task${over.length === 1 ? '' : 's'} over ${limit} instructions; splitting finer`);
    try {
      ({ plan, tasks } = split());
    } catch (err) {
      // A split that fits was measured already: keep it rather than give up.
      if (best && err instanceof EennError && err.code === 'E_BUDGET') return finish(round);
      throw err;
    }
  }
}

/** Whether the measured split costs more than TILE_MISPREDICTION over its prediction. */
function mispredicted(tasks: TaskPlan, measured: number[], nvm: NvmKind, overheads: TaskOverheads): boolean {
  const predicted = tasks.tasks.map((task) => predictedWithCommit(task, nvm, overheads));
  return sum(measured) > sum(predicted) * (1 + TILE_MISPREDICTION);
}

/**
 * The call overhead of each tiled step's tiles that the measurement implies, where more than assumed: the excess of
 * a task with tiles over its prediction, shared among its tiles, on top of the step's assumed overhead; the largest
 * over the step's tasks (a tile's cost varies with where it starts, and every task must fit).
 */
function measuredTileCalls(tasks: TaskPlan, measured: number[], facts: StepFacts[], nvm: NvmKind, overheads: TaskOverheads): Map<number, number> {
  const calls = new Map<number, number>();
  for (const task of tasks.tasks) {
    const tiled = task.pieces.filter((piece) => piece.tile);
    if (tiled.length === 0) continue;
    const excess = measured[task.index]! - predictedWithCommit(task, nvm, overheads);
    if (excess <= 0) continue;
    for (const piece of tiled) {
      const call = (facts[piece.step]!.tileCall ?? overheads.tileCall) + Math.ceil(excess / tiled.length);
      calls.set(piece.step, Math.max(calls.get(piece.step) ?? 0, call));
    }
  }
  return calls;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A task's predicted instructions with its commit (and, for hooks, the save of its live bytes). */
function predictedWithCommit(task: Task, nvm: NvmKind, overheads: TaskOverheads): number {
  return task.instructions + overheads.commit + (nvm === 'hooks' ? overheads.perByte * task.liveBytesAfter : 0);
}

/** Each task's instructions from the cumulative counts at the end of each commit. */
function perTask(cumulative: number[]): number[] {
  return cumulative.map((n, t) => n - (t === 0 ? 0 : cumulative[t - 1]!));
}

type Nvm = NonNullable<Target['nvm']>;

function requireNvm(target: Target, model: string): Nvm {
  if (target.nvm) return target.nvm;
  throw new EennError({
    code: 'E_TARGET',
    file: model,
    message: `target ${target.name} describes no non-volatile memory, which an intermittent build checkpoints to`,
    hint: `copy ${target.file} and add "nvm": { "kind": "memory-mapped", "region": "NVM", "size": "1M" } (a region of memoryMap) or "nvm": { "kind": "hooks", "size": "512K" } (your eenn_nvm_read/eenn_nvm_write), then pass --target with the copy's path`,
  });
}

function requireEmulator(target: Target, model: string): void {
  if (target.emulator && target.counter.source === 'systick') return;
  throw new EennError({
    code: 'E_TARGET',
    file: model,
    message: `target ${target.name} has no emulator: an intermittent build measures the cost of every step in the emulator of the target's CPU to size its tasks`,
    hint: 'build for the emulated target of the same core (eennc targets lists them, e.g. --target cortex-m4), or for a copy of its file with your chip\'s "nvm" and memory: its instruction counts are those of your core',
  });
}

/**
 * The arena the planner may use: memory-mapped NVM holds the arena beside the record slots and the captured inputs
 * and outputs; with hooks the arena lives in SRAM (mirrored in NVM), beside the stack and the inputs and outputs.
 */
function arenaRoom(graph: Graph, target: Target, nvm: Nvm): number {
  const io = [...graph.inputs, ...graph.outputs].reduce((n, name) => n + align8(tensorBytes(graph.tensors.get(name)!)), 0);
  const records = 64;
  const nvmRoom = nvm.sizeBytes - io - records;
  if (nvm.kind === 'memory-mapped') return Math.max(0, nvmRoom);
  const sram = target.limits.ramBytes === null ? Infinity : target.limits.ramBytes - target.stackBytes - io - records;
  return Math.max(0, Math.min(nvmRoom, sram));
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}

/** NVM too small for the state, or SRAM too small for what stays there: E_TARGET with the numbers, before any run. */
function checkState(state: IntermittentSizes, target: Target, model: string): void {
  const nvm = target.nvm!;
  const layout = `record slots ${state.recordBytes}, captured inputs ${state.inputsBytes}, outputs ${state.outputsBytes}, arena ${state.arenaBytes}`;
  if (state.nvmBytes > nvm.sizeBytes) {
    throw new EennError({
      code: 'E_TARGET',
      file: model,
      message: `the intermittent state needs ${state.nvmBytes} bytes of non-volatile memory (${layout}); ${target.name} offers ${nvm.sizeBytes} (nvm.size in ${target.file})`,
      hint: 'give a target file whose "nvm" has a larger "size" (the memory your chip or external FRAM has), or make the model smaller (--precision int8 takes a quarter of the arena)',
    });
  }
  const ram = target.limits.ramBytes;
  if (ram !== null && state.sramBytes + target.stackBytes > ram) {
    throw new EennError({
      code: 'E_TARGET',
      file: model,
      message: `the intermittent build needs ${state.sramBytes + target.stackBytes} bytes of SRAM (state ${state.sramBytes}, stack ${target.stackBytes}); ${target.name} has ${ram}`,
      hint:
        nvm.kind === 'hooks'
          ? 'with hooks the arena lives in SRAM: choose a target with more RAM, a memory-mapped NVM (the arena then lives there), or make the model smaller'
          : 'choose a target with more RAM (eennc targets), or make the model smaller',
    });
  }
}

/**
 * Build `project` in a temporary folder (the traced test firmware) and run the sample once: the cumulative
 * instructions at the end of each task's commit. A model with exits runs past every exit, so every step is measured.
 */
async function measureTasks(build: IntermittentBuild<IntermittentProject>, project: IntermittentProject, taskCount: number): Promise<number[]> {
  const { buildFirmware, runFirmware } = await import('./toolchain/index.js');
  const dir = await makeTempDir('eennc-intermittent-');
  try {
    for (const [path, content] of project.files) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await writeFile(join(dir, path), content);
    }
    const built = await buildFirmware(dir, build.target, { optimization: build.optimization });
    // The firmware of an intermittent build traces its tasks (EENN_TRACE_TASKS); one with exits runs past them all.
    const options = { samples: 1, timeoutMs: MEASURE_TIMEOUT_MS, continuePastExits: build.graph.exits !== undefined };
    const run = await runFirmware(built.elfPath, build.target, build.sample, options);
    const counts = run.taskInstructions[0] ?? [];
    if (counts.length !== taskCount || counts.some((n) => n === null)) {
      throw new EennError({
        code: 'E_RUN',
        file: build.model,
        message: `the measuring run of the intermittent build reported ${counts.filter((n) => n !== null).length} of its ${taskCount} tasks`,
        hint: 'the firmware did not trace every task: this is a bug in eennc; report it with the model',
      });
    }
    return counts as number[];
  } catch (err) {
    // The measuring project's folder is gone when the user reads the error: name the model instead.
    if (err instanceof EennError && err.file?.startsWith(dir)) {
      const hint = 'the measuring firmware of the intermittent build failed: this is a bug in eennc; report it with the model and the options';
      throw new EennError({ ...err.toInfo(), file: build.model, hint });
    }
    throw err;
  } finally {
    await removeTempDir(dir);
  }
}

/** Headroom of the budget an E_BUDGET error suggests from a measured task (see overBudget). */
const MEASURED_HEADROOM = 1.05;

/** E_BUDGET for a task still over the limit after the last round: its pieces, what it took, the budget that works. */
function overBudget(
  build: IntermittentBuild<IntermittentProject>,
  plan: MemoryPlan,
  tasks: TaskPlan,
  index: number,
  measured: number[],
  resume: (task: number) => number,
): EennError {
  const task = tasks.tasks[index]!;
  const needs = measured[index]! + resume(index);
  // Tasks of one step differ a little (a tile at the border of the image costs more than one inside it): what this
  // task measured, with MEASURED_HEADROOM, is a budget that works for its neighbours too.
  const smallest = budgetFor(Math.ceil(needs * MEASURED_HEADROOM));
  return new EennError({
    code: 'E_BUDGET',
    file: build.model,
    message:
      `task ${index} (${task.pieces.map((p) => pieceText(plan, p)).join('; ')}) measured ${needs} instructions with its resume and commit; ` +
      `${build.options.budgetText} allows ${taskLimit(build.options.budget)} per task`,
    hint: `give --budget ${smallest} or more`,
  });
}

/** "step 3 /conv1/Conv (QConv)", with its tile: "units [0, 7) of 14" (output rows or channels). */
export function pieceText(plan: MemoryPlan, piece: Task['pieces'][number]): string {
  const step = plan.steps[piece.step]!;
  const node = step.nodes[0]!;
  const tile = piece.tile ? ` units [${piece.tile.begin}, ${piece.tile.end}) of ${piece.tile.units}` : '';
  return `step ${piece.step} ${node.name} (${step.nodes.map((n) => n.op).join('+')})${tile}`;
}

/** The report's tasks section (src/report/task-table.ts). */
function intermittentReport(
  plan: MemoryPlan,
  tasks: TaskPlan,
  measured: number[],
  context: { options: IntermittentOptions; nvm: Nvm; state: IntermittentSizes; rounds: number; costs: number[] },
): IntermittentReport {
  const { overheads } = tasks;
  const rows = tasks.tasks.map((task): TaskReport => ({
    task: task.index,
    pieces: task.pieces.map((p) => pieceText(plan, p)),
    predicted_instructions: predictedWithCommit(task, context.nvm.kind, overheads),
    measured_instructions: measured[task.index] ?? null,
    committed_bytes: task.liveBytesAfter,
  }));
  const { state } = context;
  return {
    budget: context.options.budget,
    budget_text: context.options.budgetText,
    margin: INTERMITTENT_MARGIN,
    task_limit: taskLimit(context.options.budget),
    overheads: { resume: overheads.resume, commit: overheads.commit, tile_call: overheads.tileCall, per_byte: overheads.perByte },
    out_of_place: tasks.outOfPlace,
    rounds: context.rounds,
    measured_instructions: measured.reduce((a, b) => a + b, 0),
    step_instructions: context.costs,
    memory: {
      nvm_kind: context.nvm.kind,
      nvm_bytes: state.nvmBytes,
      nvm_size_bytes: context.nvm.sizeBytes,
      sram_bytes: state.sramBytes,
      record_bytes: state.recordBytes,
      inputs_bytes: state.inputsBytes,
      outputs_bytes: state.outputsBytes,
      arena_bytes: state.arenaBytes,
    },
    tasks: rows,
  };
}
