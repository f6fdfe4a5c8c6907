// Codegen: where each tensor lives in model.c. One offset macro per arena buffer, and the C expression of a
// tensor's storage (a typed arena pointer, the caller's input or output pointer, or a constant array), noting
// which model inputs and outputs the code uses.

import type { DType, Graph } from '../ir/graph.js';
import type { MemoryPlan, PlannedBuffer } from '../schedule/memory-plan.js';
import { commentText, IdentifierPool } from './c-format.js';
import type { ConstantTable } from './constants.js';

/** Arena pointer macro of each activation element type (model.c.hbs defines them; bool as uint8_t). */
export const ARENA_MACRO: Record<DType, string> = {
  float32: 'EENN_ARENA_F32',
  int8: 'EENN_ARENA_S8',
  int16: 'EENN_ARENA_S16',
  float64: 'EENN_ARENA_F64',
  int64: 'EENN_ARENA_S64',
  int32: 'EENN_ARENA_S32',
  uint8: 'EENN_ARENA_U8',
  uint16: 'EENN_ARENA_U16',
  bool: 'EENN_ARENA_U8',
};

/** The arena pointer macros besides F32, S16 and S8 that model.c.hbs defines when a tensor of the arena needs one. */
export interface ArenaView {
  macro: string;
  ctype: string;
  /** The union member of the plain build's arena. */
  member: string;
  /** Bytes per element. */
  bytes: number;
}
const EXTRA_VIEWS: Partial<Record<DType, ArenaView>> = {
  float64: { macro: 'EENN_ARENA_F64', ctype: 'double', member: 'f64', bytes: 8 },
  int64: { macro: 'EENN_ARENA_S64', ctype: 'int64_t', member: 's64', bytes: 8 },
  int32: { macro: 'EENN_ARENA_S32', ctype: 'int32_t', member: 's32', bytes: 4 },
  uint8: { macro: 'EENN_ARENA_U8', ctype: 'uint8_t', member: 'u8', bytes: 1 },
  uint16: { macro: 'EENN_ARENA_U16', ctype: 'uint16_t', member: 'u16', bytes: 2 },
  bool: { macro: 'EENN_ARENA_U8', ctype: 'uint8_t', member: 'u8', bytes: 1 },
};

/** The model inputs and outputs (by index) that a piece of code reads or writes. */
export interface IoUse {
  inputs: Set<number>;
  outputs: Set<number>;
}

/** An arena offset macro as model.c.hbs prints it, with the buffer's size, lifetime and tensors. */
export interface OffsetMacro {
  macro: string;
  offset: number;
  bytes: number;
  first: number;
  last: number;
  tensors: string;
}

const noUse = (): IoUse => ({ inputs: new Set(), outputs: new Set() });

/** The C expressions of the planned storage of a graph's tensors. */
export class TensorStorage {
  /** Every model input and output the code uses (eenn_run declares a pointer for these only). */
  readonly used: IoUse = noUse();
  /** Those of the code being printed now (a step: its section takes them as parameters). */
  private current: IoUse = noUse();
  /** Arena buffers that hold bytes, by offset, then first step. */
  private readonly arenaBuffers: PlannedBuffer[];
  /** One offset macro per arena buffer, named after its first tensor. */
  private readonly offsetMacro = new Map<number, string>();
  /** The arena pointer macros besides F32, S16 and S8 that the code uses, by macro. */
  private readonly views = new Map<string, ArenaView>();
  /** The arena pointer macro of the precision's scratch buffers. */
  private readonly scratchMacro: string;

  constructor(
    private readonly graph: Graph,
    private readonly plan: MemoryPlan,
    private readonly constants: ConstantTable,
    precision: 'float32' | 'int8',
    /** An intermittent build: model inputs and outputs live in the state's areas (inputAreaMacro, outputAreaMacro). */
    private readonly inAreas = false,
  ) {
    this.arenaBuffers = plan.buffers
      .filter((b) => b.storage.kind === 'arena' && b.bytes > 0)
      .sort((a, b) => arenaOffset(a) - arenaOffset(b) || a.firstStep - b.firstStep);
    const macroIds = new IdentifierPool();
    for (const b of this.arenaBuffers) this.offsetMacro.set(b.id, `EENN_OFFSET_${macroIds.take(b.tensors[0]!).toUpperCase()}`);
    this.scratchMacro = ARENA_MACRO[precision === 'int8' ? 'int8' : 'float32'];
  }

