// The exits stage: which outputs of a model are early exits (named by the user, stated in the model's
// metadata_props, or found in the graph), the decision each exit makes, and an order of the nodes in which every
// exit head runs as early as its inputs allow. Talks to the rest through the IR (src/ir/exits.ts).

import type { Graph } from '../ir/graph.js';
import type { ExitPolicy } from '../ir/exits.js';
import { nodeMacs } from '../ops/macs.js';
import type { Value } from '../ops/types.js';
import { attachTo } from './attach.js';
import { decideFloat, decideInt8 } from './decide.js';
import { branchPoints, findExits } from './detect.js';
import { EXIT_THRESHOLDS_KEY, EXITS_KEY, readExitMetadata, type ExitMetadata } from './metadata.js';
import { checkExitNames, checkThresholds, DEFAULT_EXIT_POLICY, DEFAULT_EXIT_THRESHOLDS, type ExitSource } from './options.js';
import { exitOrder } from './order.js';

export { exitMetadata, readExitMetadata } from './metadata.js';
export { DEFAULT_EXIT_THRESHOLDS } from './options.js';
export { decideFloat, decideInt8 } from './decide.js';
export { int8ExitRule } from './rule.js';
export { exitDecision } from './attach.js';

/** What the command line says about exits (--exits, --exit-threshold, --exit-policy, --no-exits). */
export interface ExitOptions {
  /** --exits: output names in exit order, the last being the final classifier. */
  names?: string[];
  /** --exit-threshold: one value for every early exit, or one per early exit. */
  thresholds?: number[];
  /** --exit-policy (default max-softmax, or what the model's metadata states). */
  policy?: ExitPolicy;
  /** --no-exits: every layer runs and every output is computed. */
  disabled?: boolean;
}

/** The exits of a model as resolved on its float graph, before the decisions are made concrete. */
export interface ResolvedExits {
  /** Output names in exit order; the last is the final classifier. */
  outputs: string[];
  policy: ExitPolicy;
  /** One per early exit. */
  thresholds: number[];
  /** Where the exits came from, for the notes: 'option', 'metadata' or 'found'. */
  source: 'option' | 'metadata' | 'found';
}

const USAGE_HINT = 'name the exits with --exits OUT1,OUT2,FINAL (`eennc inspect MODEL.onnx` lists the outputs), or run every layer with --no-exits';
const FLAG = (what: string): ExitSource => ({ what, code: 'E_USAGE', hint: USAGE_HINT });
const METADATA = (key: string): ExitSource => ({
  what: `the metadata_props entry ${key}`,
  code: 'E_MODEL',
  hint: 'write the model again with `eennc augment`, or override its exits with --exits, --exit-policy and --exit-threshold',
});

/**
 * Which outputs of `graph` (the float graph after import) are exits: from `options.names`, else the model's
 * metadata_props, else the outputs found to branch off one backbone. Validates names, shapes and thresholds
 * (E_USAGE naming what is wrong) and pushes a note saying what was found. Undefined when the model has a single
 * exit or `options.disabled`.
 */
export function resolveExits(graph: Graph, options: ExitOptions, notes: string[]): ResolvedExits | undefined {
  if (options.disabled) {
    const had = exitsIgnoringErrors(graph, options);
    if (had) notes.push(`early exits off (--no-exits): every layer runs and every output is computed (the model's exits: ${had.join(', ')})`);
    return undefined;
  }
  // --exits overrides the metadata, which is then not read (nor refused when malformed).
  const metadata = options.names ? undefined : readExitMetadata(graph.metadata);
  let outputs: string[];
  let source: ResolvedExits['source'];
  if (options.names) {
    checkExitNames(graph, options.names, FLAG('--exits'));
    [outputs, source] = [[...options.names], 'option'];
  } else if (metadata) {
    checkExitNames(graph, metadata.outputs, METADATA(EXITS_KEY));
    [outputs, source] = [metadata.outputs, 'metadata'];
  } else {
    const found = findExits(graph);
    if (!found) {
      const flags = [options.thresholds && '--exit-threshold', options.policy && '--exit-policy'].filter(Boolean);
      if (flags.length > 0)
        notes.push(`the model has no early exits (no two classifier outputs branch off one backbone): ${flags.join(' and ')} left unused`);
      return undefined;
    }
    [outputs, source] = [found.outputs, 'found'];
    const early = found.outputs.slice(0, -1).map((name, i) => `${name} (after node ${found.branchesAfter[i]})`);
    notes.push(`early exits found: ${early.join(', ')}, final: ${found.outputs.at(-1)}; --exits to choose others, --no-exits to run every layer`);
  }
  const fromMetadata: ExitMetadata | undefined = source === 'metadata' ? metadata : undefined;
  const policy = options.policy ?? fromMetadata?.policy ?? DEFAULT_EXIT_POLICY;
  const early = outputs.length - 1;
  let thresholds: number[];
  let said: string;
  if (options.thresholds) {
    thresholds = checkThresholds(options.thresholds, early, policy, FLAG('--exit-threshold'));
    said = '--exit-threshold';
  } else if (fromMetadata?.thresholds && policy === (fromMetadata.policy ?? DEFAULT_EXIT_POLICY)) {
    thresholds = checkThresholds(fromMetadata.thresholds, early, policy, METADATA(EXIT_THRESHOLDS_KEY));
    said = "the model's metadata_props";
  } else {
    thresholds = new Array<number>(early).fill(DEFAULT_EXIT_THRESHOLDS[policy]);
    said = `the default for ${policy}; --exit-threshold to choose`;
  }
  if (source !== 'found') {
    notes.push(`early exits (${source === 'option' ? '--exits' : "the model's metadata_props"}): ${outputs.join(', ')}`);
    const late = outOfOrder(graph, outputs);
    if (late) notes.push(late);
  }
  notes.push(`exit policy ${policy}, threshold${early === 1 ? '' : 's'} ${thresholds.join(', ')} (${said})`);
  return { outputs, policy, thresholds, source };
}

