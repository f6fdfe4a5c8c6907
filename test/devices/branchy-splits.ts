// Test helper: the Fashion-MNIST exits example compiled in float32 for cortex-m4 (not linked) and its graph split at
// every cut, for the tests of each side's memory and of the fit errors.

import { compileModel, type CompileResult } from '../../src/compile.js';
import { enumerateCuts } from '../../src/devices/cuts.js';
import { splitGraph } from '../../src/devices/split-graph.js';
import type { SplitGraphs } from '../../src/devices/types.js';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

export interface BranchySplits {
  whole: CompileResult;
  splits: SplitGraphs[];
}

/** Compile the example in a temporary folder (removed before returning) and split it at every cut. */
export async function branchySplits(): Promise<BranchySplits> {
  const dir = await makeTempDir('eenn-branchy-splits-');
  try {
    const whole = await compileModel({
      model: 'examples/fmnist_branchy/fmnist_branchy.onnx',
      target: 'cortex-m4',
      precision: 'float32',
      outDir: `${dir}/p`,
      link: false,
    });
    const steps = whole.plan.steps;
    return { whole, splits: enumerateCuts(whole.graph, steps).map((cut) => splitGraph(whole.graph, steps, cut)) };
  } finally {
    await removeTempDir(dir);
  }
}
