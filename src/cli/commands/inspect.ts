// `eennc inspect MODEL.onnx`: operators, shapes, parameters, MACs and unsupported operators of a model.
// A table on stdout, or one JSON document with --json.

import type { Command } from 'commander';
import { parseInputShapes } from '../../frontend/input-shapes.js';
import { collectInputShape } from '../options.js';

export function register(program: Command): void {
  program
    .command('inspect')
    .description('list operators, shapes, parameters, MACs and unsupported operators of an ONNX model')
    .argument('<model>', 'the ONNX model (.onnx)')
    .option('--json', 'print one JSON document on stdout')
    .option('--input-shape <name=AxB>', 'shape of an input with dynamic dimensions, e.g. input=1x1x28x28 (repeatable)', collectInputShape, [])
    .action(async (model: string, options: { json?: boolean; inputShape: string[] }) => {
      const { formatInspect, inspectModel } = await import('../../frontend/inspect.js');
      const report = inspectModel(model, { inputShapes: parseInputShapes(options.inputShape) });
      process.stdout.write(options.json ? JSON.stringify(report, null, 2) + '\n' : formatInspect(report) + '\n');
    });
}
