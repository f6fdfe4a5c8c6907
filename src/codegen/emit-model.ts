// Codegen: turns the planned graph (float32, or quantized to the int8 dialect) into model.c / model.h (Handlebars
// templates) plus the kernel files they use. Sits after planMemory; firmware.ts wraps the result into a project.

import { EennError } from '../ir/diagnostics.js';
import { sizeOf, type DType, type Graph, type Tensor } from '../ir/graph.js';
import type { MemoryPlan, PlannedBuffer } from '../schedule/memory-plan.js';
import { tensorBytes, validatePlan } from '../schedule/memory-plan.js';
import {
  commentText, formatArrayBody, formatCount, formatFloat, formatInt, formatShape, IdentifierPool, stringLiteral,
  type ArrayKind,
} from './c-format.js';
import type { ConstArray, ConstCType, KernelArg } from './kernel-call.js';
import { INT8_KERNEL_FEATURES, int8KernelFeatures } from './kernel-features.js';
import { contractChecks } from '../kernels/contract-checks.js';
import { rollCalls } from './roll-loops.js';
import { lowerGraph } from './lower-float.js';
import { lowerInt8Graph } from './lower-int8.js';
import { nodeMacs } from '../ops/macs.js';
import { readTemplateFile, renderTemplate } from './templates.js';

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
  /** Multiply-accumulates of one inference. */
  macs: number;
}

export const KERNEL_DIR = 'kernels';
/** Header of the float32 kernels. */
const F32_HEADER = 'eenn_kernels_f32.h';
/** Header of the int8 kernels, and the fixed-point arithmetic it includes (from templates/c/runtime). */
const S8_HEADER = 'eenn_kernels_s8.h';
const FIXEDPOINT_HEADER = 'eenn_fixedpoint.h';
/** The int8 kernels' switches of optional fast paths, written for each model (src/codegen/kernel-features.ts). */
const CONFIG_HEADER = 'eenn_config.h';

/** C element type of a tensor's dtype where code generation handles it. */
const CTYPE_OF: Partial<Record<DType, ConstCType>> = { float32: 'float', int8: 'int8_t', int32: 'int32_t' };
const ARRAY_KIND: Record<ConstCType, ArrayKind> = { float: 'float', int32_t: 'int32', int8_t: 'int8' };
const CTYPE_BYTES: Record<ConstCType, number> = { float: 4, int32_t: 4, int8_t: 1 };
/** Arena pointer macro of each activation element type (model.c.hbs defines them). */
const ARENA_MACRO: Partial<Record<DType, string>> = { float32: 'EENN_ARENA_F32', int8: 'EENN_ARENA_S8' };

/** The loop variable of rolled calls (src/codegen/roll-loops.ts): the block a pass computes. */
const LOOP_VARIABLE = 'block';

/**
 * A model of more steps than this runs them in sections of this many, one static function each, called in order
 * by eenn_run: gcc's dead store elimination and reload CSE take time quadratic in the size of one function (a
 * 2,000-step eenn_run took 7.5 s to compile for the host, in sections of 64 steps 1.3 s). Smaller models keep
 * every step in eenn_run.
 */
export const SECTION_STEPS = 64;

/** A call as the template prints it: the function and its arguments, labels padded to one width. */
function printedCall(fn: string, args: [string, string][]): { fn: string; args: { label: string; expr: string }[] } {
  const width = Math.max(0, ...args.map(([label]) => label.length));
  return { fn, args: args.map(([label, expr]) => ({ label: label.padEnd(width), expr })) };
}

/** `base` (a pointer or 0) advanced by `start` + `step` per pass of the loop. */
function withPassOffset(base: string, start: number, step: number): string {
  const perPass = step === 1 ? LOOP_VARIABLE : `${formatInt(step)} * ${LOOP_VARIABLE}`;
  const terms = [base === '0' ? '' : base, start !== 0 ? formatInt(start) : ''].filter((t) => t !== '');
  if (terms.length === 0) return perPass;
  return `${terms.join(' + ')} + ${perPass}`.replace(/\+ -/g, '- ');
}

/** The header that declares the kernels of a kernel source file. */
function headerOfSource(source: string): string {
  return source.endsWith('_s8.c') ? S8_HEADER : F32_HEADER;
}

/** A constant array to print, from a graph tensor or derived by a lowering. */
interface EmittedConstant {
  ident: string;
  ctype: ConstCType;
  data: ArrayLike<number>;
  note: string;
}

