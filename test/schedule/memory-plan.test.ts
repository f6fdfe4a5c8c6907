// Memory planner: exact arenas of small hand-made graphs, and soundness on many random DAGs, checked both by
// validatePlan and by simulating the execution (every read must find the bytes its producer wrote).

import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/ir/graph.js';
import { ALIAS_OPS } from '../../src/schedule/schedule.js';
import { planMemory, tensorBytes, validatePlan, type MemoryPlan, type PlanOptions } from '../../src/schedule/memory-plan.js';
import { allocateArena, arenaLowerBound } from '../../src/schedule/arena-allocator.js';
import { GraphBuilder, seededRandom } from './graph-builder.js';

/** A MatMul by a constant [k, n] weight: a node that can never run in place. */
function dense(b: GraphBuilder, x: string, n: number): string {
  const k = b.tensors.get(x)!.shape.at(-1)!;
  const w = b.constant(`w${b.nodes.length}`, [k, n], new Float32Array(k * n));
  return b.op('MatMul', [x, w], {}, [1, n]);
}

/**
 * Runs the plan symbolically: each write stamps the tensor's id over its storage bytes, each read checks
 * the stamp is still there. Alias outputs carry their source's value; a copy is assumed where the plan
 * gave an alias its own buffer, and at the end for model outputs not stored in their output buffer.
 */
function simulate(graph: Graph, plan: MemoryPlan): string[] {
  const errors: string[] = [];
  const regions = new Map<string, Int32Array>();
  const regionOf = (name: string): { mem: Int32Array; start: number; bytes: number } => {
    const b = plan.buffers[plan.bufferOf.get(name)!]!;
    const s = b.storage;
    const key =
      s.kind === 'arena'
        ? 'arena'
        : s.kind === 'input' || s.kind === 'output'
          ? `${s.kind}${s.index}`
          : s.kind === 'constant'
            ? `c:${s.tensor}`
            : `f:${b.id}`;
    const size =
      key === 'arena'
        ? plan.arenaBytes
        : Math.max(...plan.buffers.filter((x) => x.storage.kind === s.kind && JSON.stringify(x.storage) === JSON.stringify(s)).map((x) => x.bytes));
    if (!regions.has(key)) regions.set(key, new Int32Array(size).fill(-1));
    return { mem: regions.get(key)!, start: s.kind === 'arena' ? s.offset : 0, bytes: tensorBytes(graph.tensors.get(name)!) };
  };
  const value = new Map<string, number>();
  let nextId = 1;
  const write = (name: string, v: number, initial = false) => {
    value.set(name, v);
    const r = regionOf(name);
    const kind = plan.buffers[plan.bufferOf.get(name)!]!.storage.kind;
    if (!initial && (kind === 'input' || kind === 'constant')) errors.push(`write into read-only buffer: ${name}`);
    r.mem.fill(v, r.start, r.start + r.bytes);
  };
  const check = (name: string, when: string) => {
    const t = graph.tensors.get(name)!;
    if (t.data && !plan.bufferOf.has(name)) return;
    const r = regionOf(name);
    const v = value.get(name);
    for (let i = r.start; i < r.start + r.bytes; i++) {
      if (r.mem[i] !== v) {
        errors.push(`${when}: ${name} was overwritten (byte ${i - r.start})`);
        return;
      }
    }
  };
  for (const name of graph.inputs) write(name, nextId++, true);
  for (const [name, t] of graph.tensors) if (t.data && plan.bufferOf.has(name)) write(name, nextId++, true);
  let scratchStamp = -1_000_000;
  for (const step of plan.steps) {
    const primary = step.nodes[0]!;
    const inside = new Set(step.nodes.slice(0, -1).flatMap((n) => n.outputs));
    // The kernel uses its scratch while it still reads its inputs: stamp it first.
    const scratch = plan.scratchOf.get(step.index);
    if (scratch !== undefined) {
      const s = plan.buffers[scratch]!;
      if (s.storage.kind !== 'arena') errors.push(`step ${step.index}: scratch outside the arena`);
      else
        (regions.get('arena') ?? regions.set('arena', new Int32Array(plan.arenaBytes).fill(-1)).get('arena')!).fill(
          scratchStamp--,
          s.storage.offset,
          s.storage.offset + s.bytes,
        );
    }
    for (const node of step.nodes) {
      for (const input of node.inputs) if (input !== '' && !inside.has(input)) check(input, `step ${step.index} (${node.op})`);
    }
    const last = step.nodes[step.nodes.length - 1]!;
    if (ALIAS_OPS.has(primary!.op)) {
      const out = primary!.outputs[0]!;
      const src = primary!.inputs[0]!;
      if (plan.bufferOf.get(out) === plan.bufferOf.get(src)) value.set(out, value.get(src)!);
      else write(out, value.get(src)!);
    } else {
      for (const out of last.outputs) write(out, nextId++);
    }
  }
  for (const out of graph.outputs) check(out, 'end');
  return errors;
}

