// A selection of the ONNX backend test cases as float32 firmware on the Cortex-M4 (arm-none-eabi-gcc, QEMU
// mps2-an386): the same generated C that onnx-backend.test.ts checks with the host gcc, built with the target's
// flags (hard-float FPv4, newlib's libm) and compared with the expected outputs at the same tolerance
// (rtol 1e-4, atol 1e-5).
//
// One firmware per case, so the list is chosen, not the whole suite: each lowered operator family with the
// forms that take their own path through its kernel, all with float32 inputs and outputs small enough for the
// target (256 KiB RAM, 1 MiB flash; the test checks the image fits).
//
// The results are not bit for bit those of the host: on the M4 the kernels fuse each multiply-accumulate
// (EENN_MAC_F32 becomes vfma.f32, one rounding where the host rounds twice) and newlib's expf/tanhf are not
// glibc's. Both stay within a few float32 ulps, well inside the tolerance.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { loadTarget } from '../../src/target/target.js';
import { listCases, TOLERANCE, type ConformanceCase } from '../conformance/harness.js';
import { prepareCase, type PreparedCase } from './backend-cases.js';
import { createLimiter, nonFloatTensors, runOnTarget, type TargetRun } from './backend-qemu-helpers.js';
import { compareOutputs } from './host-run.js';

/** Case names; `*` stands for any run of characters. Each pattern must name at least one case. */
const SELECTION: { family: string; why: string; cases: string[] }[] = [
  {
    family: 'Conv',
    why: 'eenn_conv2d_f32 with strides and asymmetric padding, dilation, and groups with a non-square kernel',
    cases: ['test_conv_with_strides_and_asymmetric_padding', 'test_Conv2d_dilated', 'test_Conv2d_groups'],
  },
  {
    family: 'Conv 1-D',
    why: 'a [N, C, W] convolution goes through the 2-D kernel with a height of 1',
    cases: ['test_Conv1d_stride'],
  },
  {
    family: 'depthwise Conv',
    why: 'eenn_depthwise_conv2d_3x3_f32, padded and with a channel multiplier',
    cases: ['test_Conv2d_depthwise_padded', 'test_Conv2d_depthwise_with_multiplier'],
  },
  {
    family: 'ConvTranspose',
    why: 'eenn_conv_transpose2d_f32 with unequal strides, pads, output_padding and a bias',
    cases: ['test_ConvTranspose2d'],
  },
  {
    family: 'Gemm / MatMul',
    why: 'eenn_matmul_f32 with transposes, alpha and beta; eenn_fc_f32 with packed weights and bias; batched MatMul',
    cases: ['test_gemm_all_attributes', 'test_Linear', 'test_matmul_3d'],
  },
  {
    family: 'binary elementwise',
    why: 'Add, Mul and Div with one operand broadcast',
    cases: ['test_add_bcast', 'test_mul_bcast', 'test_div_bcast'],
  },
  {
    family: 'activations',
    why: 'the unary kernels; Sigmoid and Tanh call libm, whose float routines differ between glibc and newlib',
    cases: ['test_relu', 'test_leakyrelu', 'test_clip', 'test_sigmoid', 'test_tanh', 'test_hardsigmoid', 'test_hardswish'],
  },
  {
    family: 'MaxPool / AveragePool',
    why: 'eenn_max_pool2d_f32 and eenn_avg_pool2d_f32 with pads (divisor with and without the padding) and ceil_mode',
    cases: ['test_maxpool_2d_pads', 'test_averagepool_2d_pads*', 'test_averagepool_2d_ceil'],
  },
  {
    family: 'GlobalAveragePool',
    why: 'eenn_global_avg_pool_f32',
    cases: ['test_globalaveragepool'],
  },
  {
    family: 'Softmax / LogSoftmax',
    why: 'expf and logf on the target; large inputs check the max subtraction',
    cases: ['test_softmax_axis_1', 'test_logsoftmax_large_number'],
  },
  {
    family: 'data movement',
    why: 'Concat along a middle axis, a full Transpose permutation, and a Reshape',
    cases: ['test_concat_3d_axis_1', 'test_transpose_all_permutations_4', 'test_reshape_reordered_all_dims'],
  },
  {
    family: 'Pad',
    why: 'eenn_pad_f32, pads and value given as inputs and bound as constants',
    cases: ['test_constant_pad'],
  },
  {
    family: 'Resize',
    why: 'eenn_resize_nearest_f32 and eenn_resize_f32 (linear taps)',
    cases: ['test_resize_upsample_scales_nearest', 'test_resize_upsample_scales_linear'],
  },
  {
    family: 'ReduceMean',
    why: 'eenn_reduce_mean_f32 over one axis, kept',
    cases: ['test_reduce_mean_keepdims_random'],
  },
  {
    family: 'BatchNormalization',
    why: 'a BatchNormalization with nothing to fold into becomes eenn_channel_affine_f32',
    cases: ['test_BatchNorm2d_eval'],
  },
];

