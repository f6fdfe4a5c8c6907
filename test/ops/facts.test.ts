// Per-operator facts come from the definitions: the answers of src/ops/facts.ts, and every float kernel a definition
// names exists in the C kernels with a prototype in the header.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/ir/graph.js';
import { isLutOp, isScalarLutOp, runsInPlace } from '../../src/ops/facts.js';
import { supportedOps } from '../../src/ops/registry.js';

const node = (op: string, domain = ''): Node => ({ name: 'n', op, domain, inputs: ['x'], outputs: ['y'], attrs: {} });

describe('operator facts', () => {
  it('answers from the definitions', () => {
    expect(runsInPlace(node('Sigmoid'))).toBe(true);
    expect(runsInPlace(node('BatchNormalization'))).toBe(true);
    expect(runsInPlace(node('Conv'))).toBe(false);
    expect(runsInPlace(node('IsNaN'))).toBe(false);
    expect(isLutOp(node('Tanh'))).toBe(true);
    expect(isLutOp(node('Clip'))).toBe(true);
    expect(isLutOp(node('Atan'))).toBe(false);
    expect(isScalarLutOp(node('PRelu'))).toBe(true);
    expect(isScalarLutOp(node('Mod'))).toBe(false);
    expect(isLutOp(node('Relu', 'ai.onnx'))).toBe(true);
  });

  it('runs Gelu and Mish in place and tabulates them in int8, from their definitions', () => {
    for (const op of ['Gelu', 'Mish']) {
      expect(runsInPlace(node(op)), op).toBe(true);
      expect(isLutOp(node(op)), op).toBe(true);
    }
  });

  it('knows nothing of operators without a definition or in another domain', () => {
    expect(runsInPlace(node('NoSuchOp'))).toBe(false);
    expect(isLutOp(node('NoSuchOp'))).toBe(false);
    expect(runsInPlace(node('QLut', 'eenn.int8'))).toBe(false);
  });

  it('runs every operator with a unary kernel in place', () => {
    for (const def of supportedOps().filter((d) => d.unaryKernel)) expect(def.inPlace, def.op).toBe(true);
  });

  it('names only float kernels that exist in C, with a prototype', () => {
    const source = readFileSync('templates/c/kernels/eenn_activation_f32.c', 'utf8');
    const header = readFileSync('templates/c/kernels/eenn_kernels_f32.h', 'utf8');
    const names = supportedOps().flatMap((def) => (typeof def.unaryKernel?.fn === 'string' ? [def.unaryKernel.fn] : []));
    expect(names.length).toBeGreaterThan(30);
    for (const fn of names) {
      expect(source, fn).toMatch(new RegExp(`^void ${fn}\\(`, 'm'));
      expect(header, fn).toMatch(new RegExp(`^void ${fn}\\(`, 'm'));
    }
  });

  it('declares a default for every float parameter its kernel takes', () => {
    for (const def of supportedOps()) {
      for (const name of def.unaryKernel?.params ?? []) expect(typeof def.attributes?.[name], `${def.op}.${name}`).toBe('number');
    }
  });
});