/** A Conv with constant weights [outC, inC/group, k, k] and bias. */
function conv(b: GraphBuilder, x: string, outC: number, k: number, attrs: Record<string, number | number[]>, outShape: number[]): string {
  const inC = b.tensors.get(x)!.shape[1]!;
  const group = typeof attrs['group'] === 'number' ? attrs['group'] : 1;
  const w = b.constant(`w${b.nodes.length}`, [outC, inC / group, k, k], new Float32Array(outC * (inC / group) * k * k));
  const bias = b.constant(`b${b.nodes.length}`, [outC], new Float32Array(outC));
  return b.op('Conv', [x, w, bias], { kernel_shape: [k, k], ...attrs }, outShape);
}

function planAndCheck(graph: Graph, options?: PlanOptions): MemoryPlan {
  const plan = planMemory(graph, options);
  expect(validatePlan(plan, graph)).toEqual([]);
  expect(simulate(graph, plan)).toEqual([]);
  expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBoundBytes);
  return plan;
}

describe('planMemory on hand-made graphs', () => {
  it('reuses the first buffer of a chain once it is dead', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8]);
    const t1 = dense(b, x, 100); // 400 bytes, steps 0..1
    const t2 = dense(b, t1, 50); // 200 bytes, steps 1..2
    const t3 = dense(b, t2, 30); // 120 bytes, steps 2..3, fits where t1 was
    b.output(dense(b, t3, 10));
    const plan = planAndCheck(b.build());
    expect(plan.arenaBytes).toBe(600);
    expect(plan.lowerBoundBytes).toBe(600);
    expect(plan.naiveBytes).toBe(400 + 200 + 120);
    const offset = (t: string) => (plan.buffers[plan.bufferOf.get(t)!]!.storage as { offset: number }).offset;
    expect(offset(t3)).toBe(offset(t1));
    expect(plan.buffers[plan.bufferOf.get(x)!]!.storage).toEqual({ kind: 'input', index: 0 });
  });

  it('aligns every buffer to 8 bytes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 3]);
    const t1 = dense(b, x, 3); // 12 bytes -> 16
    const t2 = dense(b, t1, 5); // 20 bytes -> 24
    b.output(dense(b, t2, 2));
    const plan = planAndCheck(b.build());
    expect(plan.arenaBytes).toBe(16 + 24);
    for (const buf of plan.buffers) if (buf.storage.kind === 'arena') expect(buf.storage.offset % 8).toBe(0);
  });

  it('stores a reshape in its source buffer and keeps that buffer alive for the reshape readers', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4]);
    const t1 = dense(b, x, 64);
    const r = b.op('Reshape', [t1, b.constant('shape', [2], [8, 8], 'int64')], {}, [8, 8]);
    const t2 = dense(b, b.op('Flatten', [r], {}, [1, 64]), 16);
    b.output(dense(b, t2, 4));
    const plan = planAndCheck(b.build());
    expect(plan.bufferOf.get(r)).toBe(plan.bufferOf.get(t1));
    const buf = plan.buffers[plan.bufferOf.get(t1)!]!;
    expect(buf.tensors).toHaveLength(3);
    expect(buf.lastStep).toBe(3); // read by the dense layer after the two aliases
    expect(plan.arenaBytes).toBe(256 + 64);
  });

  it('gives a reshape of a model input straight to the output its own copy', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 3]);
    b.output(b.op('Reshape', [x, b.constant('shape', [1], [6], 'int64')], {}, [6]));
    const plan = planAndCheck(b.build());
    const out = plan.buffers[plan.bufferOf.get(b.outputs[0]!)!]!;
    expect(out.storage).toEqual({ kind: 'output', index: 0 });
    expect(plan.bufferOf.get(x)).not.toBe(plan.bufferOf.get(b.outputs[0]!));
    expect(plan.arenaBytes).toBe(0);
  });

  it('runs element-wise chains in place and writes the last one into the output buffer', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 16]);
    const t1 = dense(b, x, 32);
    const t2 = b.op('Sigmoid', [t1], {}, [1, 32]);
    const t3 = b.op('Mul', [t2, b.constant('scale', [1], [2])], {}, [1, 32]);
    b.output(b.op('Tanh', [t3], {}, [1, 32]));
    const plan = planAndCheck(b.build());
    const ids = new Set([t1, t2, t3, b.outputs[0]!].map((t) => plan.bufferOf.get(t)));
    expect(ids.size).toBe(1);
    expect(plan.buffers[plan.bufferOf.get(t1)!]!.storage).toEqual({ kind: 'output', index: 0 });
    expect(plan.arenaBytes).toBe(0);
    const noInPlace = planAndCheck(b.build(), { inPlace: false });
    expect(noInPlace.arenaBytes).toBe(2 * 128);
  });

  it('does not run in place over a tensor that is read later', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4]);
    const t1 = dense(b, x, 8);
    const t2 = b.op('Relu', [t1], {}, [1, 8]);
    b.output(b.op('Add', [t1, t2], {}, [1, 8]));
    const plan = planAndCheck(b.build());
    expect(plan.bufferOf.get(t2)).not.toBe(plan.bufferOf.get(t1));
    // The Add may overwrite either input: both die there.
    expect([plan.bufferOf.get(t1), plan.bufferOf.get(t2)]).toContain(plan.bufferOf.get(b.outputs[0]!));
  });

  it('fuses a Relu into the Conv before it and stores nothing between them', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 1, 8, 8]);
    const w = b.constant('w', [4, 1, 3, 3], new Float32Array(36));
    const c = b.op('Conv', [x, w], {}, [1, 4, 6, 6]);
    const r = b.op('Relu', [c], {}, [1, 4, 6, 6]);
    const p = b.op('MaxPool', [r], { kernel_shape: [2, 2], strides: [2, 2] }, [1, 4, 3, 3]);
    b.output(p);
    const plan = planAndCheck(b.build());
    expect(plan.steps).toHaveLength(2);
    expect(plan.steps[0]!.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu']);
    expect(plan.buffers[plan.bufferOf.get(c)!]!.storage).toEqual({ kind: 'fused' });
    expect(plan.arenaBytes).toBe(4 * 36 * 4);
    expect(plan.naiveBytes).toBe(2 * 4 * 36 * 4);
    const unfused = planAndCheck(b.build(), { fuseActivations: false, inPlace: false });
    expect(unfused.steps).toHaveLength(3);
    expect(unfused.arenaBytes).toBe(2 * 4 * 36 * 4);
  });

  it('keeps a Relu separate when the Conv output is also read elsewhere', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 1, 4, 4]);
    const c = b.op('Conv', [x, b.constant('w', [1, 1, 1, 1], [2])], {}, [1, 1, 4, 4]);
    const r = b.op('Relu', [c], {}, [1, 1, 4, 4]);
    b.output(b.op('Add', [c, r], {}, [1, 1, 4, 4]));
    const plan = planAndCheck(b.build());
    expect(plan.steps).toHaveLength(3);
  });

  it('gives a tensor listed as two outputs one output buffer (code generation copies the other)', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4]);
    const t = dense(b, x, 4);
    b.output(t).output(t);
    const plan = planAndCheck(b.build());
    expect(plan.buffers[plan.bufferOf.get(t)!]!.storage).toEqual({ kind: 'output', index: 0 });
  });
});

