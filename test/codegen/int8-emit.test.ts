// emitModel with precision int8: the model.h contract for int8 and float32 inputs and outputs (types, scales,
// zero points), typed constants and arena pointers, the kernel files copied, every unsupported node reported at
// once, and memory plans of quantized graphs (bytes by dtype, the conv + pool fusion and int8 steps in place).

import { describe, expect, it } from 'vitest';
import { emitModel } from '../../src/codegen/emit-model.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { sizeOf } from '../../src/ir/graph.js';
import { int8ConvScratchBytes } from '../../src/kernels/conv-s8.js';
import { planMemory, validatePlan } from '../../src/schedule/memory-plan.js';
import { seededRandom } from '../schedule/graph-builder.js';
import { Int8GraphBuilder } from './int8-builder.js';

function smallModel(io: 'int8' | 'float32') {
  const q = new Int8GraphBuilder('small', seededRandom(3));
  const x = io === 'int8' ? q.input('image', [1, 2, 8, 8], { scale: 0.0625, zeroPoint: -7 }) : q.quantize(q.floatInput('image', [1, 2, 8, 8]));
  const c = q.conv(x, 4, [3, 3], { pads: [1, 1, 1, 1] }, [1, 4, 8, 8], { act: 'relu' });
  const p = q.pass('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] })[0]!;
  const logits = q.gemm(q.pass('Flatten', [p])[0]!, 3, { q: { scale: 0.125, zeroPoint: 5 } });
  q.output(io === 'int8' ? logits : q.dequantize(logits));
  return q.build();
}

describe('emitModel (int8)', () => {
  it('documents int8 inputs and outputs with their type, scale and zero point in model.h', () => {
    const graph = smallModel('int8');
    const { files, arenaBytes, macs } = emitModel(graph, planMemory(graph), { modelName: 'small', precision: 'int8' });
    const h = files.get('model.h')!;
    expect(h).toContain('#define EENN_PRECISION_INT8 1');
    expect(h).toMatch(/#define EENN_INPUT_0_TYPE\s+int8_t/);
    expect(h).toMatch(/#define EENN_INPUT_0_SCALE\s+0\.0625f\n/);
    expect(h).toMatch(/#define EENN_INPUT_0_ZERO_POINT \(-7\)\n/);
    expect(h).toContain('#define EENN_INPUT_0_BYTES 128u');
    expect(h).toMatch(/#define EENN_OUTPUT_0_SCALE\s+0\.125f\n/);
    expect(h).toMatch(/#define EENN_OUTPUT_0_ZERO_POINT \(5\)\n/);
    expect(h).toContain('"image" int8 [1, 2, 8, 8] (NCHW), 128 bytes, scale 0.0625f, zero point -7');
    const c = files.get('model.c')!;
    expect(c).toContain('const int8_t *const input_0 = (const int8_t *)inputs[0];');
    expect(c).toContain('int8_t *const output_0 = (int8_t *)outputs[0];');
    expect(c).toContain('EENN_ARENA_S8(EENN_OFFSET_');
    expect(c).not.toContain('EENN_ARENA_F32(EENN_OFFSET_');
    expect(c).toMatch(/static const int8_t w\d+_packed\[72\]/);
    expect(c).toMatch(/static const int32_t b\d+\[4\]/);
    expect(arenaBytes).toBeGreaterThan(0);
    expect(macs).toBe(4 * 64 * 18 + 3 * 64);
  });

  it('passes float32 inputs and outputs of a model that quantizes and dequantizes itself', () => {
    const graph = smallModel('float32');
    const { files } = emitModel(graph, planMemory(graph), { modelName: 'small', precision: 'int8' });
    const h = files.get('model.h')!;
    expect(h).toMatch(/#define EENN_INPUT_0_TYPE\s+float/);
    expect(h).toContain('#define EENN_INPUT_0_BYTES 512u');
    expect(h).not.toContain('EENN_INPUT_0_SCALE');
    expect(h).not.toContain('EENN_OUTPUT_0_ZERO_POINT');
    const c = files.get('model.c')!;
    expect(c).toContain('eenn_quantize_s8(');
    expect(c).toContain('eenn_dequantize_s8(');
    expect(c).toContain('const float *const input_0 = (const float *)inputs[0];');
  });

  it('copies the int8 kernels it uses with their headers, the fixed-point arithmetic and the ISA detection, and counts int8 weights as bytes', () => {
    const graph = smallModel('int8');
    const { files, kernelSources, weightBytes } = emitModel(graph, planMemory(graph), { modelName: 'small', precision: 'int8' });
    expect(kernelSources).toEqual([
      'kernels/eenn_conv2d_s8.c',
      'kernels/eenn_fc_s8.c',
      'kernels/eenn_multiply_columns_s8.c',
      'kernels/eenn_pool_s8.c',
    ]);
    expect([...files.keys()].sort()).toEqual([
      'kernels/eenn_config.h',
      'kernels/eenn_conv2d_s8.c',
      'kernels/eenn_conv_support_s8.h',
      'kernels/eenn_fc_s8.c',
      'kernels/eenn_fixedpoint.h',
      'kernels/eenn_isa.h',
      'kernels/eenn_kernels_s8.h',
      'kernels/eenn_multiply_columns_s8.c',
      'kernels/eenn_nn_support_s8.h',
      'kernels/eenn_pool_s8.c',
      'model.c',
      'model.h',
    ]);
    // weights 4 * 2 * 3 * 3 and 3 * 64 bytes; bias, multiplier and shift: 4 bytes per channel each (4 + 3 channels)
    expect(weightBytes).toBe(72 + 3 * 64 + 3 * 4 * (4 + 3));
  });

  it('reports every node without an int8 kernel at once, with a hint to build float32', () => {
    const q = new Int8GraphBuilder('bad', seededRandom(4));
    const x = q.input('x', [1, 2, 4, 4, 4]);
    const c = q.conv(x, 2, [3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }, [1, 2, 4, 4, 4]);
    const r = q.pass('Relu', [c])[0]!;
    q.output(q.pass('Resize', [r, '', q.b.constant('scales', [5], [1, 1, 1, 2, 2])], { mode: 'linear' })[0]!);
    const graph = q.build();
    let error: unknown;
    try {
      emitModel(graph, planMemory(graph), { modelName: 'bad', precision: 'int8' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EennError);
    const e = error as EennError;
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.details).toHaveLength(3);
    expect(e.details![0]).toContain(`node "${graph.nodes[0]!.name}" (QConv)`);
    expect(e.details![1]).toContain(`node "${graph.nodes[1]!.name}" (Relu)`);
    expect(e.details![2]).toContain('nearest');
    expect(e.hint).toContain('--precision float32');
  });

  it('rejects int8 model inputs without a scale and zero point', () => {
    const q = new Int8GraphBuilder('raw', seededRandom(5));
    const x = q.input('x', [4]);
    q.output(q.lut(x, (r) => r));
    const graph = q.build();
    delete graph.tensors.get('x')!.quant;
    expect(() => emitModel(graph, planMemory(graph), { modelName: 'raw', precision: 'int8' })).toThrow(/scale and zero point/);
  });
});

describe('memory plans of int8 graphs', () => {
  it('sizes int8 buffers at one byte per element, fuses a pool into the QConv before it, runs int8 steps in place', () => {
    const q = new Int8GraphBuilder('plan', seededRandom(6));
    const x = q.input('x', [1, 3, 10, 10]);
    const c = q.conv(x, 8, [3, 3], { pads: [1, 1, 1, 1] }, [1, 8, 10, 10], { act: 'relu' });
    const p = q.pass('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] })[0]!;
    const dw = q.conv(p, 8, [3, 3], { group: 8, pads: [1, 1, 1, 1] }, [1, 8, 5, 5]);
    const pw = q.conv(dw, 4, [1, 1], {}, [1, 4, 5, 5]);
    q.output(q.lut(pw, (r) => Math.tanh(r)));
    const graph = q.build();
    const plan = planMemory(graph);
    expect(validatePlan(plan, graph)).toEqual([]);
    // The pool runs inside the QConv's step (4 channels at a time through a scratch); nothing else is fused.
    expect(plan.steps.map((s) => s.nodes.length)).toEqual([2, 1, 1, 1]);
    expect(plan.steps[0]!.pool?.outputs[0]).toBe(p);
    expect(plan.buffers[plan.bufferOf.get(c)!]!.storage.kind).toBe('fused');
    for (const buffer of plan.buffers.filter((b) => b.scratchOfStep === undefined && b.storage.kind !== 'fused')) {
      const largest = Math.max(...buffer.tensors.map((name) => sizeOf(graph.tensors.get(name)!.shape)));
      expect(buffer.bytes).toBe(largest);
    }
    // The depthwise conv writes over its input through a scratch of padded rows.
    const dwStep = plan.steps.find((s) => s.nodes[0]!.outputs[0] === dw)!;
    expect(dwStep.inPlace).toBe('depthwise');
    expect(plan.bufferOf.get(dw)).toBe(plan.bufferOf.get(p));
    // The largest moment: the pooled tensor (200 bytes) beside 4 channel planes of the conv (400) and the conv
    // kernel's im2col columns.
    const columns = int8ConvScratchBytes(graph, plan.steps[0]!.nodes[0]!);
    expect(plan.steps[0]!.scratchBytes).toBe(400 + columns);
    expect(plan.arenaBytes).toBe(200 + Math.ceil((400 + columns) / 8) * 8);
  });
});
