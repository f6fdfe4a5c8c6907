// The pure parts of `eennc augment`: exit points, the heads' features and nodes, softmax regression, and the
// choice of exits and thresholds.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifierOf, exitPoints } from '../../src/exits/augment/candidates.js';
import { addHeads, headDims, headShape, poolFeatures } from '../../src/exits/augment/heads.js';
import {
  dropPoints,
  evaluateChoice,
  exitsOfChoice,
  selectExits,
  type CandidateOutcome,
  type SelectionInput,
} from '../../src/exits/augment/select.js';
import { logitsOf, trainSoftmax } from '../../src/exits/augment/softmax-regression.js';
import { importModel, runReference } from '../../src/frontend/index.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { seededRandom } from '../../src/util/random.js';
import { TINY_SHAPE, writeTinyCnn } from '../cli/augment-model.js';
import { buildGraph } from '../frontend/build-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'eennc-augment-unit-'));
const files = writeTinyCnn(dir, 8);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('exit points', () => {
  it('are the model input and the block ends with a tenth of the MACs behind them', () => {
    const graph = importModel(files.model).graph;
    const points = exitPoints(graph);
    // The ReLUs are followed by a pooling (the pooling ends the block); after pool2 only the classifier is left.
    expect(points.map((p) => p.tensor)).toEqual(['x', 'p1']);
    expect(points[1]).toMatchObject({ channels: 4, height: 4, width: 4 });
    expect(points[0]!.macsAfter).toBe(points[1]!.macsBefore + points[1]!.macsAfter);
  });

  it('need a classifier output', () => {
    expect(classifierOf(importModel(files.model).graph)).toEqual({ output: 'scores', classes: 3 });
    expect(() => classifierOf(importModel(files.autoencoder).graph)).toThrow(EennError);
    expect(() => classifierOf(importModel(files.autoencoder).graph)).toThrow(/not the scores of a classifier/);
    // A fully connected autoencoder: its output [1, 16] looks like 16 class scores, but it has the input's size.
    const dense = buildGraph({
      inputs: { x: ['float32', [1, 16]] },
      constants: { w: ['float32', [16, 16], new Float32Array(256)] },
      nodes: [['Gemm', ['x', 'w'], ['y'], { transB: 1 }]],
      outputs: ['y'],
    });
    dense.tensors.get('y')!.shape = [1, 16];
    expect(() => classifierOf(dense)).toThrow(/an autoencoder/);
  });
});

describe('heads', () => {
  it('compute in the graph what training saw: pooled features times the weights', () => {
    const graph = importModel(files.model).graph;
    const [input, block] = exitPoints(graph);
    const shapes = [headShape(input!, 3), headShape(block!, 3)];
    expect(shapes.map((s) => s.grid)).toEqual([4, 2]);
    const random = seededRandom(5);
    const heads = shapes.map((shape) => {
      const dims = headDims(shape);
      return {
        shape,
        model: {
          weights: Float32Array.from({ length: 3 * dims }, () => random() - 0.5),
          bias: Float32Array.from([0.1, -0.2, 0.3]),
          dims,
          classes: 3,
        },
      };
    });
    const withHeads = addHeads(graph, heads, ['exit0', 'exit1']);
    expect(withHeads.outputs).toEqual(['exit0', 'exit1', 'scores']);
    const x = Float32Array.from({ length: TINY_SHAPE.reduce((a, b) => a * b, 1) }, () => random() * 2 - 1);
    const maps: Record<string, Float32Array> = {};
    const out = runReference(
      withHeads,
      { x: { shape: TINY_SHAPE, dtype: 'float32', data: x } },
      { onTensor: (name, v) => void (maps[name] = v.data as Float32Array) },
    );
    heads.forEach((head, k) => {
      const features = new Float32Array(headDims(head.shape));
      poolFeatures(head.shape, maps[head.shape.point.tensor]!, features, 0);
      const expected = logitsOf(head.model, features, 0);
      const got = out[`exit${k}`]!.data as Float32Array;
      for (let c = 0; c < 3; c++) expect(got[c]).toBeCloseTo(expected[c]!, 4);
    });
  });
});

