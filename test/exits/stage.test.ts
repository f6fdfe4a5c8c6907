// The exits stage on small built models: which outputs are exits (named, stated in metadata_props, or found), the
// checks of names, shapes and thresholds, the exit order of the nodes, the decisions of the float and int8 graphs
// and the exit the int8 reference takes.

import { describe, expect, it } from 'vitest';
import { calibrate } from '../../src/calibration.js';
import { decideInt8 } from '../../src/exits/decide.js';
import {
  attachExits,
  exitMacs,
  exitMetadata,
  exitPlacement,
  exitTaken,
  readExitMetadata,
  resolveExits,
  type ExitOptions,
  type ResolvedExits,
} from '../../src/exits/index.js';
import { loadModel } from '../../src/frontend/load.js';
import { inferGraphShapes } from '../../src/frontend/shapes.js';
import { EennError } from '../../src/ir/diagnostics.js';
import type { Graph } from '../../src/ir/graph.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import { nodeMacs } from '../../src/ops/macs.js';
import type { Value } from '../../src/ops/types.js';
import { quantizeF32S8 } from '../../src/quantize/fixedpoint.js';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { quantizeGraph } from '../../src/quantize/quantize-graph.js';
import { buildGraph, randomFloats, writeScratch, type GraphSpec } from '../frontend/build-graph.js';
import { branchy, EXITS, SHAPE, SIZE, weights } from './branchy-model.js';

function resolve(graph: Graph, options: ExitOptions = {}): { exits: ResolvedExits | undefined; notes: string[] } {
  const notes: string[] = [];
  return { exits: resolveExits(graph, options, notes), notes };
}

function usageError(graph: Graph, options: ExitOptions): EennError {
  try {
    resolveExits(graph, options, []);
  } catch (err) {
    if (err instanceof EennError) return err;
    throw err;
  }
  throw new Error('no error');
}

/** True when every node's inputs are graph inputs, constants or outputs of an earlier node. */
function topological(graph: Graph): boolean {
  const ready = new Set([...graph.inputs, ...[...graph.tensors.values()].filter((t) => t.data).map((t) => t.name), '']);
  return graph.nodes.every((node) => {
    const ok = node.inputs.every((name) => ready.has(name));
    node.outputs.forEach((name) => ready.add(name));
    return ok;
  });
}

const samples = Array.from({ length: 8 }, (_, i) => randomFloats(SIZE, 100 + i).map((v) => v * 2));

async function quantized(graph: Graph, io: 'int8' | 'float32'): Promise<Graph> {
  const ranges = await calibrate(graph, samples, { method: 'minmax', workers: 1 });
  return quantizeGraph(graph, { ranges, io });
}

function int8Input(graph: Graph, data: Float32Array): Record<string, Value> {
  const x = graph.tensors.get('x')!;
  if (x.dtype === 'float32') return { x: { shape: SHAPE, dtype: 'float32', data } };
  const { scale, zeroPoint } = scaleZeroOf(x);
  return { x: { shape: SHAPE, dtype: 'int8', data: Int8Array.from(data, (v) => quantizeF32S8(v, scale, zeroPoint)) } };
}