/** Hands out one C array per constant tensor or derived array, deduplicated. */
class ConstantTable {
  readonly list: EmittedConstant[] = [];
  private readonly byTensor = new Map<string, string>();
  private readonly byArray = new Map<ConstArray, string>();
  private readonly byName = new Map<string, { array: ConstArray; ident: string }[]>();

  /** `typed`: int8 and int32 tensors keep their C type (int8 weights, int32 biases); else everything is float. */
  constructor(private readonly ids: IdentifierPool, private readonly typed: boolean) {}

  tensor(t: Tensor): string {
    let ident = this.byTensor.get(t.name);
    if (!ident) {
      ident = this.ids.take(t.name);
      this.byTensor.set(t.name, ident);
      // The float kernels read every constant as float (an int32 Pow exponent, an int64 table); the int8 ones
      // take int8 weights and int32 biases as they are.
      const ctype = this.typed && (t.dtype === 'int8' || t.dtype === 'int32') ? CTYPE_OF[t.dtype]! : 'float';
      const data = ctype === 'float' && !(t.data instanceof Float32Array) ? Float32Array.from(t.data as ArrayLike<number>) : t.data as ArrayLike<number>;
      this.list.push({ ident, ctype, data, note: `"${commentText(t.name)}" ${formatShape(t.shape)} ${ctype === 'float' ? 'float32' : t.dtype}` });
    }
    return ident;
  }

  derived(array: ConstArray): string {
    const known = this.byArray.get(array);
    if (known) return known;
    // The same derivation of the same tensor (a weight shared by two nodes) is printed once.
    for (const prior of this.byName.get(array.name) ?? []) {
      if (prior.array.ctype === array.ctype && sameData(prior.array.data, array.data)) {
        this.byArray.set(array, prior.ident);
        return prior.ident;
      }
    }
    const ident = this.ids.take(array.name);
    this.byArray.set(array, ident);
    this.byName.set(array.name, [...(this.byName.get(array.name) ?? []), { array, ident }]);
    this.list.push({ ident, ctype: array.ctype, data: array.data, note: commentText(array.note) });
    return ident;
  }
}

