// Codegen: the steps of model.c as model.c.hbs prints them: each step's comment (nodes, shapes, MACs) and notes,
// its kernel calls with every argument as a C expression, runs of like calls rolled into loops (roll-loops.ts),
// and a model of many steps cut into sections of one function each.

import type { Graph } from '../ir/graph.js';
import { nodeMacs } from '../ops/macs.js';
import type { Step } from '../schedule/schedule.js';
import { commentText, formatCount, formatFloat, formatInt, formatShape } from './c-format.js';
import type { ConstantTable } from './constants.js';
import type { ConstArray, KernelArg, KernelCall } from '../kernels/call.js';
import type { LoweredGraphStep } from './lower-steps.js';
import { rollCalls, type RolledArg } from './roll-loops.js';
import type { IoUse, TensorStorage } from './storage.js';

/**
 * A model of more steps than this runs them in sections of this many, one static function each, called in order
 * by eenn_run: gcc's dead store elimination and reload CSE take time quadratic in the size of one function (a
 * 2,000-step eenn_run took 7.5 s to compile for the host, in sections of 64 steps 1.3 s). Smaller models keep
 * every step in eenn_run.
 */
export const SECTION_STEPS = 64;

/** The loop variable of rolled calls (src/codegen/roll-loops.ts): the block a pass computes. */
const LOOP_VARIABLE = 'block';

/** A call as the template prints it: the function and its arguments, labels padded to one width. */
export interface PrintedCall {
  fn: string;
  args: { label: string; expr: string }[];
}

/** Calls printed one after the other, or the body of a loop of `loop.count` passes. */
interface PrintedGroup {
  loop: { count: number; variable: string } | undefined;
  calls: PrintedCall[];
}

/** A step as the template prints it, with the model inputs and outputs it uses. */
export interface PrintedStep extends IoUse {
  comment: string;
  notes: string[];
  groups: PrintedGroup[];
}

/** A section of steps: a static function `name` taking the model inputs and outputs its steps use. */
export interface Section {
  name: string;
  first: number;
  last: number;
  params: string;
  args: string;
  steps: PrintedStep[];
}

/** What printing a step needs besides its calls: where tensors live, the constant arrays, the step's number. */
export interface StepPrinter {
  storage: TensorStorage;
  constants: ConstantTable;
  stepIndex: number;
}

/** The printed steps, the kernel source files their calls use and the multiply-accumulates of one inference. */
export interface PrintedSteps {
  steps: PrintedStep[];
  sources: Set<string>;
  macs: number;
}

/** Prints the lowered steps; the one place that reads the plan's step records (number, nodes, in place). */
export function printSteps(graph: Graph, lowered: readonly LoweredGraphStep[], storage: TensorStorage, constants: ConstantTable): PrintedSteps {
  const sources = new Set<string>();
  let macs = 0;
  const steps = lowered.map(({ step, lowered: low }) => {
    // Everything the step computes: fused activations, pools, residual adds and the second Conv of a pair too.
    const stepMacs = step.nodes.reduce((sum, n) => sum + nodeMacs(graph, n), 0);
    macs += stepMacs;
    for (const call of low.calls) {
      sources.add(call.source);
      for (const used of call.uses ?? []) sources.add(used);
    }
    const uses = storage.begin();
    const groups = printGroups(low.calls, { storage, constants, stepIndex: step.index });
    const notes = low.detail ? [commentText(low.detail)] : [];
    if (low.calls.length === 0 && !low.detail) notes.push('nothing to compute');
    return { comment: stepComment(graph, step, stepMacs), notes, groups, ...uses };
  });
  return { steps, sources, macs };
}

/** `[index] node (op) + fused (op, fused), in place: input shapes -> output shapes, MACs`. */
function stepComment(graph: Graph, step: Step, macs: number): string {
  const node = step.nodes[0]!;
  const shapeOf = (name: string): string => formatShape(graph.tensors.get(name)!.shape);
  const inShapes = node.inputs.filter((n) => n !== '' && !graph.tensors.get(n)?.data).map(shapeOf);
  const last = step.nodes[step.nodes.length - 1]!;
  const outShapes = last.outputs.filter((n) => n !== '').map(shapeOf);
  const fusedNames = step.nodes
    .slice(1)
    .map((n) => ` + ${n.name} (${n.op}, fused)`)
    .join('');
  const title = `[${step.index}] ${node.name} (${node.op})${fusedNames}${step.inPlace ? ', in place' : ''}`;
  return commentText(`${title}: ${inShapes.join(', ') || 'constants'} -> ${outShapes.join(', ')}${macs > 0 ? `, ${formatCount(macs)} MACs` : ''}`);
}

/** A step's calls, runs of like calls rolled into loops. */
function printGroups(calls: KernelCall[], printer: StepPrinter): PrintedGroup[] {
  return rollCalls(calls).map((group) => {
    if (group.kind === 'calls') {
      return {
        loop: undefined,
        calls: group.calls.map((call) => printCall(call, printer)),
      };
    }
    const rolled = group.calls.map((call) =>
      printedCall(
        call.fn,
        call.args.map((arg) => rolledArgExpr(arg, printer)),
      ),
    );
    return { loop: { count: group.count, variable: LOOP_VARIABLE }, calls: rolled };
  });
}