describe('resolveExits', () => {
  it('finds the classifier outputs branching off the backbone, in backbone order, and says so', () => {
    const { exits, notes } = resolve(branchy({ extra: true }));
    expect(exits).toEqual({ outputs: EXITS, policy: 'max-softmax', thresholds: [0.9, 0.9], source: 'found' });
    expect(notes[0]).toBe(
      'early exits found: exit0 (after node t1), exit1 (after node t2), final: final; --exits to choose others, --no-exits to run every layer',
    );
    expect(notes[1]).toMatch(/max-softmax, thresholds 0\.9, 0\.9 \(the default/);
  });

  it('finds no exits in a model with one classifier output, and says nothing', () => {
    const graph = branchy();
    const single = { ...graph, outputs: ['final'] };
    expect(resolve(single)).toEqual({ exits: undefined, notes: [] });
    expect(resolve(single, { thresholds: [0.5] }).notes).toEqual([
      'the model has no early exits (no two classifier outputs branch off one backbone): --exit-threshold left unused',
    ]);
  });

  it('finds no exits among classifiers that share no backbone', () => {
    const spec: GraphSpec = {
      inputs: { a: ['float32', [1, 8]], b: ['float32', [1, 8]] },
      constants: { wa: weights([10, 8], 1, 1), wb: weights([10, 8], 2, 1) },
      nodes: [
        ['Gemm', ['a', 'wa'], ['ya'], { transB: 1 }],
        ['Gemm', ['b', 'wb'], ['yb'], { transB: 1 }],
      ],
      outputs: ['ya', 'yb'],
    };
    expect(resolve(inferGraphShapes(buildGraph(spec)).graph)).toEqual({ exits: undefined, notes: [] });
  });

  it('takes --exits, --exit-threshold and --exit-policy as given', () => {
    const { exits } = resolve(branchy(), { names: ['exit1', 'final'], thresholds: [0.3], policy: 'entropy' });
    expect(exits).toEqual({ outputs: ['exit1', 'final'], policy: 'entropy', thresholds: [0.3], source: 'option' });
    expect(resolve(branchy(), { thresholds: [0.7, 0.8], policy: 'margin' }).exits?.thresholds).toEqual([0.7, 0.8]);
  });

  it('notes exits named out of backbone order', () => {
    expect(resolve(branchy(), { names: ['exit0', 'exit1', 'final'] }).notes.join('\n')).not.toMatch(/branches off the backbone before/);
    expect(resolve(branchy(), { names: ['exit1', 'exit0', 'final'] }).notes.join('\n')).toMatch(
      /exit exit0 branches off the backbone before exit exit1, which comes first in exit order/,
    );
  });

  it('--no-exits resolves none and notes the exits the model has', () => {
    const { exits, notes } = resolve(branchy(), { disabled: true });
    expect(exits).toBeUndefined();
    expect(notes).toEqual(["early exits off (--no-exits): every layer runs and every output is computed (the model's exits: exit0, exit1, final)"]);
  });

  it('refuses a named exit that is not an output, naming the outputs', () => {
    const err = usageError(branchy(), { names: ['exit0', 't2', 'final'] });
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toBe('exit "t2" (--exits) is not an output of the model; its outputs are: final, exit1, exit0');
  });

  it('refuses exits whose shapes differ', () => {
    const err = usageError(branchy({ extra: true }), { names: ['pooled', 'final'] });
    expect(err.code).toBe('E_USAGE');
    expect(err.message).toMatch(/the exits' shapes differ: "pooled" is \[1, 16, 1, 1\] but "final" is \[1, 10\]/);
  });

  it('refuses a single exit and an exit named twice', () => {
    expect(usageError(branchy(), { names: ['final'] }).message).toMatch(/names 1 exit: name at least two/);
    expect(usageError(branchy(), { names: ['exit0', 'exit0', 'final'] }).message).toMatch(/"exit0" is named twice/);
  });

  it('refuses a threshold outside (0, 1], naming the flag, the value and the policy', () => {
    for (const bad of [0, -0.5, 1.5, NaN]) {
      const err = usageError(branchy(), { thresholds: [bad] });
      expect(err.code).toBe('E_USAGE');
      expect(err.message).toMatch(new RegExp(`^--exit-threshold ${String(bad)} is outside \\(0, 1\\]: with the policy max-softmax`));
    }
    expect(usageError(branchy(), { thresholds: [0.5, 1.01], policy: 'entropy' }).message).toMatch(
      /1\.01 is outside \(0, 1\]: with the policy entropy/,
    );
  });

  it('refuses as many thresholds as neither one nor the early exits', () => {
    const err = usageError(branchy(), { thresholds: [0.5, 0.6, 0.7] });
    expect(err.message).toBe('--exit-threshold gives 3 thresholds for 2 early exits: give one for every exit or one per early exit');
  });

  it("uses the exits, policy and thresholds of the model's metadata_props, written and read back through a file", () => {
    const graph = {
      ...branchy(),
      metadata: { other: 'kept', ...exitMetadata({ outputs: ['exit1', 'final'], policy: 'margin', thresholds: [0.35] }) },
    };
    const loaded = loadModel(writeScratch('exits-metadata.onnx', graph));
    expect(loaded.metadata).toEqual(graph.metadata);
    const { exits, notes } = resolve(inferGraphShapes(loaded).graph);
    expect(exits).toEqual({ outputs: ['exit1', 'final'], policy: 'margin', thresholds: [0.35], source: 'metadata' });
    expect(notes.join('\n')).toMatch(/metadata_props/);
    // Another policy on the command line takes that policy's default threshold, not the metadata's.
    expect(resolve(graph, { policy: 'entropy' }).exits?.thresholds).toEqual([0.25]);
    expect(resolve(graph, { policy: 'max-softmax' }).exits?.thresholds).toEqual([0.9]);
  });

  it('refuses malformed metadata naming the key', () => {
    const graph = branchy();
    const bad = (metadata: Record<string, string>) => () => resolveExits({ ...graph, metadata }, {}, []);
    expect(bad({ 'eennc.exits': 'exit0,nope' })).toThrow(/exit "nope" \(the metadata_props entry eennc.exits\) is not an output/);
    expect(bad({ 'eennc.exits': 'exit0,final', 'eennc.exit_policy': 'vote' })).toThrow(/eennc.exit_policy = "vote" is not one of/);
    expect(bad({ 'eennc.exits': 'exit0,final', 'eennc.exit_thresholds': '0.5,x' })).toThrow(/eennc.exit_thresholds = "0.5,x"/);
    expect(bad({ 'eennc.exits': 'exit0,final', 'eennc.exit_thresholds': '2' })).toThrow(/eennc.exit_thresholds 2 is outside/);
    expect(readExitMetadata({ other: '1' })).toBeUndefined();
    expect(
      resolveExits({ ...graph, metadata: { 'eennc.exit_policy': 'vote', 'eennc.exits': 'x' } }, { names: ['exit0', 'final'] }, [])?.outputs,
    ).toEqual(['exit0', 'final']);
  });
});

describe('attachExits', () => {
  const resolved: ResolvedExits = { outputs: EXITS, policy: 'max-softmax', thresholds: [0.6, 0.7], source: 'option' };

  it('runs each head right after the backbone it needs, and leaves the graph it was given alone', () => {
    const graph = branchy();
    const before = graph.nodes.map((n) => n.name);
    const attached = attachExits(graph, resolved);
    expect(graph.nodes.map((n) => n.name)).toEqual(before);
    expect(graph.exits).toBeUndefined();
    expect(attached.nodes.map((n) => n.name)).toEqual([
      't1_conv', 't1', 'GlobalAveragePool_6', 'Flatten_7', 'exit0_fc',
      't2_conv', 't2', 'GlobalAveragePool_9', 'Flatten_10', 'exit1_fc',
      't3_conv', 't3', 'GlobalAveragePool_12', 'Flatten_13', 'final_fc',
    ]); // prettier-ignore
    expect(topological(attached)).toBe(true);
    expect(exitPlacement(attached)).toEqual([5, 10, 15]);
    expect(attached.exits?.decisions).toEqual([
      { output: 'exit0', tensor: 'exit0', kind: 'logits' },
      { output: 'exit1', tensor: 'exit1', kind: 'logits' },
    ]);
  });

  it('counts the MACs up to each decision, earlier heads included, and of the whole graph', () => {
    const attached = attachExits(branchy(), resolved);
    const macs = attached.nodes.map((n) => nodeMacs(attached, n));
    const sum = (to: number) => macs.slice(0, to).reduce((a, b) => a + b, 0);
    expect(exitMacs(attached)).toEqual({ exits: [sum(5), sum(10), sum(15)], total: sum(15) });
    expect(sum(5)).toBeGreaterThan(0);
    expect(sum(5)).toBeLessThan(sum(10));
  });

  it('decides on softmax outputs as probabilities', () => {
    const attached = attachExits(branchy({ softmax: true }), resolved);
    expect(attached.exits?.decisions.map((d) => d.kind)).toEqual(['probabilities', 'probabilities']);
  });

  for (const io of ['int8', 'float32'] as const) {
    it(`int8 graph with ${io} outputs: decides on the int8 scores, and the reference keeps them for exitTaken`, async () => {
      const int8 = attachExits(await quantized(branchy(), io), resolved);
      const decisions = int8.exits!.decisions;
      for (const d of decisions) {
        const t = int8.tensors.get(d.tensor)!;
        expect(t.dtype).toBe('int8');
        expect(d.int8?.table[0]).toBe(2 ** 24);
        if (io === 'float32') expect(d.tensor).not.toBe(d.output);
      }
      expect(topological(int8)).toBe(true);
      const taken = samples.map((data) => {
        const values = runInt8Reference(int8, int8Input(int8, data));
        const stops = decisions.map((d) => decideInt8(d.kind, 'max-softmax', d.int8!, values[d.tensor]!.data));
        const first = stops.indexOf(true);
        expect(exitTaken(int8, values)).toBe(first < 0 ? 2 : first);
        return exitTaken(int8, values);
      });
      expect(new Set(taken).size).toBeGreaterThan(1);
    });
  }

  it('decides on the int8 softmax output as probabilities', async () => {
    const int8 = attachExits(await quantized(branchy({ softmax: true }), 'int8'), { ...resolved, policy: 'margin' });
    expect(int8.exits?.decisions.map((d) => [d.kind, int8.nodes.find((n) => n.outputs.includes(d.tensor))?.op])).toEqual([
      ['probabilities', 'QSoftmax'],
      ['probabilities', 'QSoftmax'],
    ]);
  });
});