/** A random DAG of float tensors with sizes from a small set (so aliases and in-place happen often). */
function randomGraph(seed: number): Graph {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const sizes = [4, 8, 12, 32, 100];
  const b = new GraphBuilder(`random_${seed}`);
  const live: string[] = [];
  const nInputs = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < nInputs; i++) live.push(b.input(`in${i}`, [pick(sizes)]));
  const nNodes = 3 + Math.floor(rand() * 25);
  for (let i = 0; i < nNodes; i++) {
    const kind = rand();
    const a = pick(live);
    const sa = b.tensors.get(a)!.shape;
    let out: string;
    if (kind < 0.2) out = b.op('Reshape', [a], {}, [1, ...sa]);
    else if (kind < 0.4) out = b.op(pick(['Relu', 'Sigmoid', 'Exp']), [a], {}, sa);
    else if (kind < 0.6) {
      const sameSize = live.filter((t) => b.tensors.get(t)!.shape.reduce((p, q) => p * q, 1) === sa.reduce((p, q) => p * q, 1));
      const c = rand() < 0.3 ? b.constant(`k${i}`, [1], [1]) : pick(sameSize);
      out = b.op(pick(['Add', 'Mul']), rand() < 0.5 ? [a, c] : [c, a], {}, sa);
    } else if (kind < 0.75) {
      const w = b.constant(`w${i}`, [1, 1, 1, 1], [1]);
      out = b.op('Conv', [a, w], {}, [pick(sizes)]);
      if (rand() < 0.5) out = b.op(rand() < 0.5 ? 'Relu' : 'Clip', [out], {}, b.tensors.get(out)!.shape);
    } else if (kind < 0.9) {
      out = b.op('Concat', [a, pick(live)], { axis: 0 }, [pick(sizes)]);
    } else {
      out = b.op('Identity', [b.constant(`c${i}`, sa, new Float32Array(sa.reduce((p, q) => p * q, 1)))], {}, sa);
    }
    live.push(out);
  }
  // Outputs: the last tensor, plus a few random ones (possibly inputs or repeated).
  b.output(live.at(-1)!);
  const extra = Math.floor(rand() * 3);
  for (let i = 0; i < extra; i++) b.output(pick(live));
  return b.build();
}