function sameData(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

function layoutOf(shape: readonly number[]): string {
  if (shape.length === 4) return 'NCHW';
  if (shape.length === 3) return 'NCW';
  if (shape.length === 2) return '[N, features]';
  return 'row-major';
}

/** Generate model.c, model.h and the kernel files for a planned float32 or int8 graph. */
export function emitModel(graph: Graph, plan: MemoryPlan, options: EmitOptions): EmittedModel {
  if (options.precision !== 'float32' && options.precision !== 'int8') {
    throw new EennError({ code: 'E_USAGE', message: `precision ${String(options.precision)} is not one of float32, int8`, hint: 'give --precision int8 or --precision float32' });
  }
  const prefix = options.symbolPrefix ?? 'eenn';
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(prefix)) throw new EennError({ code: 'E_USAGE', message: `symbol prefix "${prefix}" is not a C identifier`, hint: 'use letters, digits and _, starting with a letter' });
  if (graph.inputs.length === 0 || graph.outputs.length === 0) {
    throw new EennError({
      code: 'E_UNSUPPORTED',
      message: `the model has ${graph.inputs.length === 0 ? 'no runtime input (every value folded to a constant)' : 'no output'}; there is nothing to compile`,
      hint: 'export the model with its real inputs (not folded into constants) and at least one output',
    });
  }
  const planProblems = validatePlan(plan, graph);
  if (planProblems.length > 0) throw new Error(`internal: the memory plan does not fit this graph: ${planProblems.slice(0, 3).join('; ')}`);
  checkModelIo(graph, options.precision);
  const lowered = options.precision === 'int8' ? lowerInt8Graph(graph, plan) : lowerGraph(graph, plan);

  const ids = new IdentifierPool(['eenn_arena', 'input', 'output']);
  const constants = new ConstantTable(ids, options.precision === 'int8');
  const usedInputs = new Set<number>();
  const usedOutputs = new Set<number>();
  // The inputs and outputs the current step reads or writes (a section of steps takes them as parameters).
  let stepInputs = new Set<number>();
  let stepOutputs = new Set<number>();

  // One offset macro per arena buffer, named after its first tensor.
  const offsetMacro = new Map<number, string>();
  const macroIds = new IdentifierPool();
  const arenaBuffers = plan.buffers.filter((b) => b.storage.kind === 'arena' && b.bytes > 0)
    .sort((a, b) => (a.storage as { offset: number }).offset - (b.storage as { offset: number }).offset || a.firstStep - b.firstStep);
  for (const b of arenaBuffers) offsetMacro.set(b.id, `EENN_OFFSET_${macroIds.take(b.tensors[0]!).toUpperCase()}`);

  /** The C expression of the storage of a tensor. */
  const storageOf = (name: string): string => {
    const t = graph.tensors.get(name);
    if (!t) throw new Error(`internal: unknown tensor "${name}"`);
    const arenaMacro = ARENA_MACRO[t.dtype];
    const id = plan.bufferOf.get(name);
    if (id === undefined) {
      if (t.data) return constants.tensor(t);
      throw new Error(`internal: tensor "${name}" has no storage in the plan`);
    }
    const buffer: PlannedBuffer = plan.buffers[id]!;
    const s = buffer.storage;
    switch (s.kind) {
      case 'arena': {
        if (buffer.bytes === 0) return 'NULL';
        if (!arenaMacro) throw new Error(`internal: ${t.dtype} tensor "${name}" in the arena`);
        return `${arenaMacro}(${offsetMacro.get(buffer.id)!})`;
      }
      case 'input': usedInputs.add(s.index); stepInputs.add(s.index); return `input_${s.index}`;
      case 'output': usedOutputs.add(s.index); stepOutputs.add(s.index); return `output_${s.index}`;
      case 'constant': return constants.tensor(graph.tensors.get(s.tensor)!);
      case 'fused': throw new Error(`internal: tensor "${name}" lives only inside a fused kernel`);
    }
  };
  let stepIndex = -1;
  const argExpr = (arg: KernelArg): string => {
    switch (arg.kind) {
      case 'tensor': {
        const base = storageOf(arg.tensor);
        return arg.offset ? `${base} + ${formatInt(arg.offset)}` : base;
      }
      case 'const': {
        if (arg.array.data.length === 0) return 'NULL';
        const base = constants.derived(arg.array);
        return arg.offset ? `${base} + ${formatInt(arg.offset)}` : base;
      }
      case 'int': return formatInt(arg.value);
      case 'float': return formatFloat(arg.value);
      case 'macro': return arg.value;
      case 'null': return 'NULL';
      case 'scratch': {
        const id = plan.scratchOf.get(stepIndex);
        if (id === undefined) throw new Error(`internal: step ${stepIndex} has no scratch buffer`);
        const base = `${options.precision === 'int8' ? 'EENN_ARENA_S8' : 'EENN_ARENA_F32'}(${offsetMacro.get(id)!})`;
        return arg.offset ? `${base} + ${formatInt(arg.offset)}` : base;
      }
    }
  };

  const sources = new Set<string>();
  let totalMacs = 0;
  const steps = lowered.map(({ step, lowered: low }) => {
    const node = step.nodes[0]!;
    stepIndex = step.index;
    stepInputs = new Set();
    stepOutputs = new Set();
    // Everything the step computes: fused activations, pools, residual adds and the second Conv of a pair too.
    const macs = step.nodes.reduce((sum, n) => sum + nodeMacs(graph, n), 0);
    totalMacs += macs;
    const inShapes = node.inputs.filter((n) => n !== '' && !graph.tensors.get(n)?.data).map((n) => formatShape(graph.tensors.get(n)!.shape));
    const last = step.nodes[step.nodes.length - 1]!;
    const outShapes = last.outputs.filter((n) => n !== '').map((n) => formatShape(graph.tensors.get(n)!.shape));
    const fusedNames = step.nodes.slice(1).map((n) => ` + ${n.name} (${n.op}, fused)`).join('');
    const title = `[${step.index}] ${node.name} (${node.op})${fusedNames}${step.inPlace ? ', in place' : ''}`;
    const comment = commentText(`${title}: ${inShapes.join(', ') || 'constants'} -> ${outShapes.join(', ')}${macs > 0 ? `, ${formatCount(macs)} MACs` : ''}`);
    const notes = low.detail ? [commentText(low.detail)] : [];
    if (low.calls.length === 0 && !low.detail) notes.push('nothing to compute');
    for (const call of low.calls) {
      sources.add(call.source);
      for (const used of call.uses ?? []) sources.add(used);
    }
    const groups = rollCalls(low.calls).map((group) => {
      if (group.kind === 'calls') {
        return { loop: undefined, calls: group.calls.map((call) => printedCall(call.fn, call.args.map((arg) => [arg.name, argExpr(arg)]))) };
      }
      const calls = group.calls.map((call) => printedCall(call.fn, call.args.map((rolled): [string, string] => {
        switch (rolled.kind) {
          case 'fixed': return [rolled.arg.name, argExpr(rolled.arg)];
          case 'stride': {
            const first = rolled.arg.kind === 'int' ? { ...rolled.arg, value: 0 } : { ...rolled.arg, offset: 0 };
            const start = rolled.arg.kind === 'int' ? rolled.arg.value : (rolled.arg as { offset?: number }).offset ?? 0;
            return [rolled.arg.name, withPassOffset(argExpr(first), start, rolled.step)];
          }
          case 'slices': return [rolled.name, withPassOffset(constants.derived(rolled.array), 0, rolled.length)];
        }
      })));
      return { loop: { count: group.count, variable: LOOP_VARIABLE }, calls };
    });
    return { comment, notes, groups, inputs: stepInputs, outputs: stepOutputs };
  });
  // The copies below run in eenn_run, after the sections: what they read is no step's.
  stepInputs = new Set();
  stepOutputs = new Set();

  // Model outputs whose tensor is stored somewhere else than their own output buffer get a final copy.
  const copies = graph.outputs.flatMap((name, index) => {
    const id = plan.bufferOf.get(name);
    const s = id === undefined ? undefined : plan.buffers[id]!.storage;
    if (s && s.kind === 'output' && s.index === index) return [];
    const t = graph.tensors.get(name)!;
    const size = sizeOf(t.shape);
    if (size === 0) return [];
    usedOutputs.add(index);
    const [fn, source] = t.dtype === 'int8' ? ['eenn_copy_s8', 'eenn_layout_s8.c'] : ['eenn_copy_f32', 'eenn_layout_f32.c'];
    sources.add(source);
    return [{ fn, source: storageOf(name), index, size: formatInt(size), name: commentText(name) }];
  });

  const io = (names: string[], used: Set<number>) => names.map((name, index) => {
    const t = graph.tensors.get(name)!;
    const quant = t.dtype === 'int8' ? t.quant! : undefined;
    return {
      index, name: commentText(name), nameLiteral: stringLiteral(name), dtype: t.dtype, ctype: CTYPE_OF[t.dtype]!,
      shape: formatShape(t.shape), shapeList: t.shape.length ? t.shape.join(', ') : '1', rank: t.shape.length,
      layout: layoutOf(t.shape), size: sizeOf(t.shape), bytes: tensorBytes(t), used: used.has(index),
      quantized: quant !== undefined,
      scale: quant ? formatFloat(quant.scale[0]!) : '',
      zeroPoint: quant ? formatInt(quant.zeroPoint[0]!) : '',
      quantNote: quant ? `, scale ${formatFloat(quant.scale[0]!)}, zero point ${quant.zeroPoint[0]!}` : '',
    };
  });
  const inputs = io(graph.inputs, usedInputs);
  const outputs = io(graph.outputs, usedOutputs);
  const sections = steps.length > SECTION_STEPS ? sectionsOf(steps, inputs, outputs) : [];

  const constantList = constants.list.map((c) => ({
    ident: c.ident, ctype: c.ctype, length: c.data.length, note: c.note,
    body: formatArrayBody(c.data, ARRAY_KIND[c.ctype]),
  })).filter((c) => c.length > 0);
  const weightBytes = constantList.reduce((sum, c) => sum + CTYPE_BYTES[c.ctype] * c.length, 0);
  const headers = [...new Set([...sources].map(headerOfSource))].sort();

  const offsets = arenaBuffers.map((b) => ({
    macro: offsetMacro.get(b.id)!,
    offset: (b.storage as { offset: number }).offset,
    bytes: b.bytes,
    first: b.firstStep,
    last: b.lastStep,
    tensors: commentText(b.tensors.map((t) => `"${t}"`).join(', ')),
  }));
  const hasArena = offsets.length > 0;
  const PREFIX = prefix.toUpperCase();
  const context = {
    modelName: commentText(options.modelName),
    precision: options.precision,
    PRECISION: options.precision.toUpperCase(),
    kernelHeaders: headers.length > 0 ? headers : [options.precision === 'int8' ? S8_HEADER : F32_HEADER],
    prefix, PREFIX,
    guard: `${PREFIX}_MODEL_H`,
    inputs, outputs,
    anyQuantizedIo: [...inputs, ...outputs].some((t) => t.quantized),
    numExits: 1,
    finalExit: 0,
    arenaBytes: hasArena ? plan.arenaBytes : 0,
    arenaFloats: Math.max(1, Math.ceil(plan.arenaBytes / 4)),
    naiveBytes: formatCount(plan.naiveBytes),
    weightBytes,
    weightBytesText: formatCount(weightBytes),
    arenaBytesText: formatCount(hasArena ? plan.arenaBytes : 0),
    macs: formatCount(totalMacs),
    inputBytesList: inputs.map((i) => `${i.bytes}u`).join(', '),
    outputBytesList: outputs.map((o) => `${o.bytes}u`).join(', '),
    constants: constantList,
    hasArena,
    offsets,
    steps,
    sections,
    sectionSteps: SECTION_STEPS,
    copies,
    contractChecks: contractChecks(graph, lowered),
  };

  const files = new Map<string, string>();
  files.set('model.h', renderTemplate('model/model.h.hbs', context));
  files.set('model.c', renderTemplate('model/model.c.hbs', context));
  for (const header of context.kernelHeaders) {
    files.set(`${KERNEL_DIR}/${header}`, readTemplateFile(`kernels/${header}`));
    if (header === S8_HEADER) {
      files.set(`${KERNEL_DIR}/${FIXEDPOINT_HEADER}`, readTemplateFile(`runtime/${FIXEDPOINT_HEADER}`));
      const used = int8KernelFeatures(graph, lowered.flatMap((l) => l.lowered.calls));
      const features = INT8_KERNEL_FEATURES.map((f) => ({ ...f, value: used.has(f.macro) ? 1 : 0 }));
      files.set(`${KERNEL_DIR}/${CONFIG_HEADER}`, renderTemplate('model/eenn_config.h.hbs', { modelName: context.modelName, features }));
    }
  }
  const kernelSources = [...sources].sort().map((s) => `${KERNEL_DIR}/${s}`);
  for (const source of [...sources].sort()) files.set(`${KERNEL_DIR}/${source}`, readTemplateFile(`kernels/${source}`));
  return { files, kernelSources, arenaBytes: context.arenaBytes, weightBytes, macs: totalMacs };
}

