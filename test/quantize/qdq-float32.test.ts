// A float32 build of a model whose inputs or outputs are int8/uint8 (a QuantizeLinear writing a model output, a
// DequantizeLinear reading a model input) is refused naming the node and the type: its inputs and outputs are
// float32, and the QDQ import would otherwise return the float value for the integer one. An int8 build takes it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileModel } from '../../src/compile.js';
import { encodeGraph } from '../../src/frontend/save.js';
import { EennError } from '../../src/ir/diagnostics.js';
import { scaleZeroOf } from '../../src/ir/int8.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';
import { ModelBuilder } from './qdq-models.js';

let dir = '';
beforeAll(async () => {
  dir = await makeTempDir('eennc-qdq-float32-io-');
});
afterAll(async () => {
  await removeTempDir(dir);
});

/** x (float32) -> QuantizeLinear(scale 2, zero point 128) -> y (uint8), the ONNX backend case with constant parameters. */
function quantizeOutput(): string {
  const b = new ModelBuilder();
  b.input('x', [1, 6]);
  b.scale('s', 2);
  b.zeroPoint('zp', 'uint8', 128);
  b.node('QuantizeLinear', ['x', 's', 'zp'], ['y'], {}, '', 'quantize_y');
  b.tensors.set('y', { name: 'y', shape: [1, 6], dtype: 'uint8' });
  b.outputs.push('y');
  const path = join(dir, 'quantize-output.onnx');
  writeFileSync(path, encodeGraph(b.graph()));
  return path;
}

/** x (uint8) -> DequantizeLinear(scale 2, zero point 128) -> y (float32). */
function dequantizeInput(): string {
  const b = new ModelBuilder();
  b.input('x', [1, 4], 'uint8');
  b.scale('s', 2);
  b.zeroPoint('zp', 'uint8', 128);
  b.node('DequantizeLinear', ['x', 's', 'zp'], ['y'], {}, '', 'dequantize_x');
  b.tensors.set('y', { name: 'y', shape: [1, 4], dtype: 'float32' });
  b.outputs.push('y');
  const path = join(dir, 'dequantize-input.onnx');
  writeFileSync(path, encodeGraph(b.graph()));
  return path;
}

async function refusal(model: string): Promise<EennError> {
  try {
    await compileModel({ model, target: 'host', precision: 'float32', link: false, outDir: join(dir, 'never-written') });
  } catch (e) {
    if (e instanceof EennError) return e;
    throw e;
  }
  throw new Error('expected the float32 build to be refused');
}

describe('float32 builds of models with int8/uint8 inputs or outputs', () => {
  it('a QuantizeLinear writing a model output: E_UNSUPPORTED naming the node, the output and uint8', async () => {
    const path = quantizeOutput();
    const err = await refusal(path);
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node).toEqual({ name: 'quantize_y', op: 'QuantizeLinear' });
    expect(err.file).toBe(path);
    expect(err.message).toMatch(/model output "y" as uint8/);
    expect(err.hint).toMatch(/--precision int8/);
  });

  it('a DequantizeLinear reading a model input: E_UNSUPPORTED naming the node, the input and uint8', async () => {
    const err = await refusal(dequantizeInput());
    expect(err.code).toBe('E_UNSUPPORTED');
    expect(err.node).toEqual({ name: 'dequantize_x', op: 'DequantizeLinear' });
    expect(err.message).toMatch(/model input "x" of type uint8/);
  });

  it('an int8 build of the same model takes it: the output is int8 with the stated scale', async () => {
    const compiled = await compileModel({ model: quantizeOutput(), target: 'host', precision: 'int8', link: false, outDir: join(dir, 'int8') });
    const y = compiled.graph.tensors.get('y')!;
    expect(y.dtype).toBe('int8');
    expect(scaleZeroOf(y)).toEqual({ scale: 2, zeroPoint: 0 });
  });
});
