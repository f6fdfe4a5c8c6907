// The intermittent stage's door: the split of a planned schedule into tasks that fit a power-on window, and the
// options that ask for it. Code generation prints the tasks (src/codegen/intermittent.ts); the build loop that
// measures costs and checks the split is src/intermittent-build.ts.

export type { IntermittentOptions, NvmKind, Piece, StepFacts, Task, TaskOverheads, TaskPlan, TileRange } from './types.js';
export { INTERMITTENT_MARGIN } from './types.js';
export { resolveIntermittentOptions, instructionsOf, type RawIntermittentOptions } from './options.js';
export { planAccesses, type ByteRange, type StepAccess } from './accesses.js';
export { taskHazard, outOfPlaceNeeded, keepUntilOfTasks } from './hazards.js';
export { liveAtCut, liveSets, liveAfterPiece, liveBeforePiece, type LiveSet, type LiveSets } from './live.js';
export { stepCostsFromTrace, pieceInstructions, bytesCost, taskWindowInstructions } from './costs.js';
export { naiveTasks, splitTasks, taskLimit, budgetFor, PREDICTION_HEADROOM, taskWindowCost, MEAN_WINDOW_BUDGETS, MAX_OVERHEAD, type SplitOptions } from './split.js';
export { splitWithPlanner, splitUntilStable, INTERMITTENT_SCHEDULE, type PlanChoices, type PlannedTasks } from './stable.js';
