// Every kernel file (float32, and int8 with the runtime's eenn_fixedpoint.h), and a generated model.c, compile
// warning-free for every Arm target (arm-none-eabi-gcc with the target's CPU flags, -O2 -Wall -Wextra -Werror
// -std=c99), hard and soft float.

import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { TEMPLATES_DIR } from '../../src/codegen/templates.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { loadAllTargets } from '../../src/target/target.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

const FLAGS = ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c99', '-I', join(TEMPLATES_DIR, 'runtime'), '-c'];
const kernelDir = join(TEMPLATES_DIR, 'kernels');
const kernels = readdirSync(kernelDir)
  .filter((f) => f.endsWith('.c'))
  .sort();
// One target per set of compiler flags: a board on a core already listed (netduinoplus2 and nrf52840 are Cortex-M4F
// with cortex-m4's flags) compiles the same code.
const armTargets = loadAllTargets()
  .filter((t) => t.kind !== 'host' && t.compiler.cc === 'arm-none-eabi-gcc')
  .filter((t, i, all) => all.findIndex((other) => other.compiler.flags.join(' ') === t.compiler.flags.join(' ')) === i);

/** A model using many kernel families, so its model.c exercises the call formatting of each. */
function mixedModel() {
  const rand = seededRandom(11);
  const w = (n: number) => Float32Array.from({ length: n }, () => rand() - 0.5);
  const b = new GraphBuilder('mixed');
  const x = b.input('x', [1, 3, 12, 12]);
  const c = b.op('Relu', [b.op('Conv', [x, b.constant('c1.w', [8, 3, 3, 3], w(216))], { pads: [1, 1, 1, 1] })]);
  const d = b.op('Conv', [c, b.constant('dw.w', [8, 1, 3, 3], w(72))], { group: 8, pads: [1, 1, 1, 1] });
  const p = b.op('Resize', [b.op('AveragePool', [d], { kernel_shape: [2, 2], strides: [2, 2] }), '', b.constant('s', [4], [1, 1, 2, 2])], {
    mode: 'linear',
  });
  const t = b.op('Transpose', [b.op('Pad', [p, b.constant('pads', [8], [0, 0, 1, 1, 0, 0, 1, 1], 'int64')], { mode: 'reflect' })], {
    perm: [0, 2, 3, 1],
  });
  const r = b.op('ReduceMean', [t], { axes: [1, 2], keepdims: 0 });
  b.output(b.op('Softmax', [b.op('Add', [b.op('Gemm', [r, b.constant('fc.w', [8, 5], w(40))]), b.constant('k', [5], w(5))])], { axis: -1 }));
  return b.build();
}

const work = mkdtempSync(join(tmpdir(), 'eenn-arm-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('arm-none-eabi-gcc builds the float32 code warning-free', () => {
  it('has Arm targets to check, including a soft-float one', () => {
    expect(armTargets.map((t) => t.name)).toEqual(expect.arrayContaining(['cortex-m4', 'cortex-m0plus']));
    expect(armTargets.some((t) => !t.features.fpu)).toBe(true);
  });

  for (const target of armTargets) {
    it(`${target.name}: every kernel file and a generated model.c`, async () => {
      const graph = mixedModel();
      const { files } = emitModel(graph, planMemory(graph), { modelName: 'mixed', precision: 'float32' });
      const dir = join(work, target.name);
      for (const [path, text] of files) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const sources = [...kernels.map((k) => join(kernelDir, k)), join(dir, 'model.c')];
      await Promise.all(
        sources.map(async (source, i) => {
          const result = await execa(target.compiler.cc, [...target.compiler.flags, ...FLAGS, source, '-o', join(dir, `${i}.o`)], { reject: false });
          expect(result.stderr, `${source}`).toBe('');
          expect(result.exitCode).toBe(0);
        }),
      );
    }, 120_000);
  }
});
