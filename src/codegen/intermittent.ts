// Codegen of an intermittent build: the tasks of a TaskPlan (src/intermittent) as model.c prints them (one function
// per task: its pieces' kernel calls and the early-exit decisions after their steps), the state that lives in NVM
// (record slots, captured inputs, outputs, arena) with the offset of every field, the bytes a hooks-mode commit
// saves at each cut, and the model hash that keeps a record of another firmware from being resumed. emit-model.ts
// calls it when EmitOptions.intermittent is set; templates/c/model/intermittent.{c,h}.hbs print it.

import type { Graph } from '../ir/graph.js';
import type { Piece, Task, TaskPlan } from '../intermittent/index.js';
import { CallArgs } from '../kernels/call-args.js';
import type { KernelCall } from '../kernels/call.js';
import { contractOf } from '../kernels/registry.js';
import { planAccesses } from '../intermittent/index.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import { tensorBytes } from '../schedule/memory-plan.js';
import { commentText, formatCount } from './c-format.js';
import type { ConstantTable } from './constants.js';
import type { PrintedExit } from './exits.js';
import { lowerGraph } from './lower-float.js';
import { lowerInt8Graph } from './lower-int8.js';
import type { LoweredGraphStep } from './lower-steps.js';
import type { OutputCopy } from './model-io.js';
import { printCall, type PrintedCall, type PrintedStep } from './print-steps.js';
import { inputAreaMacro, outputAreaMacro, type TensorStorage } from './storage.js';

/** What emitModel needs to print an intermittent build: the split of the schedule into tasks. */
export interface IntermittentEmit {
  tasks: TaskPlan;
}

/** Sizes of the state of an intermittent build (EmittedModel.intermittent), in bytes. */
export interface IntermittentSizes {
  /** The whole state (struct eenn_state): record slots, inputs, outputs, arena. */
  stateBytes: number;
  /** NVM the model uses: the state's bytes, at the same offsets, in either kind of NVM. */
  nvmBytes: number;
  /** The two record slots. */
  recordBytes: number;
  inputsBytes: number;
  outputsBytes: number;
  arenaBytes: number;
  /** The state kept in SRAM: all of it with hooks (the NVM holds the copy), none when NVM is memory-mapped. */
  sramBytes: number;
}

/** One slot of the record (eenn_intermittent.h: EENN_RECORD_BYTES, checked by model.c at compile time). */
export const RECORD_BYTES = 24;
const RECORD_SLOTS = 2;
/** Every area of the state, and every tensor in the inputs and outputs areas, starts on this boundary. */
const AREA_ALIGNMENT = 8;

const alignUp = (n: number): number => Math.ceil(n / AREA_ALIGNMENT) * AREA_ALIGNMENT;

// ---------------------------------------------------------------- tiles

/** How a step's one kernel call may be cut, and the call itself; undefined for a step that runs whole. */
function stepTiler(graph: Graph, step: LoweredGraphStep) {
  const calls = step.lowered.calls;
  if (calls.length !== 1) return undefined;
  const call = calls[0]!;
  const tiler = contractOf(call.fn)?.tiler;
  if (!tiler) return undefined;
  const args = new CallArgs(graph, call);
  const units = tiler.units(args);
  if (units === undefined || units < 2) return undefined;
  return { call, args, tiler, units, granule: tiler.granule(args) };
}

/**
 * Per plan step, the tiling of its one kernel call (its contract's tiler): undefined for a step of several calls or
 * none, a kernel without a tiler, or a call that cannot be cut.
 */
export function stepTilings(graph: Graph, plan: MemoryPlan, precision: 'float32' | 'int8'): ({ units: number; granule: number } | undefined)[] {
  const lowered = precision === 'int8' ? lowerInt8Graph(graph, plan) : lowerGraph(graph, plan);
  return lowered.map((step) => {
    const tiling = stepTiler(graph, step);
    return tiling ? { units: tiling.units, granule: tiling.granule } : undefined;
  });
}

// ---------------------------------------------------------------- the state

/** A field of the state and its place in it (and in NVM). */
export interface StateField {
  name: string;
  offset: number;
  bytes: number;
}

