// Codegen: turns the planned graph (float32, or quantized to the int8 dialect) into model.c / model.h (Handlebars
// templates) plus the kernel files they use. Sits after planMemory; firmware.ts wraps the result into a project.
// The assembly only: where tensors live (storage.ts), the constant arrays (constants.ts), the steps
// (print-steps.ts), the model's inputs and outputs (model-io.ts), the early exits (exits.ts) and the kernel files
// (kernel-files.ts).

import type { Graph } from '../ir/graph.js';
import { contractChecks } from './contract-checks.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import { validatePlan } from '../schedule/memory-plan.js';
import { commentText, formatCount, IdentifierPool } from './c-format.js';
import { ConstantTable, type PrintedConstant } from './constants.js';
import { printExits, TAKEN_VARIABLE, type PrintedExit, type PrintedExits } from './exits.js';
import { checkEmitOptions, checkModelIo } from './emit-checks.js';
import { KERNEL_DIR, kernelFiles, kernelHeaders } from './kernel-files.js';
import { lowerGraph } from './lower-float.js';
import { lowerInt8Graph } from './lower-int8.js';
import type { LoweredGraphStep } from './lower-steps.js';
import { modelIo, outputCopies, type OutputCopy } from './model-io.js';
import { printSteps, SECTION_STEPS, sectionsOf, type PrintedSteps } from './print-steps.js';
import { intermittentContext, withModelHash, type IntermittentEmit, type IntermittentSizes } from './intermittent.js';
import { TensorStorage } from './storage.js';
import { renderTemplate } from './templates.js';

export interface EmitOptions {
  /** Shown in comments and documentation. */
  modelName: string;
  /**
   * 'float32': a float graph on the float kernels. 'int8': a graph of the int8 dialect (src/ir/int8.ts) on the
   * int8 kernels; its inputs and outputs are int8, or float32 where a Quantize / Dequantize node meets them.
   */
  precision: 'float32' | 'int8';
  /**
   * Prefix of the public symbols and macros: `eenn` gives eenn_run / EENN_NUM_INPUTS (the default). Another
   * prefix lets several models live in one firmware.
   */
  symbolPrefix?: string;
  /**
   * An intermittent build: the inference runs in these tasks, each followed by a commit to NVM, and eenn_run resumes
   * from the last commit (src/codegen/intermittent.ts). Without it the output is the plain build's.
   */
  intermittent?: IntermittentEmit;
  /**
   * A measuring build (src/measure-steps.ts): right after each step, and after the exit decision that follows the
   * step if any, eenn_run calls `<prefix>_trace_step(k)` under `#ifdef <PREFIX>_TRACE_STEPS` (model.h declares it and
   * <PREFIX>_NUM_STEPS; the test firmware's main.c defines it). Not with `intermittent`. Without it model.c and
   * model.h are the plain build's, byte for byte.
   */
  traceSteps?: boolean;
}

export interface EmittedModel {
  /**
   * Project-relative path -> contents: model.c, model.h, the kernel headers (kernels/eenn_kernels_f32.h,
   * kernels/eenn_kernels_s8.h with kernels/eenn_fixedpoint.h) and the kernel .c files used.
   */
  files: Map<string, string>;
  /** Kernel .c files the build must compile, project-relative (kernels/...). */
  kernelSources: string[];
  arenaBytes: number;
  /** Bytes of the const arrays (weights and tables) in model.c. */
  weightBytes: number;
  /** Multiply-accumulates of one inference (every layer run). */
  macs: number;
  /** EENN_NUM_EXITS: the early exits and the final one (1 for a model without early exits). */
  exits: number;
  /** An intermittent build: the sizes of its state and NVM layout. */
  intermittent?: IntermittentSizes;
}

/** Generate model.c, model.h and the kernel files for a planned float32 or int8 graph. */
export function emitModel(graph: Graph, plan: MemoryPlan, options: EmitOptions): EmittedModel {
  const prefix = checkEmitOptions(options);
  if (options.traceSteps && options.intermittent) throw new Error('internal: an intermittent build traces its tasks, not its steps');
  checkModelIo(graph, options.precision);
  const planProblems = validatePlan(plan, graph);
  if (planProblems.length > 0) throw new Error(`internal: the memory plan does not fit this graph: ${planProblems.slice(0, 3).join('; ')}`);
  const lowered = options.precision === 'int8' ? lowerInt8Graph(graph, plan) : lowerGraph(graph, plan);

  const constants = new ConstantTable(new IdentifierPool(['eenn_arena', 'input', 'output']), options.precision === 'int8');
  const storage = new TensorStorage(graph, plan, constants, options.precision, options.intermittent !== undefined);
  const printed = printSteps(graph, lowered, storage, constants);
  const { copies, sources: copySources } = outputCopies(graph, plan, storage);
  const exits = printExits(graph, plan, storage, constants, copies);
  const tasks =
    options.intermittent && printIntermittent(options.intermittent, { graph, plan, lowered, printed, exits, copies, storage, constants, prefix });
  const sources = [...new Set([...printed.sources, ...copySources, ...exits.sources, ...(tasks ? tasks.sources : [])])].sort();
  const context = modelContext(graph, plan, lowered, options, prefix, {
    printed,
    copies,
    exits,
    storage,
    constants: constants.printed(),
    headers: kernelHeaders(sources, options.precision),
  });
  const fullContext = { ...context, intermittent: tasks ? tasks.context : false };

  const files = new Map<string, string>();
  files.set('model.h', renderTemplate('model/model.h.hbs', fullContext, INTERMITTENT_PARTIALS));
  const modelC = renderTemplate('model/model.c.hbs', fullContext, INTERMITTENT_PARTIALS);
  files.set('model.c', tasks ? withModelHash(modelC).text : modelC);
  for (const [path, text] of kernelFiles(context.kernelHeaders, sources, graph, lowered, context.modelName)) files.set(path, text);
  return {
    files,
    kernelSources: sources.map((s) => `${KERNEL_DIR}/${s}`),
    arenaBytes: context.arenaBytes,
    weightBytes: context.weightBytes,
    macs: printed.macs,
    exits: context.numExits,
    ...(tasks ? { intermittent: tasks.sizes } : {}),
  };
}

