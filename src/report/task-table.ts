// The tasks of an intermittent build as the report shows them: each task's pieces, its predicted and measured
// instructions and the bytes its commit saves, the budget they fit, and the SRAM and NVM the state takes. Data for
// report.json, rows for report.html and lines for the command line; src/intermittent-build.ts fills it.

/** One task: the pieces run between two commits. */
export interface TaskReport {
  task: number;
  /** Its pieces in order: `step 3 /conv1/Conv (QConv)`, or a tile `step 5 /conv2/Conv (QConv) rows 0-6 of 14`. */
  pieces: string[];
  /** Predicted from the measured step costs: its pieces and its commit (the split's sizing). */
  predicted_instructions: number;
  /** Measured in the emulator: from the end of the previous commit to the end of its own (commit included). */
  measured_instructions: number | null;
  /** Bytes live at the commit that ends it: what a hooks commit saves through eenn_nvm_write. */
  committed_bytes: number;
}

/** Where the state of an intermittent build lives and what it takes (the NVM layout of model.h). */
export interface IntermittentMemory {
  /** 'memory-mapped' (arena and record in the NVM section) or 'hooks' (arena in SRAM, saved through the hooks). */
  nvm_kind: 'memory-mapped' | 'hooks';
  /** NVM bytes the model uses: record slots, captured inputs, outputs and arena. */
  nvm_bytes: number;
  /** NVM the target offers (its nvm.size). */
  nvm_size_bytes: number;
  /** SRAM the model takes: stack, static state, and (hooks) the arena mirror. */
  sram_bytes: number;
  record_bytes: number;
  inputs_bytes: number;
  outputs_bytes: number;
  arena_bytes: number;
}

export interface IntermittentReport {
  /** Instructions per power-on window, counted from the call of eenn_run(). */
  budget: number;
  /** How it was given: "--budget 100000" or "--budget-uj 20 (100000 instructions at 0.2 nJ each)". */
  budget_text: string;
  /** The share of the budget kept back; every task with resume and commit fits budget * (1 - margin). */
  margin: number;
  /** Instructions a task may take with its resume and commit: budget * (1 - margin). */
  task_limit: number;
  /** Instructions the runtime was taken to need to resume (read and check the record) and to commit. */
  overheads: { resume: number; commit: number; tile_call: number; per_byte: number };
  /** Steps run out of place so that a task never overwrites what it reads (node names). */
  out_of_place: string[];
  /** Measure-split-verify rounds the build took. */
  rounds: number;
  /** The sum of the tasks' measured instructions (commits included): one inference without failures. */
  measured_instructions: number | null;
  /** Each step's instructions with its own commit, from the run with a task per step (the naive split's tasks). */
  step_instructions?: number[];
  memory: IntermittentMemory;
  tasks: TaskReport[];
}

/** The summary lines of `eennc build --intermittent`: tasks, budget, NVM and SRAM. */
export function intermittentSummary(report: IntermittentReport): string[] {
  const m = report.memory;
  const worst = Math.max(0, ...report.tasks.map((t) => t.measured_instructions ?? t.predicted_instructions));
  const total = report.measured_instructions === null ? '' : `, ${report.measured_instructions} instructions in all`;
  return [
    `tasks:    ${report.tasks.length} (largest ${worst} instructions with its commit${total})`,
    `budget:   ${report.budget} instructions per power-on window (${report.budget_text}); a task fits ${report.task_limit} with its resume`,
    `NVM:      ${m.nvm_bytes} bytes (${m.nvm_kind}) of ${m.nvm_size_bytes}: record ${m.record_bytes}, inputs ${m.inputs_bytes}, outputs ${m.outputs_bytes}, arena ${m.arena_bytes}`,
    `SRAM:     ${m.sram_bytes} bytes`,
  ];
}

/** The tasks table's header and rows (report.html). */
export function taskTableCells(report: IntermittentReport): { header: string[]; rows: string[][] } {
  return {
    header: ['task', 'pieces', 'predicted', 'measured', 'committed bytes'],
    rows: report.tasks.map((t) => [
      String(t.task),
      t.pieces.join('; '),
      String(t.predicted_instructions),
      t.measured_instructions === null ? '-' : String(t.measured_instructions),
      String(t.committed_bytes),
    ]),
  };
}