/** The layout of struct eenn_state: the same offsets in SRAM and in NVM. */
export interface StateLayout {
  record: StateField;
  inputs: StateField & { tensors: StateField[] };
  outputs: StateField & { tensors: StateField[] };
  arena: StateField;
  bytes: number;
}

/** Tensors one after another, each on AREA_ALIGNMENT, from `base`; the area's bytes a multiple of it. */
function area(name: string, base: number, names: string[], bytes: number[]): StateField & { tensors: StateField[] } {
  let at = 0;
  const tensors = bytes.map((size, i) => {
    const field = { name: names[i]!, offset: base + at, bytes: size };
    at += alignUp(size);
    return field;
  });
  return { name, offset: base, bytes: Math.max(AREA_ALIGNMENT, at), tensors };
}

/** The state's layout for these inputs, outputs (names and bytes) and arena. */
export function stateLayout(graph: Graph, arenaBytes: number): StateLayout {
  const bytesOf = (name: string) => tensorBytes(graph.tensors.get(name)!);
  const record = { name: 'record', offset: 0, bytes: RECORD_SLOTS * RECORD_BYTES };
  const inputs = area('inputs', alignUp(record.bytes), graph.inputs, graph.inputs.map(bytesOf));
  const outputs = area('outputs', inputs.offset + inputs.bytes, graph.outputs, graph.outputs.map(bytesOf));
  const arena = { name: 'arena', offset: outputs.offset + outputs.bytes, bytes: alignUp(arenaBytes) };
  return { record, inputs, outputs, arena, bytes: arena.offset + arena.bytes };
}

/** The runs of the state that hold plan buffer `id` (none for constants and buffers without bytes). */
function bufferRange(plan: MemoryPlan, layout: StateLayout, id: number): { offset: number; bytes: number } | undefined {
  const buffer = plan.buffers[id]!;
  const s = buffer.storage;
  if (buffer.bytes === 0) return undefined;
  switch (s.kind) {
    case 'arena':
      return { offset: layout.arena.offset + s.offset, bytes: buffer.bytes };
    case 'input':
      return { offset: layout.inputs.tensors[s.index]!.offset, bytes: layout.inputs.tensors[s.index]!.bytes };
    case 'output':
      return { offset: layout.outputs.tensors[s.index]!.offset, bytes: layout.outputs.tensors[s.index]!.bytes };
    default:
      return undefined;
  }
}

/** Ranges sorted and merged where they overlap or touch. */
function mergeRanges(ranges: { offset: number; bytes: number }[]): { offset: number; bytes: number }[] {
  const sorted = [...ranges].sort((a, b) => a.offset - b.offset);
  const merged: { offset: number; bytes: number }[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.offset <= last.offset + last.bytes) last.bytes = Math.max(last.bytes, r.offset + r.bytes - last.offset);
    else merged.push({ ...r });
  }
  return merged;
}

// ---------------------------------------------------------------- tasks

/** A piece as the "steps" partial of model.c.hbs prints it. */
interface PrintedPiece {
  comment: string;
  notes: string[];
  groups: { loop: undefined; calls: PrintedCall[] }[] | PrintedStep['groups'];
  decisions: PrintedExit[];
}

/** A task as intermittent.c.hbs prints it. */
interface PrintedTask {
  index: number;
  name: string;
  comment: string[];
  steps: PrintedPiece[];
  hasDecisions: boolean;
  /** Last task: the copies of outputs stored elsewhere, and the final exit it returns. */
  copies: OutputCopy[];
  returns: string;
}

/** What printing the tasks needs from emitModel. */
export interface TaskPrinter {
  graph: Graph;
  plan: MemoryPlan;
  lowered: readonly LoweredGraphStep[];
  steps: PrintedStep[];
  exits: PrintedExit[];
  copies: OutputCopy[];
  finalExit: number;
  storage: TensorStorage;
  constants: ConstantTable;
  prefix: string;
}