  /** Start noting the inputs and outputs of another piece of code; returns the set it fills. */
  begin(): IoUse {
    this.current = noUse();
    return this.current;
  }

  /**
   * The C expression of the storage of a tensor. `stored`: a constant is read in its own C type (the typed kernels),
   * not as float (ConstantTable.tensor).
   */
  tensor(name: string, stored = false): string {
    const t = this.graph.tensors.get(name);
    if (!t) throw new Error(`internal: unknown tensor "${name}"`);
    const id = this.plan.bufferOf.get(name);
    if (id === undefined) {
      if (t.data) return this.constants.tensor(t, stored);
      throw new Error(`internal: tensor "${name}" has no storage in the plan`);
    }
    const buffer: PlannedBuffer = this.plan.buffers[id]!;
    const s = buffer.storage;
    switch (s.kind) {
      case 'arena': {
        if (buffer.bytes === 0) return 'NULL';
        const arenaMacro = ARENA_MACRO[t.dtype];
        const view = EXTRA_VIEWS[t.dtype];
        if (view) this.views.set(view.macro, view);
        return `${arenaMacro}(${this.offsetMacro.get(buffer.id)!})`;
      }
      case 'input':
        this.useInput(s.index);
        return this.inAreas ? inputAreaMacro(s.index) : `input_${s.index}`;
      case 'output':
        return this.output(s.index);
      case 'constant':
        return this.constants.tensor(this.graph.tensors.get(s.tensor)!, stored);
      case 'fused':
        throw new Error(`internal: tensor "${name}" lives only inside a fused kernel`);
    }
  }

  /** The C expression of the scratch buffer of step `stepIndex`. */
  scratch(stepIndex: number): string {
    const id = this.plan.scratchOf.get(stepIndex);
    if (id === undefined) throw new Error(`internal: step ${stepIndex} has no scratch buffer`);
    return `${this.scratchMacro}(${this.offsetMacro.get(id)!})`;
  }

  /** The C expression of model output `index`, noting that the code writes it. */
  output(index: number): string {
    this.useOutput(index);
    return this.inAreas ? outputAreaMacro(index) : `output_${index}`;
  }

  /** Notes that the code writes model output `index` (a copy into it). */
  useOutput(index: number): void {
    this.used.outputs.add(index);
    this.current.outputs.add(index);
  }

  private useInput(index: number): void {
    this.used.inputs.add(index);
    this.current.inputs.add(index);
  }

  /** The arena pointer macros besides F32, S16 and S8 that the code uses (model.c.hbs defines them). */
  arenaViews(): ArenaView[] {
    return [...this.views.values()].sort((a, b) => a.macro.localeCompare(b.macro));
  }

  /** The offset macros of the arena, in the order of their offsets. */
  offsets(): OffsetMacro[] {
    return this.arenaBuffers.map((b) => ({
      macro: this.offsetMacro.get(b.id)!,
      offset: arenaOffset(b),
      bytes: b.bytes,
      first: b.firstStep,
      last: b.lastStep,
      tensors: commentText(b.tensors.map((t) => `"${t}"`).join(', ')),
    }));
  }
}

/** The pointer macro of model input `index` in the inputs area of an intermittent build's state (intermittent.c.hbs). */
export function inputAreaMacro(index: number): string {
  return `EENN_INPUT_AREA_${index}`;
}

/** The pointer macro of model output `index` in the outputs area of an intermittent build's state. */
export function outputAreaMacro(index: number): string {
  return `EENN_OUTPUT_AREA_${index}`;
}

function arenaOffset(buffer: PlannedBuffer): number {
  return (buffer.storage as { offset: number }).offset;
}