/** Firmwares built and run at the same time (two cores). */
const PARALLEL_BUILDS = 2;

function patternOf(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

const allCases = listCases();
const unresolved = SELECTION.flatMap((f) => f.cases).filter((glob) => !allCases.some((c) => patternOf(glob).test(c.name)));
const casesOf = (family: (typeof SELECTION)[number]): ConformanceCase[] =>
  allCases.filter((c) => family.cases.some((glob) => patternOf(glob).test(c.name)));
const selected: ConformanceCase[] = [...new Set(SELECTION.flatMap(casesOf))];

/** The case through the frontend as onnx-backend.test.ts prepares it (constants bound until the codegen accepts it). */
function prepare(c: ConformanceCase): PreparedCase {
  const prepared = prepareCase(c, (graph) => {
    if (graph.inputs.length === 0) throw new EennError({ code: 'E_UNSUPPORTED', message: 'nothing left to compute at run time' });
    emitModel(graph, planMemory(graph), { modelName: c.name, precision: 'float32' });
  });
  const other = nonFloatTensors(prepared.graph);
  if (other.length > 0) throw new Error(`${c.name}: not a float32 case (${other.join(', ')}); take it off the selection`);
  return prepared;
}

type Outcome = { ok: true; prepared: PreparedCase; run: TargetRun } | { ok: false; error: unknown };

const target = loadTarget('cortex-m4');
const work = mkdtempSync(join(tmpdir(), 'eenn-backend-m4-'));
const outcomes = new Map<string, Promise<Outcome>>();
let passed = 0;

beforeAll(() => {
  const limit = createLimiter(PARALLEL_BUILDS);
  // Started here, awaited case by case below; failures are kept as values so none goes unhandled.
  for (const c of selected) {
    outcomes.set(
      c.name,
      limit(async (): Promise<Outcome> => {
        try {
          const prepared = prepare(c);
          return { ok: true, prepared, run: await runOnTarget(prepared, target, join(work, c.name)) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all(outcomes.values());
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`backend cases on ${target.name}: ${passed} passed / ${selected.length} selected\n`);
});

describe(`ONNX backend cases as float32 firmware on ${target.name} (QEMU)`, () => {
  it('the selection names at least 25 existing cases', () => {
    expect(unresolved, 'patterns that name no case').toEqual([]);
    expect(selected.length).toBeGreaterThanOrEqual(25);
  });

  for (const family of SELECTION) {
    describe(family.family, () => {
      for (const c of casesOf(family)) it(c.name, () => checkCase(c.name));
    });
  }
});

async function checkCase(name: string): Promise<void> {
  const outcome = await outcomes.get(name)!;
  if (!outcome.ok) throw outcome.error;
  const { prepared, run } = outcome;
  expect(run.image.flash_bytes).toBeLessThanOrEqual(target.limits.flashBytes!);
  expect(run.image.ram_bytes + run.image.stack_reserved_bytes).toBeLessThanOrEqual(target.limits.ramBytes!);
  prepared.graph.outputs.forEach((output, k) => {
    const check = compareOutputs(run.outputs[k]!, prepared.expected[k]!.data as ArrayLike<number>, TOLERANCE.rtol, TOLERANCE.atol);
    expect(check.ok, `output "${output}": max error ${check.maxError} at element ${check.worstIndex}`).toBe(true);
  });
  passed++;
}