/** A note when an early exit is named after one that branches off the backbone later (it then waits for it). */
function outOfOrder(graph: Graph, outputs: readonly string[]): string | undefined {
  const points = branchPoints(graph, outputs);
  for (let i = 1; i < points.length; i++) {
    const earlier = points.findIndex((p, j) => j < i && p > points[i]!);
    if (earlier >= 0) {
      return (
        `exit ${outputs[i]} branches off the backbone before exit ${outputs[earlier]}, which comes first in exit order: ` +
        `${outputs[i]}'s decision waits for the backbone up to ${outputs[earlier]}`
      );
    }
  }
  return undefined;
}

/** The exits the model would have without --no-exits, for its note; undefined where there are none or they are wrong. */
function exitsIgnoringErrors(graph: Graph, options: ExitOptions): string[] | undefined {
  try {
    return options.names ?? readExitMetadata(graph.metadata)?.outputs ?? findExits(graph)?.outputs;
  } catch {
    return findExits(graph)?.outputs;
  }
}

/**
 * The graph ready for the schedule: `graph.exits` set (each decision made concrete for the graph's precision:
 * the int8 rule from the decision tensor's scale), and the nodes reordered so that each exit head runs as soon as
 * its inputs are ready and the backbone behind it after its decision. `graph` may be the float or the int8 graph.
 */
export function attachExits(graph: Graph, exits: ResolvedExits): Graph {
  return attachTo(graph, exits);
}

/** Whether early exit `index` of an attached graph stops, given its decision tensor's values. */
function exitStops(graph: Graph, index: number, value: Value): boolean {
  const exits = graph.exits;
  const decision = exits?.decisions[index];
  if (!exits || !decision) throw new Error(`internal: graph "${graph.name}" has no early exit ${index}`);
  return decision.int8
    ? decideInt8(decision.kind, exits.policy, decision.int8, value.data)
    : decideFloat(decision.kind, exits.policy, exits.thresholds[index]!, value.data);
}

/**
 * The exit the model takes, given the values of every exit's decision tensor (a reference run that kept them):
 * the index into `graph.exits.outputs` of the first exit whose decision says stop, else the last (final).
 * Bit for bit what the generated code decides on int8 tensors.
 */
export function exitTaken(graph: Graph, values: Record<string, Value>): number {
  const exits = graph.exits;
  if (!exits) return 0;
  for (let i = 0; i < exits.decisions.length; i++) {
    const tensor = exits.decisions[i]!.tensor;
    const value = values[tensor];
    if (!value) throw new Error(`internal: the run did not keep exit decision tensor "${tensor}"`);
    if (exitStops(graph, i, value)) return i;
  }
  return exits.outputs.length - 1;
}

/** Multiply-accumulates of an attached graph: up to each exit's decision (cumulative), and of every node. */
export interface ExitMacs {
  /** One per exit, in order: the MACs of the nodes that run before its decision (earlier heads included). */
  exits: number[];
  /** Every node (--no-exits). */
  total: number;
}

/** The cumulative MACs at each exit of `graph` (attached: its nodes in exit order) and of the whole graph. */
export function exitMacs(graph: Graph): ExitMacs {
  const macs = graph.nodes.map((node) => nodeMacs(graph, node));
  const prefix = (n: number) => macs.slice(0, n).reduce((a, b) => a + b, 0);
  const total = prefix(macs.length);
  if (!graph.exits) return { exits: [total], total };
  const { placed } = exitOrder(graph, graph.exits.outputs);
  return { exits: placed.map(prefix), total };
}

/**
 * For each exit of an attached graph, how many of its nodes (in order) run before the exit's decision: the
 * decision of exit i runs after node `exitPlacement(graph)[i] - 1`.
 */
export function exitPlacement(graph: Graph): number[] {
  return graph.exits ? exitOrder(graph, graph.exits.outputs).placed : [graph.nodes.length];
}
