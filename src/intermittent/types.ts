// The intermittent stage's records: the budget of a power-on window, the pieces of work (whole steps or tiles of
// a step's kernel call), the tasks run between two commits, and the split the code generator prints. No work here.

/** How the target's non-volatile memory is reached (TargetNvm.kind). */
export type NvmKind = 'memory-mapped' | 'hooks';

/** The share of the budget kept back for costs that vary with the data: a task fits `budget * (1 - margin)`. */
export const INTERMITTENT_MARGIN = 0.1;

/** What --intermittent with --budget or --budget-uj asks for, the budget resolved to instructions. */
export interface IntermittentOptions {
  /** Instructions per power-on window, counted from the call of eenn_run() in the window. */
  budget: number;
  /** How the budget was given, for messages: e.g. "--budget 100000" or "--budget-uj 20 (100000 instructions at 0.2 nJ)". */
  budgetText: string;
}

/** A tile of a step: units [begin, end) of `units` along the step's tiler axis (CallTiler). */
export interface TileRange {
  begin: number;
  end: number;
  /** The step's units along the axis in all (output rows or channels). */
  units: number;
}

/** One piece of work: a whole step, or one tile of its kernel call. */
export interface Piece {
  step: number;
  tile?: TileRange;
}

/** What the split knows of a step before cutting: its measured cost and how it may be cut. */
export interface StepFacts {
  /** Instructions of the whole step (its kernel calls and any early-exit decision after it), measured. */
  instructions: number;
  /** How the step's one kernel call may be cut (CallTiler.units / granule); absent for an indivisible step. */
  tiling?: { units: number; granule: number };
  /**
   * Instructions one tile's kernel call of this step takes besides its share of the step, where measured (e.g. a
   * pixel tile that gathers its first rows again); absent: TaskOverheads.tileCall.
   */
  tileCall?: number;
}

/** The instructions of the fixed parts of a task, from the runtime (measured, or the runtime's stated bounds). */
export interface TaskOverheads {
  /** Instructions one kernel call of a tile takes besides its share of the step (argument set-up, loops). */
  tileCall: number;
  /** Resuming: reading and checking the record at the start of a window. */
  resume: number;
  /** A commit: writing the record (memory-mapped), without the live bytes. */
  commit: number;
  /** Instructions per byte saved or restored through the hooks (0 for memory-mapped NVM). */
  perByte: number;
}

/** The pieces run between two commits. */
export interface Task {
  index: number;
  pieces: Piece[];
  /** Predicted instructions of the pieces (measured step costs), without resume and commit. */
  instructions: number;
  /** Plan buffer ids live at the commit that ends the task (read by a later task): what a hooks commit saves. */
  liveAfter: number[];
  /** Bytes of `liveAfter` (what the commit saves in hooks mode; 0 is reported for memory-mapped NVM too). */
  liveBytesAfter: number;
}

/** The split of a schedule into tasks, as the code generator prints it and the report lists it. */
export interface TaskPlan {
  budget: number;
  nvm: NvmKind;
  tasks: Task[];
  /** The fixed costs the split assumed. */
  overheads: TaskOverheads;
  /** Node names of steps the planner was asked to run out of place (in-place over a task's live input). */
  outOfPlace: string[];
}