/** The templates of an intermittent build's parts of model.c and model.h. */
const INTERMITTENT_PARTIALS = { intermittent_run: 'model/intermittent.c.hbs', intermittent_h: 'model/intermittent.h.hbs' };

/** The tasks, state and hooks of an intermittent build, as its templates print them. */
function printIntermittent(
  intermittent: IntermittentEmit,
  parts: Pick<ModelParts, 'printed' | 'exits' | 'copies' | 'storage'> & {
    graph: Graph;
    plan: MemoryPlan;
    lowered: readonly LoweredGraphStep[];
    constants: ConstantTable;
    prefix: string;
  },
) {
  const finalExit = Math.max(1, parts.exits.docs.length) - 1;
  // The exit whose answer first includes each output: an early exit's own, else the final one.
  const outputExits = parts.graph.outputs.map((_, i) => parts.exits.docs.find((d) => d.output === i)?.index ?? finalExit);
  const arenaBytes = parts.storage.offsets().length > 0 ? parts.plan.arenaBytes : 0;
  const printer = { ...parts, steps: parts.printed.steps, exits: parts.exits.exits, finalExit };
  return intermittentContext(printer, intermittent.tasks, arenaBytes, outputExits);
}

/** The printed parts of the model that model.c.hbs and model.h.hbs put together. */
interface ModelParts {
  printed: PrintedSteps;
  copies: OutputCopy[];
  exits: PrintedExits;
  storage: TensorStorage;
  constants: { arrays: PrintedConstant[]; bytes: number };
  headers: string[];
}

/** The context of the model.c and model.h templates. */
function modelContext(graph: Graph, plan: MemoryPlan, lowered: readonly LoweredGraphStep[], options: EmitOptions, prefix: string, parts: ModelParts) {
  const inputs = modelIo(graph, graph.inputs, parts.storage.used.inputs);
  const outputs = modelIo(graph, graph.outputs, parts.storage.used.outputs);
  const offsets = parts.storage.offsets();
  const hasArena = offsets.length > 0;
  const arenaBytes = hasArena ? plan.arenaBytes : 0;
  const weightBytes = parts.constants.bytes;
  const PREFIX = prefix.toUpperCase();
  // Each early exit's decision follows its step: in eenn_run, or after the call of the section its step ends.
  const decisionsAfter = (step: number): PrintedExit[] => parts.exits.exits.filter((e) => e.step === step);
  const traced = options.traceSteps ?? false;
  // Where model.c.hbs prints the call of <prefix>_trace_step(traceIndex): after the step, or the section's call.
  const stepTrace = (index: number, here: boolean) => ({ traced: traced && here, traceIndex: index });
  const sections = sectionsOf(
    parts.printed.steps,
    inputs,
    outputs,
    parts.exits.exits.map((e) => e.step),
  ).map((section) => {
    const decisions = decisionsAfter(section.last);
    // A step's trace follows its decisions: in eenn_run after the section's call where the section ends in some.
    const inRun = traced && decisions.length > 0;
    const inSection = section.steps.map((step, i) => ({
      ...step,
      decisions: [],
      ...stepTrace(section.first + i, !(inRun && section.first + i === section.last)),
    }));
    return { ...section, steps: inSection, decisions, ...stepTrace(section.last, inRun) };
  });
  const steps = parts.printed.steps.map((step, i) => ({ ...step, decisions: sections.length > 0 ? [] : decisionsAfter(i), ...stepTrace(i, true) }));
  const numExits = Math.max(1, parts.exits.docs.length);
  return {
    modelName: commentText(options.modelName),
    precision: options.precision,
    PRECISION: options.precision.toUpperCase(),
    kernelHeaders: parts.headers,
    prefix,
    PREFIX,
    guard: `${PREFIX}_MODEL_H`,
    inputs,
    outputs,
    anyQuantizedIo: [...inputs, ...outputs].some((t) => t.quantized),
    typedIo: [...inputs, ...outputs].some((t) => t.dtype !== 'float32' && t.dtype !== 'int8'),
    numExits,
    finalExit: numExits - 1,
    exitDocs: parts.exits.docs,
    exitPolicy: parts.exits.policy ?? '',
    takenVariable: TAKEN_VARIABLE,
    arenaBytes,
    arenaFloats: Math.max(1, Math.ceil(plan.arenaBytes / 4)),
    naiveBytes: formatCount(plan.naiveBytes),
    weightBytes,
    weightBytesText: formatCount(weightBytes),
    arenaBytesText: formatCount(arenaBytes),
    macs: formatCount(parts.printed.macs),
    inputBytesList: inputs.map((i) => `${i.bytes}u`).join(', '),
    outputBytesList: outputs.map((o) => `${o.bytes}u`).join(', '),
    constants: parts.constants.arrays,
    hasArena,
    offsets,
    // The other element types' views of the arena (int64, bool...), each as long as the float one.
    arenaViews: parts.storage.arenaViews().map((v) => ({ ...v, length: Math.ceil((Math.max(1, Math.ceil(plan.arenaBytes / 4)) * 4) / v.bytes) })),
    steps,
    sections,
    sectionSteps: SECTION_STEPS,
    copies: parts.copies,
    contractChecks: contractChecks(graph, lowered),
    traceSteps: traced,
    numSteps: parts.printed.steps.length,
  };
}
