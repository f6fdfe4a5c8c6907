// The per-step rows of the report (src/profile-steps.ts stepReports): one per step of the plan, in order, with the
// kernel its code calls, its MACs, the bytes of the constants it reads, and its output's slice of the arena as the
// plan placed it (none for a model output).

import { describe, expect, it } from 'vitest';
import { nodeMacs } from '../src/ops/macs.js';
import { stepReports } from '../src/profile-steps.js';
import { planMemory } from '../src/schedule/memory-plan.js';
import { longModel, WIDTH } from './measure-steps-models.js';
import { branchy } from './exits/branchy-model.js';

/** Bytes of one float32. */
const FLOAT_BYTES = 4;

describe('stepReports', () => {
  it('a chain of Adds: one row per step, the Add kernel, a constant each, the arena slice of each output', () => {
    const graph = longModel(4, 2, false);
    const plan = planMemory(graph);
    const rows = stepReports(graph, plan, 'float32');
    expect(rows.map((r) => r.index)).toEqual(plan.steps.map((s) => s.index));
    expect(rows.map((r) => r.name)).toEqual(plan.steps.map((s) => s.nodes[0]!.name));
    const adds = rows.filter((r) => r.op === 'Add');
    expect(adds).toHaveLength(4);
    for (const add of adds) {
      expect(add.kernel).toMatch(/^eenn_\w*add\w*_f32$/);
      expect(add.weight_bytes).toBe(WIDTH * FLOAT_BYTES);
      expect(add.macs).toBe(
        nodeMacs(
          graph,
          graph.nodes.find((n) => n.name === add.name)!,
        ),
      );
      expect(add.macs).toBeGreaterThan(0);
      expect(add.output_shape).toEqual([1, WIDTH]);
    }
    // Every Add runs in place in the caller's output buffer: none has a slice of the arena.
    expect(rows.every((r) => r.arena_offset === null && r.arena_bytes === 0)).toBe(true);
    expect(rows.every((r) => r.instructions === undefined && r.sqnr_db === undefined)).toBe(true);
  });

  it('convolutions with heads: the arena slice of each output where the plan put it, the weights of each conv', () => {
    const graph = branchy();
    const plan = planMemory(graph);
    const rows = stepReports(graph, plan, 'float32');
    for (const row of rows) {
      const output = plan.steps.find((s) => s.index === row.index)!.nodes.at(-1)!.outputs[0]!;
      const buffer = plan.buffers.find((b) => b.id === plan.bufferOf.get(output))!;
      if (buffer.storage.kind === 'arena') expect([row.arena_offset, row.arena_bytes]).toEqual([buffer.storage.offset, buffer.bytes]);
      else expect([row.arena_offset, row.arena_bytes]).toEqual([null, 0]);
    }
    expect(rows.filter((r) => r.arena_offset !== null).length).toBeGreaterThan(2);
    const convs = rows.filter((r) => r.op === 'Conv');
    expect(convs).toHaveLength(3);
    for (const conv of convs) {
      const node = graph.nodes.find((n) => n.name === conv.name)!;
      const [w, b] = [node.inputs[1]!, node.inputs[2]].map((name) => (name ? graph.tensors.get(name) : undefined));
      const bytes = [w, b].reduce((sum, t) => sum + (t ? t.shape.reduce((n, d) => n * d, 1) * FLOAT_BYTES : 0), 0);
      expect(conv.kernel).toContain('conv');
      expect(conv.weight_bytes).toBe(bytes);
    }
  });
});
