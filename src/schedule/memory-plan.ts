// Memory planning: where every runtime tensor lives while the model runs, and how big the one static arena is.
// Sits after the graph passes and before code generation, which reads the plan's steps, buffers and offsets.
// This module is the stage's door; the work lives in one file per job:
// - plan-search.ts: planMemory, the search over the choices (optional in-place steps, Conv pairs and their bands,
//   int8 convolutions without their scratch, channels per pass of fused int8 steps) within an arena budget;
// - plan.ts: one plan for fixed choices: lifetimes.ts (first and last step of each tensor), buffer-sharing.ts
//   (aliases and in-place steps through one guard, in the union-find of buffer-groups.ts, as far as
//   kernel-offers.ts says each step's kernel allows), each step's scratch, and the placement of arena-allocator.ts;
// - validate-plan.ts: validatePlan, the independent check of a finished plan.
//
// Decisions:
// - Model inputs and outputs are NOT in the arena: eenn_run() receives pointers to them and kernels read
//   the inputs and write the outputs in place, which saves two copies and their bytes. Input buffers are
//   read-only; output buffers may hold intermediate values of their alias group before the final result.
// - Reshape-like operators (ALIAS_OPS) share their input's buffer, extending its lifetime, unless that
//   would bind one buffer to two external places (an input and an output, two outputs, a constant and an
//   output); then code generation copies.
// - Element-wise operators (kernels/index.ts: writesOverInput) write over an input of the same size when that input
//   dies at this step, so a chain of activations costs one buffer (TFLite Micro's planner does not do this).
// - A Relu/Clip fused into its producer (schedule.ts) has no buffer for the tensor between them; nor has a conv
//   output pooled by a fused MaxPool/AveragePool (the conv + pool kernel works through a small scratch instead),
//   nor an int8 conv output added to a residual by a fused QAdd (the sum goes over the residual).
// - Depthwise and pointwise Convs (kernels/index.ts: inPlaceConv) write over their input when it dies at their step,
//   through a small scratch; scratches are arena buffers alive at their step only. int8 steps follow the same
//   rules with their own kernels: QAdd, QMul, QLut and QSoftmax in place, the depthwise QConv through its scratch
//   of padded rows, and int8 pooling over the start of its input when no window reads a written byte and that
//   makes the arena smaller (the smaller output keeps the input's bytes for its lifetime).
// - A float Conv pair run depth-first (schedule.ts: fusableConvPair, conv-pair.ts) has no buffer for the first
//   conv's output, only a scratch of a few rows; its result goes over the residual of its Add when that dies there,
//   or over the pair's input when no later band reads the rows a band writes. A pair stays fused only where that
//   makes the arena smaller (its kernel is as fast as the two convolutions, but the 1x1 and pooled kernels it
//   would replace are not always).
// - The plan does not change the scheduler's steps: it returns its own records of them (MemoryPlan.steps), with
//   what it decided (in place, and that kernel's scratch).
// - Arena buffers are placed by the greedy planner of arena-allocator.ts, aligned to 8 bytes.

export { isOptionalInPlace, planMemory } from './plan-search.js';
export { tensorBytes, type MemoryPlan, type PlannedBuffer, type PlanOptions, type Storage } from './plan-types.js';
export { validatePlan } from './validate-plan.js';