/** One call of step `printer.stepIndex`, every argument as a C expression. */
export function printCall(call: KernelCall, printer: StepPrinter): PrintedCall {
  return printedCall(
    call.fn,
    call.args.map((arg) => [arg.name, argExpr(arg, printer)]),
  );
}

function printedCall(fn: string, args: [string, string][]): PrintedCall {
  const width = Math.max(0, ...args.map(([label]) => label.length));
  return { fn, args: args.map(([label, expr]) => ({ label: label.padEnd(width), expr })) };
}

/** Where a call's pointer arguments point, as C expressions: a tensor, a derived constant array, the step's scratch. */
export interface ArgPlaces {
  tensor(arg: Extract<KernelArg, { kind: 'tensor' }>): string;
  constant(array: ConstArray): string;
  scratch(): string;
}

/** The C expression of a kernel argument, its pointers placed by `places` (model.c's storage, or a test's arrays). */
export function kernelArgExpr(arg: KernelArg, places: ArgPlaces): string {
  const plus = (base: string, offset: number | undefined): string => (offset ? `${base} + ${formatInt(offset)}` : base);
  switch (arg.kind) {
    case 'tensor':
      return plus(places.tensor(arg), arg.offset);
    case 'const':
      return arg.array.data.length === 0 ? 'NULL' : plus(places.constant(arg.array), arg.offset);
    case 'int':
      return formatInt(arg.value);
    case 'float':
      return formatFloat(arg.value);
    case 'macro':
      return arg.value;
    case 'null':
      return 'NULL';
    case 'scratch':
      return plus(places.scratch(), arg.offset);
  }
}

/** The C expression of a kernel argument of step `printer.stepIndex` in model.c. */
function argExpr(arg: KernelArg, printer: StepPrinter): string {
  return kernelArgExpr(arg, {
    tensor: (a) => printer.storage.tensor(a.tensor, a.stored === true),
    constant: (array) => printer.constants.derived(array),
    scratch: () => printer.storage.scratch(printer.stepIndex),
  });
}

/** The label and C expression of an argument of a rolled call, in terms of the loop variable. */
function rolledArgExpr(rolled: RolledArg, printer: StepPrinter): [string, string] {
  switch (rolled.kind) {
    case 'fixed':
      return [rolled.arg.name, argExpr(rolled.arg, printer)];
    case 'stride': {
      const first = rolled.arg.kind === 'int' ? { ...rolled.arg, value: 0 } : { ...rolled.arg, offset: 0 };
      const start = rolled.arg.kind === 'int' ? rolled.arg.value : ((rolled.arg as { offset?: number }).offset ?? 0);
      return [rolled.arg.name, withPassOffset(argExpr(first, printer), start, rolled.step)];
    }
    case 'slices':
      return [rolled.name, withPassOffset(printer.constants.derived(rolled.array), 0, rolled.length)];
  }
}

/** `base` (a pointer or 0) advanced by `start` + `step` per pass of the loop. */
function withPassOffset(base: string, start: number, step: number): string {
  const perPass = step === 1 ? LOOP_VARIABLE : `${formatInt(step)} * ${LOOP_VARIABLE}`;
  const terms = [base === '0' ? '' : base, start !== 0 ? formatInt(start) : ''].filter((t) => t !== '');
  if (terms.length === 0) return perPass;
  return `${terms.join(' + ')} + ${perPass}`.replace(/\+ -/g, '- ');
}

/**
 * The steps in sections of SECTION_STEPS when there are more than that (else none), each a static function
 * `eenn_steps_FIRST_LAST` (the eenn_ prefix keeps it apart from every identifier made from a tensor name) taking
 * the model inputs and outputs its steps use. A section also ends at each step of `cuts` (where eenn_run decides
 * on an early exit between two sections).
 */
export function sectionsOf(
  steps: PrintedStep[],
  inputs: { index: number; ctype: string }[],
  outputs: { index: number; ctype: string }[],
  cuts: readonly number[] = [],
): Section[] {
  if (steps.length <= SECTION_STEPS) return [];
  const sections = [];
  for (let first = 0; first < steps.length;) {
    const cut = Math.min(...cuts.filter((c) => c >= first), first + SECTION_STEPS - 1, steps.length - 1);
    const part = steps.slice(first, cut + 1);
    const uses = (role: 'inputs' | 'outputs', index: number) => part.some((step) => step[role].has(index));
    const pointers = [
      ...inputs.filter((t) => uses('inputs', t.index)).map((t) => [`const ${t.ctype} *const input_${t.index}`, `input_${t.index}`]),
      ...outputs.filter((t) => uses('outputs', t.index)).map((t) => [`${t.ctype} *const output_${t.index}`, `output_${t.index}`]),
    ];
    const last = first + part.length - 1;
    sections.push({
      name: `eenn_steps_${first}_${last}`,
      first,
      last,
      params: pointers.length > 0 ? pointers.map(([param]) => param).join(', ') : 'void',
      args: pointers.map(([, arg]) => arg).join(', '),
      steps: part,
    });
    first = last + 1;
  }
  return sections;
}