describe('planMemory on random DAGs', () => {
  it('never lets two live tensors share bytes (400 graphs, with and without fusion / in place)', () => {
    let shared = 0;
    let fusedSteps = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const graph = randomGraph(seed);
      const options: PlanOptions = { fuseActivations: seed % 2 === 0, inPlace: seed % 3 !== 0 };
      const plan = planMemory(graph, options);
      const problems = [...validatePlan(plan, graph), ...simulate(graph, plan)];
      if (problems.length) throw new Error(`seed ${seed}: ${problems.join('; ')}`);
      expect(plan.arenaBytes).toBeGreaterThanOrEqual(plan.lowerBoundBytes);
      shared += plan.buffers.filter((b) => b.tensors.length > 1).length;
      fusedSteps += plan.steps.filter((s) => s.nodes.length > 1).length;
    }
    // The graphs do exercise aliases / in-place sharing and fusion.
    expect(shared).toBeGreaterThan(200);
    expect(fusedSteps).toBeGreaterThan(50);
  });

  it('validatePlan catches a plan that was broken on purpose', () => {
    let caught = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const graph = randomGraph(seed);
      const plan = planMemory(graph, { inPlace: false });
      const arena = plan.buffers.filter((b) => b.storage.kind === 'arena' && b.bytes > 0);
      // Move every buffer to offset 0: any two alive together now collide.
      const together = arena.some((a) => arena.some((b) => a !== b && a.firstStep <= b.lastStep && b.firstStep <= a.lastStep));
      for (const b of arena) b.storage = { kind: 'arena', offset: 0 };
      if (together) {
        expect(validatePlan(plan, graph).length).toBeGreaterThan(0);
        caught++;
      }
    }
    expect(caught).toBeGreaterThan(10);
  });

  it('validatePlan catches a tensor written over one that is still read, in a buffer of many tensors', () => {
    // x -> Relu -> Relu ... (a long in-place chain in one buffer), then Add(t, first): the first Relu's output is
    // read at the end, so nothing may overwrite it before.
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8]);
    const first = b.op('Relu', [x]);
    let t = first;
    for (let i = 0; i < 300; i++) t = b.op('Relu', [t]);
    b.output(b.op('Add', [t, first]));
    const graph = b.build();
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    const chain = plan.buffers[plan.bufferOf.get(t)!]!;
    expect(chain.tensors.length).toBeGreaterThan(250);
    expect(chain.tensors).not.toContain(first);
    // Put the first Relu's output into the chain's buffer as well: the chain now writes over it.
    const own = plan.buffers[plan.bufferOf.get(first)!]!;
    own.tensors = own.tensors.filter((n) => n !== first);
    chain.tensors.push(first);
    plan.bufferOf.set(first, chain.id);
    const problems = validatePlan(plan, graph);
    const last = plan.steps.length - 1;
    expect(problems.filter((p) => p.includes(`overwrites ${first} `) && p.endsWith(`still read at step ${last}`)).length).toBe(last - 1);
  });
});

