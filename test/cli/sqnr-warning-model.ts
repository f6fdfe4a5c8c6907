// A model that int8 ruins, written as an .onnx file with calibration data, for the tests of the build's SQNR
// warnings: x [1, 64] in [0, 1) -> Mul by gains from 1e-3 to 1e3 -> Relu -> Mul by their inverses -> y. The float
// model returns x; in int8 one scale spans each of those 1e-3..1e3 ranges, so the small gains, the small inverses
// and the middle tensor's small elements round to zero, and y collapses.

import { join } from 'node:path';
import { writeNpy } from '../../src/data/index.js';
import { saveModel } from '../../src/frontend/save.js';
import { buildGraph, randomFloats } from '../frontend/build-graph.js';

/** Elements of the model's one input (and output). */
const WIDTH = 64;
/** The gains span 10^-DECADES .. 10^DECADES. */
const DECADES = 3;

/** Writes ruined.onnx and calib.npy (`count` samples in [0, 1)) into `dir`. */
export function writeRuinedModel(dir: string, count = 16): { model: string; calib: string } {
  const gains = Float32Array.from({ length: WIDTH }, (_, i) => 10 ** (-DECADES + (2 * DECADES * i) / (WIDTH - 1)));
  const model = join(dir, 'ruined.onnx');
  saveModel(
    buildGraph({
      inputs: { x: ['float32', [1, WIDTH]] },
      constants: { gain: ['float32', [1, WIDTH], gains], inverse: ['float32', [1, WIDTH], gains.map((g) => 1 / g)] },
      nodes: [
        ['Mul', ['x', 'gain'], ['spread'], {}, 'spread_mul'],
        ['Relu', ['spread'], ['spread_relu'], {}, 'relu'],
        ['Mul', ['spread_relu', 'inverse'], ['y'], {}, 'back_mul'],
      ],
      outputs: ['y'],
    }),
    model,
  );
  const data = new Float32Array(count * WIDTH);
  for (let i = 0; i < count; i++)
    data.set(
      randomFloats(WIDTH, 200 + i).map((v) => Math.abs(v)),
      i * WIDTH,
    );
  const calib = join(dir, 'calib.npy');
  writeNpy(calib, [count, WIDTH], data);
  return { model, calib };
}
