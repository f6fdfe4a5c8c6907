// inspectModel / formatInspect and the `eennc inspect` command: every PyTorch-exported model of the ONNX test
// data is inspected without a crash, unsupported operators are listed with their nodes, and the CLI works end to end.

import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EennError } from '../../src/ir/diagnostics.js';
import { formatInspect, inspectModel, type InspectReport } from '../../src/frontend/inspect.js';
import { parseInputShapes } from '../../src/frontend/input-shapes.js';
import { buildGraph, randomFloats, writeScratch } from './build-graph.js';

const PYTORCH = '/usr/share/libonnx-testdata/data/pytorch-converted';

describe('inspectModel', () => {
  it('reports shapes, parameters and MACs after folding BatchNorm into Conv', () => {
    const path = writeScratch(
      'inspect-cnn.onnx',
      buildGraph({
        inputs: { x: ['float32', [1, 3, 8, 8]] },
        constants: {
          w: ['float32', [4, 3, 3, 3], randomFloats(108)],
          gamma: ['float32', [4], [1, 1, 1, 1]],
          beta: ['float32', [4], [0, 0, 0, 0]],
          mean: ['float32', [4], [0, 0, 0, 0]],
          var: ['float32', [4], [1, 1, 1, 1]],
        },
        nodes: [
          ['Conv', ['x', 'w'], ['c'], {}, 'conv'],
          ['BatchNormalization', ['c', 'gamma', 'beta', 'mean', 'var'], ['bn'], {}, 'bn'],
          ['Relu', ['bn'], ['y'], {}, 'relu'],
        ],
        outputs: ['y'],
      }),
    );
    const report = inspectModel(path);
    expect(report.nodes.map((n) => [n.name, n.op])).toEqual([
      ['conv', 'Conv'],
      ['relu', 'Relu'],
    ]);
    expect(report.nodes[0]!.outputs[0]!.shape).toEqual([1, 4, 6, 6]);
    expect(report.nodes[0]!.parameters).toBe(108 + 4); // weights + the bias that folding added
    expect(report.nodes[0]!.macs).toBe(4 * 6 * 6 * 3 * 3 * 3);
    expect(report.totals).toMatchObject({ nodes: 2, importedNodes: 3, parameters: 112, parameterBytes: 448 });
    expect(report.unsupported).toEqual([]);
    const text = formatInspect(report);
    expect(text).toMatch(/conv\s+Conv\s+\[1, 4, 6, 6\]\s+112\s+3,888/);
    expect(text).toContain('unsupported: none');
  });

  it('lists unsupported operators with their nodes instead of throwing', () => {
    const path = writeScratch(
      'inspect-unsupported.onnx',
      buildGraph({
        inputs: { x: ['float32', [2, 3]] },
        nodes: [
          ['Relu', ['x'], ['a'], {}, 'relu'],
          ['NonZero', ['a'], ['nz'], {}, 'nonzero'],
          ['Cast', ['nz'], ['y'], { to: 1 }, 'cast'],
        ],
        outputs: ['y'],
      }),
    );
    const report = inspectModel(path);
    expect(report.unsupported).toEqual([{ node: 'nonzero', op: 'NonZero', reason: expect.stringContaining('not supported') }]);
    expect(report.nodes.map((n) => [n.name, n.supported, n.outputs[0]!.shape])).toEqual([
      ['relu', true, [2, 3]],
      ['nonzero', false, null],
      ['cast', true, null],
    ]);
    expect(formatInspect(report)).toMatch(/node "nonzero" \(NonZero\)/);
  });

  it('takes --input-shape for dynamic dimensions', () => {
    const path = writeScratch(
      'inspect-dynamic.onnx',
      buildGraph({
        inputs: { x: ['float32', [-1, 3, -1]] },
        nodes: [['Relu', ['x'], ['y'], {}, 'relu']],
        outputs: ['y'],
      }),
    );
    expect(inspectModel(path, { inputShapes: parseInputShapes(['x=2x3x5']) }).outputs[0]!.shape).toEqual([2, 3, 5]);
    expect(() => inspectModel(path)).toThrow(expect.objectContaining({ code: 'E_SHAPE', hint: expect.stringContaining('--input-shape x=Nx3xN') }));
  });

  it('inspects every PyTorch-exported model of the ONNX test data', () => {
    const names = readdirSync(PYTORCH).sort();
    expect(names.length).toBeGreaterThan(50);
    const reports: InspectReport[] = names.map((name) => inspectModel(join(PYTORCH, name, 'model.onnx')));
    for (const report of reports) {
      expect(report.inputs.length).toBeGreaterThan(0);
      expect(formatInspect(report)).toContain(report.model);
      for (const node of report.nodes) expect(node.supported).toBe(!report.unsupported.some((u) => u.node === node.name));
    }
    // Every node is accounted for: supported ones have shapes, unsupported ones are listed.
    const withShapes = reports.filter((r) => r.unsupported.length === 0);
    for (const r of withShapes) for (const n of r.nodes) for (const o of n.outputs) expect(o.shape).not.toBeNull();
  });

  it('fails with an EennError naming the file for something that is not a model', () => {
    const path = writeScratch('inspect-text.onnx', new TextEncoder().encode('a text file\n'));
    expect(() => inspectModel(path)).toThrow(EennError);
    try {
      inspectModel(path);
    } catch (err) {
      expect([(err as EennError).code, (err as EennError).file]).toEqual(['E_PARSE', path]);
    }
  });
});

describe('eennc inspect', () => {
  it('prints one JSON document on stdout', () => {
    const model = join(PYTORCH, 'test_Conv2d', 'model.onnx');
    const stdout = execFileSync('node', ['bin/eennc.js', 'inspect', model, '--json'], { encoding: 'utf8' });
    const report = JSON.parse(stdout) as InspectReport;
    expect(report.model).toBe(model);
    expect(report.nodes.map((n) => n.op)).toEqual(['Conv']);
    expect(report.totals.macs).toBeGreaterThan(0);
  });

  it('exits non-zero with "error: <file>: ..." on a bad model', () => {
    const path = writeScratch('cli-bad.onnx', new TextEncoder().encode('not a model'));
    const result = spawnSync('node', ['bin/eennc.js', 'inspect', path], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`error: ${path}: `);
    expect(result.stdout).toBe('');
  });
});