/** Throws (an internal error) unless the tasks run every step once, in order, tiles covering each cut step. */
function checkTasks(plan: TaskPlan, steps: number): void {
  const fail = (why: string): never => {
    throw new Error(`internal: the task plan does not cover the schedule: ${why}`);
  };
  let step = 0;
  let unit = 0;
  if (plan.tasks.length === 0) fail('no task');
  plan.tasks.forEach((task, t) => {
    if (task.index !== t) fail(`task ${t} says it is task ${task.index}`);
    if (task.pieces.length === 0) fail(`task ${t} has no piece`);
    for (const piece of task.pieces) {
      if (piece.step !== step) fail(`task ${t} runs step ${piece.step} where step ${step} comes next`);
      if (!piece.tile) {
        if (unit !== 0) fail(`step ${step} runs whole after a tile of it`);
        step++;
        continue;
      }
      if (piece.tile.begin !== unit || piece.tile.end <= piece.tile.begin) fail(`tile [${piece.tile.begin}, ${piece.tile.end}) of step ${step}`);
      unit = piece.tile.end;
      if (unit === piece.tile.units) {
        unit = 0;
        step++;
      }
    }
  });
  if (step !== steps || unit !== 0) fail(`it ends at step ${step} of ${steps}`);
}

/** The printed tasks and the kernel source files their tiles call (the `_rows` entry points). */
export function printTasks(printer: TaskPrinter, tasks: TaskPlan): { tasks: PrintedTask[]; sources: Set<string> } {
  checkTasks(tasks, printer.lowered.length);
  const sources = new Set<string>();
  const saved = tasks.nvm === 'hooks' ? savedBuffers(printer.plan, printer.graph, tasks) : undefined;
  const printed = tasks.tasks.map((task, t): PrintedTask => {
    const last = t === tasks.tasks.length - 1;
    const steps = task.pieces.map((piece) => printPiece(printer, piece, sources));
    return {
      index: t,
      name: taskFunction(printer.prefix, t),
      comment: taskComment(
        task,
        saved && { buffers: saved[t]!.length, bytes: saved[t]!.reduce((sum, id) => sum + printer.plan.buffers[id]!.bytes, 0) },
      ),
      steps,
      hasDecisions: steps.some((s) => s.decisions.length > 0),
      copies: last ? printer.copies : [],
      returns: last ? String(printer.finalExit) : '-1',
    };
  });
  return { tasks: printed, sources };
}

/** The C function of task `t`. */
function taskFunction(prefix: string, t: number): string {
  return `${prefix}_task_${t}`;
}

/** A whole step as printSteps printed it, or one tile of its call; the exit decisions after the step's last piece. */
function printPiece(printer: TaskPrinter, piece: Piece, sources: Set<string>): PrintedPiece {
  const step = printer.steps[piece.step]!;
  const tile = piece.tile;
  const endsStep = !tile || tile.end === tile.units;
  const decisions = endsStep ? printer.exits.filter((e) => e.step === piece.step) : [];
  if (!tile) return { comment: step.comment, notes: step.notes, groups: step.groups, decisions };
  const tiling = stepTiler(printer.graph, printer.lowered[piece.step]!);
  const whole = (n: number) => n % (tiling?.granule ?? 1) === 0;
  if (!tiling || tiling.units !== tile.units || !whole(tile.begin) || !(whole(tile.end) || tile.end === tile.units)) {
    // The split's tiles come from stepTilings of another plan (a step whose kernel changed with the plan).
    const has = tiling ? `${tiling.units} units in granules of ${tiling.granule}` : 'no tiles';
    throw new Error(`internal: tile [${tile.begin}, ${tile.end}) of ${tile.units} units of step ${piece.step}, whose call in this plan has ${has}`);
  }
  const call: KernelCall = tiling.tiler.part(tiling.call, tiling.args, tile.begin, tile.end);
  sources.add(call.source);
  for (const used of call.uses ?? []) sources.add(used);
  printer.storage.begin();
  const printed = printCall(call, { storage: printer.storage, constants: printer.constants, stepIndex: piece.step });
  const axis = tiling.tiler.axis === 'rows' ? 'output rows or pixels' : 'output channels';
  return {
    comment: step.comment,
    notes: [...step.notes, commentText(`this piece: units [${tile.begin}, ${tile.end}) of the call's ${tile.units} (${axis})`)],
    groups: [{ loop: undefined, calls: [printed] }],
    decisions,
  };
}

