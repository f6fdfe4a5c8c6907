// Bad models give an EennError with the right code, the file, the node and a hint, never a raw exception.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EennError, type ErrorCode } from '../../src/ir/diagnostics.js';
import { importModel } from '../../src/frontend/index.js';
import { supportedOps } from '../../src/ops/registry.js';
import { encodeModel, OnnxDataType, type ModelProto } from '../../src/frontend/onnx-proto.js';
import { buildGraph, writeScratch } from './build-graph.js';

/** The EennError importModel throws for `path`, checked for code and file. */
function importError(path: string, code: ErrorCode): EennError {
  try {
    importModel(path);
  } catch (err) {
    expect(err).toBeInstanceOf(EennError);
    const e = err as EennError;
    expect({ code: e.code, file: e.file }).toEqual({ code, file: path });
    expect(e.format()).toContain(path);
    return e;
  }
  throw new Error(`importing ${path} did not fail`);
}

describe('frontend errors', () => {
  it('a file that does not exist: E_FILE', () => {
    expect(importError('/nonexistent/model.onnx', 'E_FILE').message).toMatch(/no such file/);
  });

  it('a file that is not ONNX: E_PARSE with a hint', () => {
    const path = writeScratch('not-onnx.onnx', new TextEncoder().encode('name,value\nalpha,1\n'));
    const e = importError(path, 'E_PARSE');
    expect(e.message).toMatch(/not a valid ONNX model/);
    expect(e.hint).toMatch(/ONNX model/);
  });

  it('a truncated model: E_PARSE', () => {
    const whole = readFileSync('/usr/share/libonnx-testdata/data/pytorch-converted/test_Conv2d/model.onnx');
    const path = writeScratch('truncated.onnx', whole.subarray(0, Math.floor(whole.length * 0.6)));
    expect(importError(path, 'E_PARSE').message).toMatch(/truncated|cannot be decoded/);
  });

  it('a node in a domain the model does not import: E_OPSET naming the node', () => {
    const model: ModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } } }],
        output: [{ name: 'y' }],
        node: [
          { name: 'first', opType: 'Relu', input: ['x'], output: ['h'] },
          { name: 'second', opType: 'Neg', domain: 'com.example.custom', input: ['h'], output: ['y'] },
        ],
      },
    };
    const e = importError(writeScratch('domain.onnx', encodeModel(model)), 'E_OPSET');
    expect(e.node).toEqual({ name: 'second', op: 'Neg' });
    expect(e.message).toContain('com.example.custom');
  });

  it('a cycle: E_GRAPH naming a node on it', () => {
    const graph = buildGraph({
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['Add', ['x', 'b'], ['a'], {}, 'add'],
        ['Relu', ['a'], ['b'], {}, 'loop_back'],
        ['Neg', ['a'], ['y'], {}, 'out'],
      ],
      outputs: ['y'],
    });
    const e = importError(writeScratch('cycle.onnx', graph), 'E_GRAPH');
    expect(['add', 'loop_back']).toContain(e.node?.name);
    expect(e.message).toMatch(/cycle/);
  });

  it('a missing initializer: E_GRAPH naming the node and the tensor', () => {
    const model: ModelProto = {
      irVersion: 8,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        input: [{ name: 'x', type: { tensorType: { elemType: OnnxDataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } } }],
        output: [{ name: 'y' }],
        node: [{ name: 'scale', opType: 'Mul', input: ['x', 'weights'], output: ['y'] }],
      },
    };
    const e = importError(writeScratch('missing.onnx', encodeModel(model)), 'E_GRAPH');
    expect(e.node).toEqual({ name: 'scale', op: 'Mul' });
    expect(e.message).toContain('"weights"');
  });

  it('a shape mismatch: E_SHAPE naming the node', () => {
    const graph = buildGraph({
      inputs: { a: ['float32', [2, 3]], b: ['float32', [4]] },
      nodes: [['Add', ['a', 'b'], ['y'], {}, 'bad_add']],
      outputs: ['y'],
    });
    const e = importError(writeScratch('mismatch.onnx', graph), 'E_SHAPE');
    expect(e.node).toEqual({ name: 'bad_add', op: 'Add' });
  });

  it('unsupported operators: one E_UNSUPPORTED listing every node', () => {
    const graph = buildGraph({
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['NonZero', ['x'], ['a'], {}, 'nz'],
        ['Relu', ['x'], ['b'], {}, 'ok'],
        ['Unique', ['b'], ['c'], {}, 'uniq'],
      ],
      outputs: ['a', 'c'],
    });
    const e = importError(writeScratch('unsupported.onnx', graph), 'E_UNSUPPORTED');
    expect(e.details).toHaveLength(2);
    expect(e.details!.join('\n')).toMatch(/"nz" \(NonZero\)[\s\S]*"uniq" \(Unique\)/);
    expect(e.hint).toMatch(/inspect/);
  });

  it('an opset older than an operator supports: E_UNSUPPORTED saying which opsets are', () => {
    const def = supportedOps().find((d) => (d.domain ?? '') === '' && d.opsets[0] > 1)!;
    const graph = buildGraph({
      opset: def.opsets[0] - 1,
      inputs: { x: ['float32', [4]] },
      nodes: [
        ['Relu', ['x'], ['h'], {}, 'first'],
        [def.op, ['h'], ['y'], {}, 'too_new'],
      ],
      outputs: ['y'],
    });
    const e = importError(writeScratch('old-opset.onnx', graph), 'E_UNSUPPORTED');
    expect(e.details).toEqual([expect.stringMatching(new RegExp(`"too_new" \\(${def.op}\\).*opsets ${def.opsets[0]}\\.\\.`))]);
  });
});