/**
 * The steps in sections of SECTION_STEPS, each a static function `eenn_steps_FIRST_LAST` (the eenn_ prefix keeps it
 * apart from every identifier made from a tensor name) taking the model inputs and outputs its steps use.
 */
function sectionsOf<S extends { inputs: Set<number>; outputs: Set<number> }>(
  steps: S[], inputs: { index: number; ctype: string }[], outputs: { index: number; ctype: string }[],
): { name: string; first: number; last: number; params: string; args: string; steps: S[] }[] {
  const sections = [];
  for (let first = 0; first < steps.length; first += SECTION_STEPS) {
    const part = steps.slice(first, first + SECTION_STEPS);
    const uses = (role: 'inputs' | 'outputs', index: number) => part.some((step) => step[role].has(index));
    const pointers = [
      ...inputs.filter((t) => uses('inputs', t.index)).map((t) => [`const ${t.ctype} *const input_${t.index}`, `input_${t.index}`]),
      ...outputs.filter((t) => uses('outputs', t.index)).map((t) => [`${t.ctype} *const output_${t.index}`, `output_${t.index}`]),
    ];
    const last = first + part.length - 1;
    sections.push({
      name: `eenn_steps_${first}_${last}`, first, last,
      params: pointers.length > 0 ? pointers.map(([param]) => param).join(', ') : 'void',
      args: pointers.map(([, arg]) => arg).join(', '),
      steps: part,
    });
  }
  return sections;
}

