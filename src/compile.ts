// The pipeline, top to bottom: ONNX in, a buildable C project (and its firmware image) out.
// import (frontend) -> plan memory (partition) -> emit model and firmware (codegen) -> fit check -> build (toolchain).
// A library: the CLI, the benchmarks and the tests all call compileModel().

import { writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { importModel } from './frontend/index.js';
import type { Graph } from './ir/graph.js';
import { sizeOf } from './ir/graph.js';
import { EennError } from './ir/diagnostics.js';
import { lookupOp } from './ops/registry.js';
import { planMemory, tensorBytes, type MemoryPlan } from './partition/memory-plan.js';
import { emitModel } from './codegen/emit-model.js';
import { renderFirmware } from './codegen/firmware.js';
import { loadTarget, type Target } from './target.js';
import { buildFirmware, type FirmwareImage } from './toolchain/index.js';
import { renderReportHtml, type BuildReport, type LayerReport } from './report/build-report.js';
import { writeDirAtomically } from './util/atomic-dir.js';

export type Precision = 'int8' | 'float32';

export interface CompileOptions {
  /** Path of the ONNX model. */
  model: string;
  /** Target name (targets/<name>.json) or path of a target file. */
  target: string;
  precision: Precision;
  /** Output folder of the C project; written atomically. */
  outDir: string;
  inputShapes?: Record<string, number[]>;
  /** Compile and link the firmware image after writing the project (needs the toolchain). Default true. */
  link?: boolean;
  /** Optimisation flag for the firmware build (Makefile OPT), default -O2. */
  optimization?: string;
}

export interface CompileResult {
  graph: Graph;
  target: Target;
  plan: MemoryPlan;
  report: BuildReport;
  outDir: string;
  /** The linked image, when `link` was set. */
  image?: FirmwareImage;
  inputBytes: number[];
  outputBytes: number[];
}

/** Code and runtime the firmware needs besides the weights, for the fit check before linking. */
const CODE_ALLOWANCE_BYTES = 16 * 1024;

/** The model's name: its file name without extension, as a C-friendly identifier. */
export function modelNameOf(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, '_');
  return stem.length > 0 ? stem : 'model';
}

export async function compileModel(options: CompileOptions): Promise<CompileResult> {
  const target = loadTarget(options.target);
  if (options.precision === 'int8') {
    throw new EennError({
      code: 'E_UNSUPPORTED', file: options.model,
      message: 'int8 code generation is not available yet in this version',
      hint: 'build with --precision float32',
    });
  }
  const modelName = modelNameOf(options.model);
  const { graph, notes } = importModel(options.model, { inputShapes: options.inputShapes });
  const plan = planMemory(graph);
  const emitted = withFile(options.model, () => emitModel(graph, plan, { modelName, precision: 'float32' }));
  const inputBytes = graph.inputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const outputBytes = graph.outputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const firmware = renderFirmware(target, {
    modelName,
    kernelSources: emitted.kernelSources,
    inputBytes,
    outputBytes,
    optimization: options.optimization,
  });

  const report = buildReport(graph, plan, target, options.precision, modelName, notes, emitted.weightBytes, emitted.macs);
  checkFit(report, target, options.model, false);

  const files = new Map<string, string | Uint8Array>([...emitted.files, ...firmware]);
  let image: FirmwareImage | undefined;
  await writeDirAtomically(options.outDir, files, async (tempDir) => {
    if (options.link ?? true) {
      const built = await buildFirmware(tempDir, target, { optimization: options.optimization });
      report.memory.flash_bytes = built.flash_bytes;
      report.memory.ram_bytes = built.ram_bytes + built.stack_reserved_bytes;
      report.memory.stack_bytes = built.stack_reserved_bytes;
      report.memory.measured = true;
      checkFit(report, target, options.model, true);
      image = { ...built, elfPath: join(options.outDir, basename(built.elfPath)) };
    }
    await writeFile(join(tempDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(join(tempDir, 'report.html'), renderReportHtml(report));
  }).catch((err: unknown) => {
    throw err instanceof EennError ? err.withFile(options.model) : err;
  });
  return { graph, target, plan, report, outDir: options.outDir, image, inputBytes, outputBytes };
}

function withFile<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof EennError ? err.withFile(file) : err;
  }
}

function buildReport(
  graph: Graph, plan: MemoryPlan, target: Target, precision: Precision, model: string,
  notes: string[], weightBytes: number, macs: number,
): BuildReport {
  const layers: LayerReport[] = graph.nodes.map((node) => {
    const def = lookupOp(node.op, node.domain);
    const inputs = node.inputs.map((name) => (name ? graph.tensors.get(name) : undefined));
    const outputs = node.outputs.map((name) => graph.tensors.get(name)!);
    const params = inputs.reduce((n, t) => n + (t?.data && t.dtype !== 'int64' ? sizeOf(t.shape) : 0), 0);
    return {
      node: node.name,
      op: node.op,
      output_shape: outputs[0]?.shape ?? [],
      macs: def?.macs ? def.macs(node, inputs, outputs) : 0,
      params,
    };
  });
  const stack = target.stackBytes;
  return {
    model,
    target: target.name,
    precision,
    macs,
    params: layers.reduce((n, l) => n + l.params, 0),
    memory: {
      flash_bytes: weightBytes + CODE_ALLOWANCE_BYTES,
      ram_bytes: plan.arenaBytes + stack,
      arena_bytes: plan.arenaBytes,
      stack_bytes: stack,
      weights_bytes: weightBytes,
      unplanned_activation_bytes: plan.naiveBytes,
      measured: false,
    },
    limits: { flash_bytes: target.limits.flashBytes, ram_bytes: target.limits.ramBytes },
    layers,
    arena: plan.buffers
      .filter((b) => b.storage.kind === 'arena')
      .map((b) => ({
        tensor: b.tensors.join(' = '),
        offset: b.storage.kind === 'arena' ? b.storage.offset : 0,
        bytes: b.bytes,
        first: b.firstStep,
        last: b.lastStep,
      })),
    notes,
  };
}

/** A model that does not fit fails here with the numbers, not in the linker. */
function checkFit(report: BuildReport, target: Target, file: string, measured: boolean): void {
  const { flash_bytes: flash, ram_bytes: ram } = report.memory;
  const how = measured ? 'needs' : 'needs at least';
  const problems: string[] = [];
  if (target.limits.flashBytes !== null && flash > target.limits.flashBytes) {
    problems.push(`flash: ${how} ${flash} bytes (weights ${report.memory.weights_bytes}), ${target.name} has ${target.limits.flashBytes}`);
  }
  if (target.limits.ramBytes !== null && ram > target.limits.ramBytes) {
    problems.push(`RAM: ${how} ${ram} bytes (arena ${report.memory.arena_bytes} + stack ${report.memory.stack_bytes}), ${target.name} has ${target.limits.ramBytes}`);
  }
  if (problems.length > 0) {
    throw new EennError({
      code: 'E_TARGET', file,
      message: `the model does not fit ${target.name}`,
      details: problems,
      hint: 'choose a target with more memory (eennc targets), or quantize with --precision int8',
    });
  }
}
