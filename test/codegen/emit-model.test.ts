// emitModel: the model.h API contract, the explanatory comments, which kernel files are copied, constant arrays
// (named after their tensors, shared weights once), unsupported operators reported all at once, the options and
// models it refuses, the parameters of each section of steps, and speed on large weights.

import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { emitModel } from '../../src/codegen/emit-model.js';
import { planMemory } from '../../src/schedule/memory-plan.js';
import { GraphBuilder, seededRandom } from '../schedule/graph-builder.js';

const rand = seededRandom(5);
const weights = (n: number) => Float32Array.from({ length: n }, () => rand() - 0.5);

function smallCnn() {
  const b = new GraphBuilder('small_cnn');
  const x = b.input('image', [1, 2, 8, 8]);
  const w = b.constant('features.0.weight', [4, 2, 3, 3], weights(72));
  const c = b.op('Relu', [b.op('Conv', [x, w, b.constant('features.0.bias', [4], weights(4))], { pads: [1, 1, 1, 1] })]);
  const f = b.op('Flatten', [b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] })]);
  b.output(b.op('Gemm', [f, b.constant('classifier.weight', [3, 64], weights(192))], { transB: 1 }));
  return b.build();
}

describe('emitModel', () => {
  it('writes the model.h API the firmware calls, with the arena size of the plan', () => {
    const graph = smallCnn();
    const plan = planMemory(graph);
    const { files, arenaBytes } = emitModel(graph, plan, { modelName: 'small_cnn', precision: 'float32' });
    const h = files.get('model.h')!;
    expect(arenaBytes).toBe(plan.arenaBytes);
    expect(h).toMatch(/#define EENN_NUM_INPUTS\s+1\n/);
    expect(h).toMatch(/#define EENN_NUM_OUTPUTS\s+1\n/);
    expect(h).toMatch(/#define EENN_NUM_EXITS\s+1\s/);
    expect(h).toContain(`#define EENN_ARENA_BYTES ${plan.arenaBytes}u`);
    expect(h).toContain('extern const uint32_t eenn_input_bytes[EENN_NUM_INPUTS];');
    expect(h).toContain('extern const uint32_t eenn_output_bytes[EENN_NUM_OUTPUTS];');
    expect(h).toContain('int32_t eenn_run(const void *const inputs[EENN_NUM_INPUTS], void *const outputs[EENN_NUM_OUTPUTS]);');
    expect(h).toContain('#define EENN_INPUT_0_NAME  "image"');
    expect(h).toContain('#define EENN_INPUT_0_SIZE  128u');
    expect(h).toContain('#define EENN_INPUT_0_BYTES 512u');
    expect(h).toContain('#define EENN_INPUT_0_SHAPE { 1, 2, 8, 8 }');
    expect(h).toContain('"image" float32 [1, 2, 8, 8] (NCHW), 512 bytes');
    expect(h).toContain('#define EENN_OUTPUT_0_BYTES 12u');
    const c = files.get('model.c')!;
    expect(c).toContain('const uint32_t eenn_input_bytes[EENN_NUM_INPUTS] = { 512u };');
  });

  it('renames the public symbols with another prefix', () => {
    const graph = smallCnn();
    const { files } = emitModel(graph, planMemory(graph), { modelName: 'a', precision: 'float32', symbolPrefix: 'kws' });
    expect(files.get('model.h')).toContain('int32_t kws_run(const void *const inputs[KWS_NUM_INPUTS]');
    expect(files.get('model.h')).not.toContain('eenn_run');
  });

  it('explains each layer: node name, operator, shapes and MACs, and names arrays after their tensors', () => {
    const graph = smallCnn();
    const { files } = emitModel(graph, planMemory(graph), { modelName: 'small_cnn', precision: 'float32' });
    const c = files.get('model.c')!;
    const conv = graph.nodes.find((n) => n.op === 'Conv')!;
    const relu = graph.nodes.find((n) => n.op === 'Relu')!;
    // The step's MACs are its nodes': the convolution's and the fused Relu's (one per output, as the report counts).
    expect(c).toContain(
      `[0] ${conv.name} (Conv) + ${relu.name} (Relu, fused): [1, 2, 8, 8] -> [1, 4, 8, 8], ${(4 * 64 * 18 + 4 * 64).toLocaleString('en-US')} MACs`,
    );
    expect(c).toContain('static const float features_0_weight_packed[72]');
    expect(c).toContain('static const float features_0_bias[4]');
    expect(c).toContain('static const float classifier_weight_packed[192]');
    expect(c).toMatch(/#define EENN_OFFSET_\w+ 0u/);
    expect(c).toContain('/* act_min    */ 0.0f');
  });

  it('copies only the kernel files the model uses', () => {
    const b = new GraphBuilder('act');
    b.output(b.op('Relu', [b.input('x', [4])]));
    const graph = b.build();
    const { files, kernelSources } = emitModel(graph, planMemory(graph), { modelName: 'act', precision: 'float32' });
    expect(kernelSources).toEqual(['kernels/eenn_activation_f32.c']);
    expect([...files.keys()].sort()).toEqual(['kernels/eenn_activation_f32.c', 'kernels/eenn_kernels_f32.h', 'model.c', 'model.h']);
    const cnn = emitModel(smallCnn(), planMemory(smallCnn()), { modelName: 'cnn', precision: 'float32' });
    expect(cnn.kernelSources).toEqual(['kernels/eenn_conv_f32.c', 'kernels/eenn_fc_f32.c', 'kernels/eenn_pool_f32.c']);
  });

  it('prints a weight shared by two layers once', () => {
    const b = new GraphBuilder('shared');
    const x = b.input('x', [1, 3, 5, 5]);
    const w = b.constant('shared.weight', [3, 3, 1, 1], weights(9));
    b.output(b.op('Conv', [b.op('Conv', [x, w]), w]));
    const graph = b.build();
    const { files, weightBytes } = emitModel(graph, planMemory(graph), { modelName: 'shared', precision: 'float32' });
    expect(files.get('model.c')!.match(/static const float shared_weight_packed/g)).toHaveLength(1);
    expect(weightBytes).toBe(9 * 4);
  });

  it('reports every operator without a float kernel at once, with node names and a hint', () => {
    const b = new GraphBuilder('bad');
    const x = b.input('x', [1, 4]);
    const y = b.op('LpNormalization', [x], {}, [1, 4]);
    const z = b.op('Relu', [y]);
    b.output(b.op('Einsum', [z], { equation: 'ij->ij' }, [1, 4]));
    const graph = b.build();
    let error: unknown;
    try {
      emitModel(graph, planMemory(graph), { modelName: 'bad', precision: 'float32' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EennError);
    const e = error as EennError;
    expect(e.code).toBe('E_UNSUPPORTED');
    expect(e.details).toHaveLength(2);
    expect(e.details![0]).toContain(`node "${graph.nodes[0]!.name}" (LpNormalization)`);
    expect(e.details![1]).toContain(`node "${graph.nodes[2]!.name}" (Einsum)`);
    expect(e.hint).toContain('--precision');
  });

  it('takes int32 model inputs and outputs in a float32 build: model.h names int32_t, the typed kernel computes', () => {
    const b = new GraphBuilder('ints');
    b.output(b.op('Neg', [b.input('x', [3], 'int32')], {}, [3]));
    const graph = b.build();
    graph.tensors.get(graph.outputs[0]!)!.dtype = 'int32';
    const emitted = emitModel(graph, planMemory(graph), { modelName: 'ints', precision: 'float32' });
    expect(emitted.files.get('model.h')).toMatch(/EENN_INPUT_0_TYPE +int32_t/);
    expect(emitted.files.get('model.h')).toMatch(/EENN_OUTPUT_0_TYPE +int32_t/);
    expect(emitted.files.get('model.c')).toContain('eenn_neg_s32(');
    expect(emitted.kernelSources).toContain('kernels/eenn_elementwise_typed.c');
  });

  it('refuses a precision or a symbol prefix it cannot print, and a model without inputs, with E_USAGE or E_UNSUPPORTED', () => {
    const graph = smallCnn();
    const plan = planMemory(graph);
    const codeOf = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (err) {
        return err instanceof EennError ? `${err.code}: ${err.message}` : String(err);
      }
      return undefined;
    };
    expect(codeOf(() => emitModel(graph, plan, { modelName: 'a', precision: 'int4' as 'int8' }))).toBe(
      'E_USAGE: precision int4 is not one of float32, int8',
    );
    expect(codeOf(() => emitModel(graph, plan, { modelName: 'a', precision: 'float32', symbolPrefix: '9lives' }))).toBe(
      'E_USAGE: symbol prefix "9lives" is not a C identifier',
    );
    expect(codeOf(() => emitModel(graph, plan, { modelName: 'a', precision: 'float32', symbolPrefix: 'kws_2' }))).toBeUndefined();
    const folded = { ...graph, inputs: [] };
    expect(codeOf(() => emitModel(folded, plan, { modelName: 'a', precision: 'float32' }))).toMatch(/^E_UNSUPPORTED: the model has no runtime input/);
  });

  it('gives each section of steps only the inputs and outputs its steps use, not those of the final copies', () => {
    // 70 steps make two sections; model input x is also an output, copied after the last section.
    const b = new GraphBuilder('long');
    const x = b.input('x', [1, 4]);
    let y = x;
    for (let i = 0; i < 70; i++) y = b.op(i % 2 === 0 ? 'Neg' : 'Relu', [y]);
    b.output(y);
    b.output(x);
    const graph = b.build();
    const c = emitModel(graph, planMemory(graph), { modelName: 'long', precision: 'float32' }).files.get('model.c')!;
    expect(c).toContain('static void eenn_steps_0_63(const float *const input_0, float *const output_0)');
    // An unused parameter fails the build at -Wextra -Werror.
    expect(c).toContain('static void eenn_steps_64_69(float *const output_0)');
    expect(c).toContain('eenn_copy_f32(input_0, output_1, 4); /* "x" */');
  });

  it('emits a million weights in time linear in their number', () => {
    const b = new GraphBuilder('big');
    const x = b.input('x', [1, 1000]);
    b.output(b.op('Gemm', [x, b.constant('w', [1000, 1000], weights(1_000_000))], { transB: 1 }));
    const graph = b.build();
    // CPU time, not wall time, so that a loaded machine does not fail it: about 1 s here; an emitter quadratic in
    // the weights takes hours.
    const start = process.cpuUsage();
    const { files, weightBytes } = emitModel(graph, planMemory(graph), { modelName: 'big', precision: 'float32' });
    expect(weightBytes).toBe(4_000_000);
    expect(files.get('model.c')!.length).toBeGreaterThan(4_000_000);
    const used = process.cpuUsage(start);
    expect((used.user + used.system) / 1000).toBeLessThan(60_000);
  });
});