/** The comment of a task: its pieces, its predicted instructions and what its commit writes (`saved`: hooks). */
function taskComment(task: Task, saved: { buffers: number; bytes: number } | undefined): string[] {
  const pieces = task.pieces.map((p) => (p.tile ? `step ${p.step} units [${p.tile.begin}, ${p.tile.end}) of ${p.tile.units}` : `step ${p.step}`));
  const live = formatCount(task.liveBytesAfter);
  const commit = saved
    ? `its commit saves the ${formatCount(saved.bytes)} bytes it wrote (${plural(saved.buffers, 'buffer')}; ${live} live), then the record`
    : `its commit writes the record (the ${live} bytes live after it are in NVM already)`;
  return [
    commentText(`Task ${task.index}: ${pieces.join(', ')}.`),
    commentText(`Predicted ${formatCount(task.instructions)} instructions; ${commit}.`),
  ];
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

// ---------------------------------------------------------------- the whole context

/**
 * Plan buffer ids a hooks-mode commit saves after each task: those live after it that the task writes. A buffer live
 * after the task and written before it is in NVM already, saved by the commit after the task that wrote it last (it
 * was live there too), so it is not written again.
 */
export function savedBuffers(plan: MemoryPlan, graph: Graph, tasks: TaskPlan): number[][] {
  const accesses = planAccesses(plan, graph);
  return tasks.tasks.map((task) => {
    const written = new Set(task.pieces.flatMap((piece) => accesses[piece.step]!.writes.map((w) => w.buffer)));
    return task.liveAfter.filter((id) => written.has(id));
  });
}

/** Byte runs per cut, in the table model.c prints: a run's cut c (next task c) and the finished inference. */
interface CutTable {
  ranges: { offset: number; bytes: number; note: string }[];
  /** Ranges of cut c: ranges[first[c]] up to first[c + 1]; cut tasks.length: the finished inference. */
  first: string;
  count: number;
}

/**
 * The byte runs of each cut of a hooks-mode build, given the buffers of the cut after each task: at cut 0 the
 * captured inputs, at the end the outputs.
 */
function cutTable(plan: MemoryPlan, layout: StateLayout, buffersAfter: number[][]): CutTable {
  const ofBuffers = (ids: number[]) => mergeRanges(ids.flatMap((id) => bufferRange(plan, layout, id) ?? []));
  const cuts = [
    [{ offset: layout.inputs.offset, bytes: layout.inputs.bytes, note: 'cut 0: the captured inputs' }],
    ...buffersAfter.slice(0, -1).map((ids, t) => ofBuffers(ids).map((r) => ({ ...r, note: `cut ${t + 1}: after task ${t}` }))),
    [{ offset: layout.outputs.offset, bytes: layout.outputs.bytes, note: 'done: the outputs' }],
  ];
  const first: number[] = [];
  let at = 0;
  for (const cut of cuts) {
    first.push(at);
    at += cut.length;
  }
  first.push(at);
  const ranges = cuts.flat().map((r) => ({ ...r, note: commentText(r.note) }));
  return { ranges, first: first.join(', '), count: Math.max(1, ranges.length) };
}

/** The placeholder of the model hash while model.c is hashed (renderIntermittent replaces it). */
export const MODEL_HASH_PLACEHOLDER = '@EENN_MODEL_HASH@';

/** 32-bit FNV-1a of a text's UTF-8 bytes. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** model.c with its hash: the FNV-1a of its text without the hash itself. */
export function withModelHash(modelC: string): { text: string; hash: number } {
  const hash = fnv1a(modelC.split(MODEL_HASH_PLACEHOLDER).join(''));
  const hex = `0x${hash.toString(16).toUpperCase().padStart(8, '0')}u`;
  return { text: modelC.split(MODEL_HASH_PLACEHOLDER).join(hex), hash };
}

/** What the intermittent templates print: the state, the tasks, the hooks' ranges. */
export function intermittentContext(printer: TaskPrinter, tasks: TaskPlan, arenaBytes: number, outputExits: number[]) {
  const { graph, plan } = printer;
  const layout = stateLayout(graph, arenaBytes);
  const hooks = tasks.nvm === 'hooks';
  const { tasks: printed, sources } = printTasks(printer, tasks);
  const saves = hooks ? cutTable(plan, layout, savedBuffers(plan, graph, tasks)) : undefined;
  const restores = hooks
    ? cutTable(
        plan,
        layout,
        tasks.tasks.map((t) => t.liveAfter),
      )
    : undefined;
  const ctypeOf = (name: string) => (graph.tensors.get(name)!.dtype === 'int8' ? 'int8_t' : 'float');
  const areaView = (name: string) => (graph.tensors.get(name)!.dtype === 'int8' ? 's8' : 'f32');
  const areaTensors = (fields: StateField[], areaField: StateField, macro: (i: number) => string, constant: boolean) =>
    fields.map((field, index) => {
      const view = areaView(field.name);
      const at = field.offset - areaField.offset;
      return {
        index,
        macro: macro(index),
        name: commentText(field.name),
        offset: field.offset,
        bytes: field.bytes,
        areaOffset: at,
        ctype: ctypeOf(field.name),
        qualifier: constant ? 'const ' : '',
        element: view === 'f32' ? `f32[${at / 4}u]` : `s8[${at}u]`,
      };
    });
  const sizes: IntermittentSizes = {
    stateBytes: layout.bytes,
    nvmBytes: layout.bytes,
    recordBytes: layout.record.bytes,
    inputsBytes: layout.inputs.bytes,
    outputsBytes: layout.outputs.bytes,
    arenaBytes: layout.arena.bytes,
    sramBytes: hooks ? layout.bytes : 0,
  };
  // The table of model.h: offset and bytes right-aligned, the tensors of an area indented under it.
  const row = (offset: number, bytes: number, field: string) => `${String(offset).padStart(8)}  ${String(bytes).padStart(8)}  ${field}`;
  const layoutRows = [
    `${'offset'.padStart(8)}  ${'bytes'.padStart(8)}  field`,
    row(layout.record.offset, layout.record.bytes, 'record[2]: the progress record, double-buffered (runtime/eenn_intermittent.h)'),
    row(layout.inputs.offset, layout.inputs.bytes, 'inputs: the inputs captured at the start of an inference'),
    ...layout.inputs.tensors.map((t, i) => row(t.offset, t.bytes, commentText(`  input ${i} "${t.name}"`))),
    row(layout.outputs.offset, layout.outputs.bytes, "outputs: copied to the caller's buffers when the inference is done"),
    ...layout.outputs.tensors.map((t, i) => row(t.offset, t.bytes, commentText(`  output ${i} "${t.name}"`))),
    ...(layout.arena.bytes > 0 ? [row(layout.arena.offset, layout.arena.bytes, 'arena: the activations, at the offsets of model.c')] : []),
  ];
  const context = {
    layoutRows,
    hooks,
    nvmKind: tasks.nvm,
    section: hooks ? '.eenn_noinit' : '.eenn_nvm',
    where: hooks ? 'SRAM (section .eenn_noinit), saved to NVM through the hooks' : 'memory-mapped NVM (section .eenn_nvm)',
    numTasks: tasks.tasks.length,
    budget: formatCount(tasks.budget),
    hashPlaceholder: MODEL_HASH_PLACEHOLDER,
    layout: {
      record: layout.record,
      inputs: { ...layout.inputs, words: layout.inputs.bytes / 4 },
      outputs: { ...layout.outputs, words: layout.outputs.bytes / 4 },
      arena: { ...layout.arena, words: layout.arena.bytes / 4 },
      hasArena: layout.arena.bytes > 0,
      bytes: layout.bytes,
    },
    inputAreas: areaTensors(layout.inputs.tensors, layout.inputs, inputAreaMacro, true),
    outputAreas: areaTensors(layout.outputs.tensors, layout.outputs, outputAreaMacro, false),
    outputFirstExit: outputExits.map((e) => `${e}`).join(', '),
    tasks: printed,
    taskList: printed.map((t) => t.name),
    saves,
    restores,
    outOfPlace: commentText(tasks.outOfPlace.join(', ')),
  };
  return { context, sources, sizes };
}