describe('allocateArena', () => {
  it('places random lifetimes without overlap and never below the lower bound', () => {
    const rand = seededRandom(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rand() * 30);
      const reqs = Array.from({ length: n }, () => {
        const first = Math.floor(rand() * 20);
        return { bytes: Math.floor(rand() * 1000), first, last: first + Math.floor(rand() * 6) };
      });
      const layout = allocateArena(reqs, 8);
      for (let i = 0; i < n; i++) {
        expect(layout.offsets[i]! % 8).toBe(0);
        for (let j = i + 1; j < n; j++) {
          const a = reqs[i]!;
          const b = reqs[j]!;
          if (a.first <= b.last && b.first <= a.last && a.bytes > 0 && b.bytes > 0) {
            const [oa, ob] = [layout.offsets[i]!, layout.offsets[j]!];
            expect(oa + a.bytes <= ob || ob + b.bytes <= oa).toBe(true);
          }
        }
      }
      expect(layout.totalBytes).toBeGreaterThanOrEqual(arenaLowerBound(reqs, 8));
    }
  });

  it('reaches the lower bound on a chain', () => {
    const reqs = [
      { bytes: 400, first: 0, last: 1 },
      { bytes: 200, first: 1, last: 2 },
      { bytes: 120, first: 2, last: 3 },
    ];
    expect(allocateArena(reqs).totalBytes).toBe(600);
  });
});