/**
 * The model's inputs and outputs must be of a type its code path passes through eenn_run(): float32 for the
 * float32 path; int8 with one scale and zero point (documented in model.h), or float32, for the int8 path.
 */
function checkModelIo(graph: Graph, precision: EmitOptions['precision']): void {
  for (const name of [...graph.inputs, ...graph.outputs]) {
    const t = graph.tensors.get(name)!;
    const what = `model ${graph.inputs.includes(name) ? 'input' : 'output'} "${name}"`;
    if (precision === 'float32' && t.dtype !== 'float32') {
      throw new EennError({ code: 'E_UNSUPPORTED', message: `${what} is ${t.dtype}; the float32 code path takes float32 inputs and outputs`, hint: 'export the model with float32 inputs and outputs (a cast inside the model is fine)' });
    }
    if (precision === 'int8') {
      if (t.dtype !== 'int8' && t.dtype !== 'float32') {
        throw new EennError({ code: 'E_UNSUPPORTED', message: `${what} is ${t.dtype}; the int8 code path takes int8 or float32 inputs and outputs`, hint: 'export the model with float32 inputs and outputs (a cast inside the model is fine)' });
      }
      if (t.dtype === 'int8' && (!t.quant || t.quant.scale.length !== 1 || t.quant.zeroPoint.length !== 1)) {
        throw new EennError({ code: 'E_UNSUPPORTED', message: `${what} is int8 without one scale and zero point`, hint: 'quantize the model with eennc (--precision int8)' });
      }
    }
  }
}