describe('softmax regression', () => {
  // Three classes, each a cloud around its own centre in 5 dimensions, with features of very different scales.
  const make = (n: number, seed: number) => {
    const random = seededRandom(seed);
    const features = new Float32Array(n * 5);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let d = 0; d < 5; d++) features[i * 5 + d] = (d === labels[i] ? 2 : 0) * (d + 1) * 100 + (random() - 0.5) * (d + 1) * 100;
    }
    return { features, labels, dims: 5, classes: 3 };
  };

  it('separates separable classes, on features of any scale', () => {
    const set = make(90, 1);
    const model = trainSoftmax(set);
    const test = make(60, 2);
    let right = 0;
    for (let i = 0; i < 60; i++) {
      const logits = logitsOf(model, test.features, i);
      if (logits.indexOf(Math.max(...logits)) === test.labels[i]) right++;
    }
    expect(right).toBe(60);
  });

  it('is deterministic', () => {
    const a = trainSoftmax(make(60, 3));
    const b = trainSoftmax(make(60, 3));
    expect(Buffer.compare(Buffer.from(a.weights.buffer), Buffer.from(b.weights.buffer))).toBe(0);
    expect([...a.bias]).toEqual([...b.bias]);
  });
});

describe('the choice of exits and thresholds', () => {
  // Four held-back samples; the final classifier is right on the first three.
  const finalCorrect = Uint8Array.from([1, 1, 1, 0]);
  const candidate = (stops: number[][], correct: number[], backboneCost: number): CandidateOutcome => ({
    stops: stops.map((s) => Uint8Array.from(s)),
    correct: Uint8Array.from(correct),
    headCost: 1,
    backboneCost,
  });
  const input = (candidates: CandidateOutcome[], maxDropPoints: number): SelectionInput => ({
    policy: 'max-softmax',
    thresholds: [0.5, 0.9],
    candidates,
    finalCorrect,
    finalCost: 100,
    maxDropPoints,
  });

  it('keeps the cheapest exits within the budget', () => {
    // Exit 0 at 0.5 stops on samples 0, 1 and 3 (wrong on 1); at 0.9 on sample 0 only (right).
    const early = candidate(
      [
        [1, 1, 0, 1],
        [1, 0, 0, 0],
      ],
      [1, 0, 1, 0],
      10,
    );
    const late = candidate(
      [
        [1, 1, 1, 1],
        [0, 1, 1, 0],
      ],
      [1, 1, 1, 0],
      50,
    );
    const free = selectExits(input([early, late], 100)).best;
    expect(free.choice).toEqual([0, 0]);
    expect(free.expectedCost).toBe((11 + 11 + 52 + 11) / 4);
    // Losing sample 1 (25 points, 50 with its standard error) is over 40: the early exit may only take sample 0.
    const strict = selectExits(input([early, late], 40)).best;
    expect(strict.choice[0]).toBe(1);
    expect(dropPoints(strict)).toBe(0);
    expect(strict.choice).toEqual([1, 0]);
    expect(exitsOfChoice(input([early, late], 40), strict.choice).at).toEqual([0, 1, 1, 1]);
  });

  it('leaves every exit out when none fits, and says the closest it came', () => {
    const wrong = candidate(
      [
        [1, 1, 1, 1],
        [1, 1, 1, 0],
      ],
      [0, 0, 0, 0],
      10,
    );
    const { best, closest } = selectExits(input([wrong], 0));
    expect(best.choice).toEqual([-1]);
    expect(best.expectedCost).toBe(100);
    expect(closest).toBeDefined();
    expect(dropPoints(closest!)).toBeGreaterThan(0);
    expect(evaluateChoice(input([wrong], 0), [1]).shares).toEqual([0.75, 0.25]);
  });
});