describe('planMemory with low-memory convolutions', () => {
  it('fuses Conv + Relu + MaxPool: no conv output buffer, a scratch of 4 planes instead', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 1, 8, 8]);
    const c = conv(b, x, 8, 3, { pads: [1, 1, 1, 1] }, [1, 8, 8, 8]);
    const r = b.op('Relu', [c], {}, [1, 8, 8, 8]);
    const p = b.op('MaxPool', [r], { kernel_shape: [2, 2], strides: [2, 2] }, [1, 8, 4, 4]);
    b.output(dense(b, b.op('Flatten', [p], {}, [1, 128]), 10));
    const plan = planAndCheck(b.build());
    expect(plan.steps[0]!.nodes.map((n) => n.op)).toEqual(['Conv', 'Relu', 'MaxPool']);
    expect(plan.buffers[plan.bufferOf.get(c)!]!.storage.kind).toBe('fused');
    expect(plan.buffers[plan.bufferOf.get(r)!]!.storage.kind).toBe('fused');
    const scratch = plan.buffers[plan.scratchOf.get(0)!]!;
    expect(scratch.bytes).toBe(4 * 8 * 8 * 4);
    expect([scratch.firstStep, scratch.lastStep]).toEqual([0, 0]);
    expect(plan.arenaBytes).toBe(4 * 8 * 8 * 4 + 8 * 4 * 4 * 4);
    // Without fusion the whole conv output is live beside the pooled one.
    expect(planAndCheck(b.build(), { fusePools: false }).arenaBytes).toBe(8 * 8 * 8 * 4 + 8 * 4 * 4 * 4);
  });

  it('does not fuse a pool whose input has another reader', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 1, 8, 8]);
    const c = conv(b, x, 8, 3, { pads: [1, 1, 1, 1] }, [1, 8, 8, 8]);
    const p = b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] }, [1, 8, 4, 4]);
    b.output(p).output(b.op('Relu', [c], {}, [1, 8, 8, 8]));
    const plan = planAndCheck(b.build());
    expect(plan.steps.every((s) => !s.pool)).toBe(true);
  });

  it('runs a depthwise and a narrowing 1x1 conv in place when their input dies there', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8, 6, 5]);
    const t0 = conv(b, x, 16, 1, {}, [1, 16, 6, 5]);
    const dw = conv(b, t0, 16, 3, { group: 16, pads: [1, 1, 1, 1] }, [1, 16, 6, 5]);
    const dwRelu = b.op('Relu', [dw], {}, [1, 16, 6, 5]);
    const pw = conv(b, dwRelu, 12, 1, {}, [1, 12, 6, 5]);
    b.output(dense(b, b.op('Flatten', [pw], {}, [1, 360]), 4));
    const plan = planAndCheck(b.build());
    expect(plan.steps.map((s) => s.inPlace)).toEqual([undefined, 'depthwise', 'pointwise', undefined, undefined]);
    expect(plan.bufferOf.get(dwRelu)).toBe(plan.bufferOf.get(t0));
    expect(plan.bufferOf.get(pw)).toBe(plan.bufferOf.get(t0));
    expect(plan.buffers[plan.scratchOf.get(1)!]!.bytes).toBe(6 * 5 * 4);
    expect(plan.buffers[plan.scratchOf.get(2)!]!.bytes).toBe(4 * 16 * 4);
    expect(plan.arenaBytes).toBe(16 * 30 * 4 + 4 * 16 * 4);
  });

  it('keeps a conv out of place when its input is read later, or when it widens or strides', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 8, 6, 6]);
    const t0 = conv(b, x, 8, 1, {}, [1, 8, 6, 6]);
    const wide = conv(b, t0, 16, 1, {}, [1, 16, 6, 6]);
    const strided = conv(b, wide, 16, 3, { group: 16, strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 16, 3, 3]);
    const dw = conv(b, t0, 8, 3, { group: 8, pads: [1, 1, 1, 1] }, [1, 8, 6, 6]);
    b.output(strided).output(b.op('Add', [dw, t0], {}, [1, 8, 6, 6]));
    const plan = planAndCheck(b.build());
    expect(plan.steps.map((s) => s.inPlace)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it("never moves a wider input into the caller's output buffer", () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 12, 4, 4]);
    const t = b.op('Tanh', [x], {}, [1, 12, 4, 4]);
    const pw = conv(b, t, 4, 1, {}, [1, 4, 4, 4]);
    b.output(b.op('Sigmoid', [b.op('Relu', [pw], {}, [1, 4, 4, 4])], {}, [1, 4, 4, 4]));
    const graph = b.build();
    const plan = planAndCheck(graph);
    const narrow = planAndCheck(b.output(pw).build());
    for (const p of [plan, narrow]) {
      for (const buf of p.buffers) if (buf.storage.kind === 'output') expect(buf.bytes).toBeLessThanOrEqual(4 * 16 * 4);
    }
    expect(plan.steps[1]!.inPlace).toBe('pointwise');
  });

  it('validatePlan rejects a conv whose kernel cannot run in place sharing its input buffer', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [1, 4, 6, 6]);
    const t0 = conv(b, x, 4, 1, {}, [1, 4, 6, 6]);
    const t1 = conv(b, t0, 4, 3, { pads: [1, 1, 1, 1] }, [1, 4, 6, 6]);
    const graph = b.output(dense(b, b.op('Flatten', [t1], {}, [1, 144]), 2)).build();
    // (As two steps: run as a depth-first pair, t0 would not be stored at all.)
    const plan = planMemory(graph, { fuseConvPairs: false });
    expect(validatePlan(plan, graph)).toEqual([]);
    plan.bufferOf.set(t1, plan.bufferOf.get(t0)!);
    plan.buffers[plan.bufferOf.get(t0)!]!.tensors.push(t1);
    expect(validatePlan(plan, graph).join('\n')).toMatch(/cannot run in place/);
    // A depthwise step marked in place without its scratch is caught too.
    const b2 = new GraphBuilder();
    const y = b2.input('y', [1, 4, 6, 6]);
    const u0 = conv(b2, y, 4, 1, {}, [1, 4, 6, 6]);
    const u1 = conv(b2, u0, 4, 3, { group: 4, pads: [1, 1, 1, 1] }, [1, 4, 6, 6]);
    const graph2 = b2.output(dense(b2, b2.op('Flatten', [u1], {}, [1, 144]), 2)).build();
    const plan2 = planMemory(graph2);
    expect(plan2.steps[1]!.inPlace).toBe('depthwise');
    plan2.scratchOf.delete(1);
    expect(validatePlan(plan2, graph2).join('\n')).toMatch(/scratch/);
  });
});
