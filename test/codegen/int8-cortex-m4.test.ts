// A small int8 network (float32 in, Quantize, convolutions, pooling, a residual add, a classifier, softmax, and
// a dequantized output) built for the Cortex-M4 with the target's gcc (-Wall -Wextra -Werror) and run in QEMU
// (mps2-an386, semihosting): every output equals the int8 reference (runInt8Reference) bit for bit.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInt8Reference } from '../../src/quantize/int8-reference.js';
import { loadTarget } from '../../src/target/target.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder, randomInputs } from './int8-builder.js';
import { runInt8Model } from './int8-run.js';

const work = mkdtempSync(join(tmpdir(), 'eenn-int8-m4-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('int8 model on cortex-m4 (QEMU)', () => {
  it('matches the int8 reference bit for bit', async () => {
    const rand = seededRandom(44);
    const q = new Int8GraphBuilder('int8_m4', rand);
    const image = q.quantize(q.floatInput('image', [1, 3, 12, 12]));
    const c1 = q.conv(image, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 12, 12], { act: 'relu' });
    const p1 = q.pass('MaxPool', [c1], { kernel_shape: [2, 2], strides: [2, 2] })[0]!;
    const dw = q.conv(p1, 8, [3, 3], { group: 8, pads: [1, 1, 1, 1] }, [1, 8, 6, 6], { act: 'relu' });
    const sum = q.add(dw, p1, [1, 8, 6, 6]);
    const pooled = q.averagePool(sum, [6, 6], [1, 1], [0, 0, 0, 0], 0, [1, 8, 1, 1]);
    const logits = q.gemm(q.pass('Flatten', [pooled])[0]!, 10);
    q.output(q.softmax(q.lut(logits, (r) => r / 8)));
    q.output(q.dequantize(logits));
    const graph = q.build();
    const inputs = randomInputs(graph, rand);

    const run = await runInt8Model(graph, inputs, loadTarget('cortex-m4'), work);
    const expected = runInt8Reference(graph, inputs);
    graph.outputs.forEach((name, i) => {
      expect(Array.from(run.outputs[i]!), `output "${name}"`).toEqual(Array.from(expected[name]!.data as ArrayLike<number>));
    });
    expect(new Set(run.outputs[0]).size).toBeGreaterThan(2);
    expect(run.instructions).toBeGreaterThan(run.emitted.macs);
    expect(run.image.ram_bytes).toBeGreaterThanOrEqual(run.plan.arenaBytes);
    process.stdout.write(
      `int8 on cortex-m4: ${run.instructions} instructions for ${run.emitted.macs} MACs, ` +
        `arena ${run.plan.arenaBytes} B, weights ${run.emitted.weightBytes} B, flash ${run.image.flash_bytes} B\n`,
    );
  }, 300_000);
});
