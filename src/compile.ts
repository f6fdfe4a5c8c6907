// The pipeline, top to bottom: ONNX in, a buildable C project (and its firmware image) out.
// import (frontend) -> schedule and plan memory (schedule) -> emit model and firmware (codegen) -> fit check -> build (toolchain).
// A library: the CLI, the benchmarks and the tests all call compileModel().

import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { importModel } from './frontend/index.js';
import { joinPipeline, pipelineOutput, thenInputShapes, type PipelineFiles } from './frontend/pipeline.js';
import { hasOwnQuantization, importQdq } from './quantize/import-qdq.js';
import { integerIoError, type IntegerIo } from './quantize/qdq/integer-io.js';
import type { RewriteOptions } from './quantize/qdq/rewrite.js';
import { sizeOf, type Graph } from './ir/graph.js';
import { EennError, inFile } from './ir/diagnostics.js';
import { arenaBudgetBytes, arenaPlanOptions, DEFAULT_ARENA_POLICY, type ArenaPolicy } from './schedule/arena-budget.js';
import { planMemory, tensorBytes, type MemoryPlan } from './schedule/memory-plan.js';
import { emitModel } from './codegen/emit-model.js';
import { nodeMacs } from './ops/macs.js';
import { firmwareBufferBytes, makefileOutputs, renderFirmware, type DeviceFirmware } from './codegen/firmware.js';
import { loadTarget, type Target } from './target/target.js';
import { checkOptimization } from './target/arguments.js';
import { buildFirmware, findProgram, type FirmwareImage } from './toolchain/index.js';
import { renderReportHtml, type BuildReport, type IoReport, type LayerReport } from './report/build-report.js';
import { writeDirAtomically } from './util/atomic-dir.js';
import { inputsOf, parseInputFile, readModelInputs, readSamples, type InputSample } from './data/index.js';
import { DEFAULT_PERCENTILE, type CalibrationMethod } from './quantize/calibrate.js';
import { quantizeGraph } from './quantize/quantize-graph.js';
import { resolveTechniques, type QuantTechniques } from './quantize/techniques.js';
import { postTrainingQuantize } from './post-training.js';
import { noOverrides, type QuantOverrides } from './quantize/overrides.js';
import { attachExits, resolveExits, type ExitOptions } from './exits/index.js';
import { makeTempDir } from './util/temp-dirs.js';
import { finalOutput } from './exit-reference.js';
import type { IntermittentOptions, TaskPlan } from './intermittent/index.js';
import { buildIntermittent } from './intermittent-build.js';
import type { IntermittentSizes } from './codegen/intermittent.js';
import { encodeInput } from './io-codec.js';
import { planDevices, type DevicesPlan } from './devices-build.js';
import { devicesReport, type DeviceOptions, type ProjectSizer } from './devices/index.js';
import { exitsTaken, exitTableOf, measureExitInstructions, type ExitInstructions, type ImageInFolder } from './measure-exits.js';
import { addStepErrors, measureProfile, stepReports } from './profile-steps.js';
import { lowSqnrWarnings } from './sqnr-warnings.js';
import type { ProgressListener } from './util/progress.js';

export type Precision = 'int8' | 'float32';

export interface CompileOptions {
  /** Path of the ONNX model. */
  model: string;
  /** Target name (targets/<name>.json) or path of a target file. */
  target: string;
  precision: Precision;
  /** Output folder of the C project; written atomically, only where src/util/output-dir.ts allows. */
  outDir: string;
  /** Replace an output folder that is not an earlier eennc output (never a file, the model's or the current folder). */
  force?: boolean;
  inputShapes?: Record<string, number[]>;
  /** Compile and link the firmware image after writing the project (needs the toolchain). Default true. */
  link?: boolean;
  /** Optimisation flag for the firmware build (Makefile OPT), default -O2. */
  optimization?: string;
  /** int8: where the activation ranges come from. Required unless the model carries its own quantization. */
  calibration?: CalibrationSource;
  /** int8: the model's inputs and outputs are int8 (default) or float32 (quantized in the generated code). */
  io?: 'int8' | 'float32';
  /** How much arena the planner may spend on speed (src/schedule/arena-budget.ts); default 'tflm'. */
  arena?: ArenaPolicy;
  /** Progress of long work: lines, and calibration's counted samples (src/util/progress.ts); default: none. */
  onProgress?: ProgressListener;
  /** Early exits (--exits, --exit-threshold, --exit-policy, --no-exits); default: what the model states or shows. */
  exits?: ExitOptions;
  /**
   * A model with exits, linked for an emulated target: measure each exit's cumulative instructions for the report's
   * exit table (one more run, and a build with --no-exits to compare with). Default false.
   */
  measureExits?: boolean;
  /**
   * Intermittent execution (--intermittent with --budget or --budget-uj): the schedule is split into tasks that each
   * fit one power-on window, measured on the target's emulator (src/intermittent-build.ts). Default: a plain build.
   */
  intermittent?: IntermittentOptions;
  /**
   * A multi-device build (--devices, --link, --objective, --cut): the model is split at one cut of its schedule
   * between a node and a gateway, one C project each (src/devices-build.ts). Default: one device, `target`.
   */
  devices?: DeviceOptions;
  /**
   * A pipeline (--then B.onnx): this second model runs on the first one's output, joined into one graph before
   * quantization (src/frontend/pipeline.ts), so that calibration flows through both and one arena serves both.
   */
  then?: string;
  /**
   * Measure each step's instructions on the target's emulator once linked, into the report (build --profile, eennc
   * profile): on the samples of `path` (the first `count`, times `scale`), else the first calibration sample, else
   * an input of zeros. Default false.
   */
  profile?: boolean | ProfileInput;
}

/** The samples a profile runs (a data file as --input reads it). */
export interface ProfileInput {
  path: string;
  count?: number;
  scale?: number;
}

/** Calibration samples over which the report measures each step's int8 error (the references keep every tensor). */
const REPORT_SQNR_SAMPLES = 8;

export interface CalibrationSource {
  /** Data file (.npy, .bin, IDX); with `files`, the first one's path. */
  path: string;
  /**
   * The data files as --calib gave them: `name=file` or `file`, one per model input (in the model's input order where
   * unnamed); absent: `path` feeds the model's one input.
   */
  files?: string[];
  /** Use at most this many samples. */
  count?: number;
  /** Multiply every value by this (uint8 pixels: 1/255). */
  scale?: number;
  method: CalibrationMethod;
  /** percentile method: the share of values kept (default 99.99). */
  percentile?: number;
  /** Post-training techniques (src/quantize/techniques.ts); the unset ones take DEFAULT_TECHNIQUES. */
  techniques?: Partial<QuantTechniques>;
}

export interface CompileResult {
  /** The graph that was compiled: the quantized graph for int8 (src/ir/int8.ts), else the float graph. */
  graph: Graph;
  /** The float graph after import (the float reference runs it). */
  floatGraph: Graph;
  target: Target;
  plan: MemoryPlan;
  report: BuildReport;
  outDir: string;
  /** The linked image, when `link` was set. */
  image?: FirmwareImage;
  inputBytes: number[];
  outputBytes: number[];
  /** The output that answers when no early exit is taken: the final exit's (also with --no-exits), else the first. */
  finalOutput: string;
  /** A multi-device build: the chosen split and each device's project (`outDir`/<device name>/). */
  devices?: DevicesResult;
}

/** One device's part of a multi-device build. */
export interface DeviceBuild {
  name: string;
  role: 'node' | 'gateway';
  target: Target;
  /** The part of the model it runs; undefined for a node that only sends the input (the cut at position 0). */
  graph?: Graph;
  /** Its C project: `outDir`/<name>. */
  dir: string;
  /** The linked image, when `link` was set. */
  image?: FirmwareImage;
  /** Its model's output bytes, in model.h's order (the records of its output.bin). */
  outputBytes: number[];
  report: BuildReport;
}

/** What a multi-device build made. */
export interface DevicesResult {
  plan: DevicesPlan;
  /** The node first; no gateway when everything runs on the node. */
  sides: DeviceBuild[];
}

/** Code and runtime the firmware needs besides the weights, for the fit check before linking. */
const CODE_ALLOWANCE_BYTES = 16 * 1024;

/**
 * A project's size as this file's fit check estimates it, for the devices stage's estimate of each side of a cut
 * (src/devices/memory.ts: sideMemory): the weights model.c holds, the test firmware's buffers, the code allowance.
 */
export function projectSizer(precision: Precision): ProjectSizer {
  return {
    weightBytes: (graph, plan) => emitModel(graph, plan, { modelName: 'model', precision }).weightBytes,
    ioBufferBytes: firmwareBufferBytes,
    codeBytes: CODE_ALLOWANCE_BYTES,
  };
}

/** The model's name: its file name without extension, as a C-friendly identifier. */
export function modelNameOf(path: string): string {
  const stem = basename(path, extname(path)).replace(/[^A-Za-z0-9_.-]/g, '_');
  return stem.length > 0 ? stem : 'model';
}

export async function compileModel(options: CompileOptions): Promise<CompileResult> {
  const target = loadTarget(options.target);
  // --opt reaches the Makefile and the compiler: refused before any work when it is not plain flags.
  if (options.optimization !== undefined) checkOptimization(options.optimization);
  const modelName = modelNameOf(options.model);
  const imported =
    options.precision === 'float32'
      ? importForFloat32(options.model, options.inputShapes, options.then)
      : importWithOwnQuantization(options.model, options.inputShapes, options.then);
  const { notes, overrides } = imported;
  // The QDQ import holds integer inputs and outputs as float32: an int8 build quantizes them again, a float32 one cannot.
  const integerInputOrOutput = imported.integerIo[0];
  if (options.precision === 'float32' && integerInputOrOutput) throw integerIoError(integerInputOrOutput).withFile(options.model);
  const exits = inFile(options.model, () => resolveExits(imported.graph, options.exits ?? {}, notes));
  const floatGraph = exits ? attachExits(imported.graph, exits) : imported.graph;
  const quantized =
    options.precision === 'int8'
      ? await quantizeModelWithReference(imported.graph, { ...options, overrides }, notes).catch((err: unknown) => {
          throw err instanceof EennError ? err.withFile(options.model) : err;
        })
      : { graph: imported.graph, floatGraph: imported.graph };
  const compiled = quantized.graph;
  const graph = exits ? inFile(options.model, () => attachExits(compiled, exits)) : compiled;
  if (options.devices) return compileDevices(graph, floatGraph, options, options.devices, modelName, notes);
  const project = options.intermittent
    ? await intermittentProject(graph, target, options, options.intermittent, modelName, notes)
    : emitProject(graph, target, options, modelName, notes);
  const { plan, report, inputBytes, outputBytes } = project;
  if (options.precision === 'int8' && options.calibration && graph.inputs.length === 1 && report.steps) {
    const count = Math.min(options.calibration.count ?? REPORT_SQNR_SAMPLES, REPORT_SQNR_SAMPLES);
    const samples = readCalibrationSamples(graph, { ...options.calibration, count });
    // Each step's error against the float graph it was quantized from (equalized tensors carry their own names).
    const reference = exits ? attachExits(quantized.floatGraph, exits) : quantized.floatGraph;
    addStepErrors(reference, graph, samples, report.steps, plan);
    report.sqnr_samples = samples.length;
    const warnings = lowSqnrWarnings(report.steps, plan, samples.length);
    if (warnings.length > 0) report.warnings = warnings;
  }

  let image: FirmwareImage | undefined;
  let projectDir = '';
  const finish = async (tempDir: string): Promise<void> => {
    projectDir = tempDir;
    if (options.link ?? true) {
      image = await linkProject(tempDir, options.outDir, project, target, options);
      if (options.profile && report.steps) report.profile = await profileBuild(graph, plan, target, options, modelName, report.steps);
    }
    if (graph.exits) {
      // The instructions behind the exit table: this image run past every exit, and the same model with --no-exits.
      const measure =
        image && options.measureExits
          ? { elfPath: join(tempDir, basename(image.elfPath)), withoutExits: () => buildWithoutExits(compiled, target, options, modelName) }
          : {};
      await reportExits(report, graph, target, options, measure);
    }
    await writeFile(join(tempDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(join(tempDir, 'report.html'), renderReportHtml(report));
  };
  const keep = [
    options.model,
    ...(options.then ? [options.then] : []),
    ...(options.calibration ? (options.calibration.files ?? [options.calibration.path]).map((arg) => parseInputFile(arg).path) : []),
  ];
  const writeOptions = { force: options.force, keep, makeOutputs: makefileOutputs(modelName), finish };
  await writeDirAtomically(options.outDir, project.files, writeOptions).catch((err: unknown) => {
    throw err instanceof EennError ? outsideProject(err, projectDir, options, target).withFile(options.model) : err;
  });
  const final = finalOutput(floatGraph, options.exits);
  return { graph, floatGraph, target, plan, report, outDir: options.outDir, image, inputBytes, outputBytes, finalOutput: final };
}

/** A C project before it is written: its files, memory plan and report, and the sizes of its inputs and outputs. */
interface Project {
  files: Map<string, string | Uint8Array>;
  plan: MemoryPlan;
  report: BuildReport;
  inputBytes: number[];
  outputBytes: number[];
  /** The test firmware's input and output buffers (main.c), counted in the fit check before linking. */
  ioBufferBytes: number;
  /** An intermittent build: the sizes of the state it keeps (its NVM layout). */
  state: IntermittentSizes;
}

/** An intermittent build's plan and its split into tasks (src/intermittent-build.ts chooses them). */
interface SplitPlan {
  plan: MemoryPlan;
  tasks: TaskPlan;
}

/**
 * Plan the memory of `graph` (or take the plan and tasks of an intermittent build: `split`), emit the model and its
 * firmware, and check that it fits the target (before linking).
 */
function emitProject(
  graph: Graph,
  target: Target,
  options: CompileOptions,
  modelName: string,
  notes: string[],
  split?: SplitPlan,
  device?: DeviceFirmware,
): Project {
  const policy = options.arena ?? DEFAULT_ARENA_POLICY;
  const plan = split?.plan ?? planMemory(graph, arenaPlanOptions(graph, target, policy));
  if (split) {
    // The intermittent loop planned for its own arena room (NVM or SRAM beside the state); its notes say so.
  } else if (typeof policy === 'number' && plan.arenaBytes > policy) {
    notes.push(`--arena ${policy} is below the smallest arena this model can have: the plan needs ${plan.arenaBytes} bytes`);
  } else if (plan.smallestArenaBytes !== undefined && plan.smallestArenaBytes < plan.arenaBytes) {
    notes.push(
      `the arena is ${plan.arenaBytes} bytes, the fastest plan within --arena ${policy}; ` +
        `--arena min needs ${plan.smallestArenaBytes} bytes (some layers slower)`,
    );
  } else if (options.precision === 'float32' && policy !== DEFAULT_ARENA_POLICY) {
    // The float32 plan has no variants that trade memory for speed (plan-search.ts spends a budget on int8 steps only).
    notes.push(
      `--arena ${policy} changes nothing in a float32 build: its one memory plan is already the smallest ` +
        `arena the planner reaches (${plan.arenaBytes} bytes), with no faster variant to spend more on`,
    );
  }
  const emitOptions = { modelName, precision: options.precision, ...(split ? { intermittent: { tasks: split.tasks } } : {}) };
  const emitted = inFile(options.model, () => emitModel(graph, plan, emitOptions));
  const inputBytes = graph.inputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const outputBytes = graph.outputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const firmware = renderFirmware(target, {
    modelName,
    kernelSources: emitted.kernelSources,
    inputBytes,
    outputBytes,
    optimization: options.optimization,
    exits: emitted.exits,
    ...(split ? { intermittent: { nvm: split.tasks.nvm } } : {}),
    ...(device ? { device } : {}),
  });

  const report = buildReport(graph, plan, target, options.precision, modelName, notes, emitted.weightBytes);
  const ioBufferBytes = firmwareBufferBytes(inputBytes, outputBytes);
  const state = emitted.intermittent ?? NO_STATE;
  // An intermittent build keeps its state (arena included) in NVM, or in SRAM for hooks: what stays in SRAM counts.
  if (split) report.memory.ram_bytes = state.sramBytes + target.stackBytes;
  checkFit(report, target, options.model, ioBufferBytes, false);
  return { files: new Map([...emitted.files, ...firmware]), plan, report, inputBytes, outputBytes, ioBufferBytes, state };
}

/** Calibration samples the multi-device build measures each step's cost on (the costs barely depend on the data). */
const DEVICE_MEASURED_SAMPLES = 4;

/**
 * A multi-device build: choose the cut (src/devices-build.ts), emit one project per device into `outDir`/<name>/
 * (each builds alone with make), link each, and write the report with the cut table at the top of `outDir`.
 */
async function compileDevices(
  graph: Graph,
  floatGraph: Graph,
  options: CompileOptions,
  devices: DeviceOptions,
  modelName: string,
  notes: string[],
): Promise<CompileResult> {
  const [node, gateway] = devices.devices as [DeviceOptions['devices'][0], DeviceOptions['devices'][0]];
  const single = graph.inputs.length === 1;
  const samples = options.calibration && single ? readCalibrationSamples(graph, options.calibration) : [];
  const measured = samples.slice(0, DEVICE_MEASURED_SAMPLES).map((sample) => encodeInput(graph.tensors.get(graph.inputs[0]!)!, sample).bytes);
  const sampleBytes = measured.length > 0 ? concatBytes(measured) : measuringSample(graph, options);
  const taken = graph.exits && samples.length > 0 ? exitsTaken(graph, samples).taken : [];
  const policy = options.arena ?? DEFAULT_ARENA_POLICY;
  const plan = await planDevices({
    graph,
    precision: options.precision,
    devices,
    model: options.model,
    modelName,
    optimization: options.optimization,
    planFor: (part, target) => arenaPlanOptions(part, target, policy),
    policy,
    sizer: projectSizer(options.precision),
    samples: { bytes: sampleBytes, count: Math.max(1, measured.length) },
    taken,
    onProgress: options.onProgress,
    notes,
  });
  const { split, chosen } = plan;
  const cutBytes = chosen.cut.payloadBytes;
  const nodeExits = chosen.cut.nodeExits.length;
  const parts: { device: DeviceOptions['devices'][0]; role: 'node' | 'gateway'; graph?: Graph; project: Project }[] = [];
  const link = { modelHash: plan.hash, cutTensor: chosen.cut.tensor ?? '', payloadBytes: cutBytes, baud: devices.link.baud };
  const nodeFirmware: DeviceFirmware = { role: 'node', ...link, nodeExits, ...(split.node ? {} : { noModel: true }) };
  parts.push({
    device: node,
    role: 'node',
    graph: split.node,
    // All on the node: nothing to send, its project is the single-device one (main.c).
    project: !split.node
      ? forwardingProject(graph, node.target, options, modelName, nodeFirmware)
      : split.gateway
        ? emitProject(split.node, node.target, options, modelName, notes, undefined, nodeFirmware)
        : emitProject(split.node, node.target, options, modelName, notes),
  });
  if (split.gateway) {
    const gatewayFirmware: DeviceFirmware = { role: 'gateway', ...link, nodeExits: 0 };
    parts.push({
      device: gateway,
      role: 'gateway',
      graph: split.gateway,
      project: emitProject(split.gateway, gateway.target, options, modelName, notes, undefined, gatewayFirmware),
    });
  }
  const files = new Map<string, string | Uint8Array>();
  for (const part of parts) for (const [path, content] of part.project.files) files.set(`${part.device.name}/${path}`, content);
  const weightBytes = parts.reduce((sum, part) => sum + part.project.report.memory.weights_bytes, 0);
  const report = buildReport(graph, plan.plan, node.target, options.precision, modelName, notes, weightBytes);
  report.target = devices.devices.map((device) => `${device.name}=${device.target.name}`).join(',');
  const sides: DeviceBuild[] = parts.map((part) => ({
    name: part.device.name,
    role: part.role,
    target: part.device.target,
    ...(part.graph ? { graph: part.graph } : {}),
    dir: join(options.outDir, part.device.name),
    outputBytes: part.project.outputBytes,
    report: part.project.report,
  }));
  const finish = async (tempDir: string): Promise<void> => {
    for (const [index, part] of parts.entries()) {
      const side = sides[index]!;
      const dir = join(tempDir, part.device.name);
      if (options.link ?? true) side.image = await linkProject(dir, side.dir, part.project, part.device.target, options);
      await writeFile(join(dir, 'report.json'), JSON.stringify(part.project.report, null, 2) + '\n');
      await writeFile(join(dir, 'report.html'), renderReportHtml(part.project.report));
    }
    report.memory = { ...sides[0]!.report.memory };
    report.devices = devicesReport(devices, plan.evaluations, chosen);
    await writeFile(join(tempDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
    await writeFile(join(tempDir, 'report.html'), renderReportHtml(report));
  };
  const keep = [
    options.model,
    ...(options.then ? [options.then] : []),
    ...(options.calibration ? (options.calibration.files ?? [options.calibration.path]).map((arg) => parseInputFile(arg).path) : []),
  ];
  const makeOutputs = parts.flatMap((part) => makefileOutputs(modelName).map((output) => `${part.device.name}/${output}`));
  await writeDirAtomically(options.outDir, files, { force: options.force, keep, makeOutputs, finish }).catch((err: unknown) => {
    throw err instanceof EennError ? err.withFile(options.model) : err;
  });
  const final = finalOutput(floatGraph, options.exits);
  const inputBytes = graph.inputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const outputBytes = graph.outputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  return {
    graph,
    floatGraph,
    target: node.target,
    plan: plan.plan,
    report,
    outDir: options.outDir,
    inputBytes,
    outputBytes,
    finalOutput: final,
    devices: { plan, sides },
  };
}

/**
 * Compile and link the project written in `dir` (its final place: `finalDir`), record the measured flash and RAM in
 * its report and check that they fit `target`; the image's path is given in `finalDir`.
 */
async function linkProject(dir: string, finalDir: string, project: Project, target: Target, options: CompileOptions): Promise<FirmwareImage> {
  const built = await buildFirmware(dir, target, { optimization: options.optimization });
  const { report } = project;
  report.memory.flash_bytes = built.flash_bytes;
  report.memory.ram_bytes = built.ram_bytes + built.stack_reserved_bytes;
  report.memory.stack_bytes = built.stack_reserved_bytes;
  report.memory.measured = true;
  if (report.intermittent) report.intermittent.memory.sram_bytes = report.memory.ram_bytes;
  checkFit(report, target, options.model, project.ioBufferBytes, true);
  return { ...built, elfPath: join(finalDir, basename(built.elfPath)) };
}

/** The node's project where the cut is at the model input: no model, a firmware that frames and sends each input. */
function forwardingProject(graph: Graph, target: Target, options: CompileOptions, modelName: string, device: DeviceFirmware): Project {
  const inputBytes = graph.inputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  const files = renderFirmware(target, {
    modelName,
    kernelSources: [],
    modelSources: [],
    inputBytes,
    outputBytes: [],
    optimization: options.optimization,
    device,
  });
  // No steps: the input is the only output, and no exit is decided here (the gateway decides them all).
  const { exits: _exits, ...whole } = graph;
  const empty: Graph = { ...whole, nodes: [], outputs: [...graph.inputs] };
  const plan = planMemory(empty, {});
  const report = buildReport(empty, plan, target, options.precision, modelName, [], 0);
  return { files: new Map(files), plan, report, inputBytes, outputBytes: [], ioBufferBytes: firmwareBufferBytes(inputBytes, []), state: NO_STATE };
}

/** Byte arrays one after the other. */
function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}

/** The state of a plain build: none. */
const NO_STATE: IntermittentSizes = { stateBytes: 0, nvmBytes: 0, recordBytes: 0, inputsBytes: 0, outputsBytes: 0, arenaBytes: 0, sramBytes: 0 };

/**
 * An intermittent build's project: plan without fused bands, measure, split into tasks that fit the budget, and
 * verify (src/intermittent-build.ts); the report gets the tasks.
 */
async function intermittentProject(
  graph: Graph,
  target: Target,
  options: CompileOptions,
  intermittent: IntermittentOptions,
  modelName: string,
  notes: string[],
): Promise<Project> {
  const policy = options.arena ?? DEFAULT_ARENA_POLICY;
  const result = await buildIntermittent<Project>({
    graph,
    target,
    precision: options.precision,
    options: intermittent,
    model: options.model,
    optimization: options.optimization,
    sample: measuringSample(graph, options),
    onProgress: options.onProgress,
    planOptions: (arenaBytes) => {
      // The arena lives beside the state (in NVM, or in SRAM with hooks): by default the planner spends that room on
      // speed, so that the plan the steps are measured in and the plans of the split run the same kernels (a tight
      // budget would drop an im2col scratch where a task keeps more buffers live, and that convolution gets slower).
      if (policy === DEFAULT_ARENA_POLICY) return { arenaBudgetBytes: arenaBytes };
      const budget = arenaBudgetBytes(graph, target, policy);
      return budget === undefined ? { scratchlessConvs: true } : { arenaBudgetBytes: Math.min(budget, arenaBytes) };
    },
    emit: (plan, tasks) => emitProject(graph, target, options, modelName, notes, { plan, tasks }),
  });
  result.project.report.intermittent = result.report;
  if (result.report.out_of_place.length > 0) {
    notes.push(`intermittent: ${result.report.out_of_place.length} in-place steps run out of place, so that no task overwrites what it reads`);
  }
  return result.project;
}

/** The sample the intermittent build measures its costs on: the first calibration sample, else zeros. */
function measuringSample(graph: Graph, options: CompileOptions): Uint8Array {
  const bytes = graph.inputs.map((name) => tensorBytes(graph.tensors.get(name)!));
  if (graph.inputs.length === 1 && options.calibration) {
    const tensor = graph.tensors.get(graph.inputs[0]!)!;
    const first = readCalibrationSamples(graph, { ...options.calibration, count: 1 })[0];
    if (first) return encodeInput(tensor, first).bytes;
  }
  return new Uint8Array(bytes.reduce((a, b) => a + b, 0));
}

/** Measure each step of the build on the target's emulator (CompileOptions.profile says on which samples). */
async function profileBuild(
  graph: Graph,
  plan: MemoryPlan,
  target: Target,
  options: CompileOptions,
  modelName: string,
  steps: NonNullable<BuildReport['steps']>,
) {
  const input = typeof options.profile === 'object' ? options.profile : undefined;
  const source = input ?? (options.calibration && { ...options.calibration, count: 1 });
  const samples = source && graph.inputs.length === 1 ? readCalibrationSamples(graph, source) : [];
  const { precision, optimization, onProgress } = options;
  return measureProfile({ graph, plan, target, precision, modelName, samples, optimization, onProgress }, steps);
}

/**
 * The same model with --no-exits (the compiled graph before the exits were attached), linked in a temporary folder
 * for one measurement run; the caller removes the folder.
 */
async function buildWithoutExits(compiled: Graph, target: Target, options: CompileOptions, modelName: string): Promise<ImageInFolder> {
  const project = emitProject(compiled, target, options, modelName, []);
  const dir = await makeTempDir('eennc-no-exits-');
  for (const [path, content] of project.files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  const built = await buildFirmware(dir, target, { optimization: options.optimization });
  return { elfPath: built.elfPath, dir };
}

/**
 * Adds the exit table to `report`: cumulative MACs at each exit; with `measure.elfPath`, the instructions measured
 * on an emulated target (a note instead where its emulator is not installed); with calibration data, the exit each
 * calibration sample takes in the int8 reference (the shares).
 */
async function reportExits(
  report: BuildReport,
  graph: Graph,
  target: Target,
  options: CompileOptions,
  measure: { elfPath?: string; withoutExits?: () => Promise<ImageInFolder> },
): Promise<void> {
  // The shares come from the int8 reference on the calibration samples (a float32 build takes no --calib).
  const calibration = options.precision === 'int8' && graph.inputs.length === 1 ? options.calibration : undefined;
  const samples = calibration ? readCalibrationSamples(graph, calibration) : [];
  let instructions: ExitInstructions | undefined;
  // The test firmware reads one input per sample from a data file: a model of several inputs is not measured.
  const emulator = target.emulator?.program;
  if (measure.elfPath && emulator && !findProgram(emulator)) {
    report.notes.push(`the instructions of each exit are not measured: ${emulator} is not installed (eennc doctor says how to install it)`);
  } else if (measure.elfPath && measure.withoutExits && emulator && graph.inputs.length === 1) {
    options.onProgress?.(`measuring the cost of each exit on ${target.name} (one sample run past every exit, and with --no-exits)`);
    const sample = samples[0] ?? new Float32Array(sizeOf(graph.tensors.get(graph.inputs[0]!)!.shape));
    instructions = await measureExitInstructions(graph, target, measure.elfPath, sample, measure.withoutExits, options.onProgress);
  }
  const source = samples.length > 0 ? `int8 reference on ${samples.length} calibration samples` : undefined;
  const taken = samples.length > 0 ? exitsTaken(graph, samples).taken : undefined;
  const table = exitTableOf(graph, { instructions, taken, source });
  report.exits = table.exits;
  report.exits_expected = table.expected;
}

/** The calibration samples as floats (the shares of the exit table and the steps' errors come from them), or a profile's. */
function readCalibrationSamples(graph: Graph, source: Pick<CalibrationSource, 'path' | 'count' | 'scale'>): Float32Array[] {
  const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
  const size = sizeOf(shape);
  const read = readSamples(source.path, shape, { count: source.count, scale: source.scale, requireFinite: true });
  return Array.from({ length: read.count }, (_, i) => read.data.slice(i * size, (i + 1) * size));
}

/**
 * An error from building the project in its temporary folder, which is gone by the time the user reads it: it names
 * the model instead, and a compiler failure's hint says how to get a project to run make in.
 */
function outsideProject(err: EennError, projectDir: string, options: CompileOptions, target: Target): EennError {
  if (projectDir === '' || !err.file?.startsWith(projectDir)) return err;
  const hint =
    err.code === 'E_TOOLCHAIN'
      ? `to see the whole compiler output, write the project without building it (eennc build ${options.model} ` +
        `--target ${target.name} --no-link -o DIR, with the same options) and run make in DIR`
      : err.hint;
  return new EennError({ ...err.toInfo(), file: options.model, hint });
}

/**
 * Import a model; one that carries its own quantization (QDQ pairs, QLinearConv...) becomes the float graph it
 * stands for, and the scales it states are returned as overrides for the quantize stage; `integerIo` lists the model's
 * int8/uint8 inputs and outputs that the float graph holds as float32 (a float32 build refuses them). `qdq.keepRounding`
 * (a float32 build): the float graph rounds each quantized activation as the model does (src/quantize/qdq/rewrite.ts).
 */
export function importWithOwnQuantization(
  model: string,
  inputShapes?: Record<string, number[]>,
  then?: string,
  qdq: RewriteOptions = {},
): { graph: Graph; notes: string[]; overrides: QuantOverrides; integerIo: IntegerIo[] } {
  if (then !== undefined) return { ...importPipeline({ first: model, then }, inputShapes), overrides: noOverrides(), integerIo: [] };
  let overrides = noOverrides();
  let own = false;
  let changedIo: IntegerIo[] = [];
  const rewrite = (loaded: Graph): Graph => {
    if (!hasOwnQuantization(loaded)) return loaded;
    own = true;
    const imported = importQdq(loaded, qdq);
    overrides = imported.overrides;
    changedIo = imported.integerIo;
    return imported.graph;
  };
  const imported = importModel(model, { inputShapes, rewrite });
  const notes = [...imported.notes];
  if (own && qdq.keepRounding) {
    notes.push(
      `the model states its own quantization: its ${overrides.activations.size} quantized activations are rounded to their scales in float32`,
    );
  } else if (own) {
    notes.push(
      `the model states its own quantization: ${overrides.activations.size} activation scales and ` +
        `${overrides.weights.size} int8 weight tensors are taken from it`,
    );
  }
  return { graph: imported.graph, notes, overrides, integerIo: changedIo };
}

/**
 * The import of a float32 build: a model stating its own quantization becomes the float graph that rounds as it
 * does (importWithOwnQuantization), except where that graph cannot stand for it: integer inputs or outputs, or
 * scales computed at run time. Such a model is compiled as it is, its QuantizeLinear and DequantizeLinear computed
 * by the typed kernels as ONNX defines them (src/codegen/lower/typed.ts).
 */
function importForFloat32(
  model: string,
  inputShapes?: Record<string, number[]>,
  then?: string,
): { graph: Graph; notes: string[]; overrides: QuantOverrides; integerIo: IntegerIo[] } {
  const plain = () => ({ ...importModel(model, { inputShapes }), overrides: noOverrides(), integerIo: [] });
  try {
    const imported = importWithOwnQuantization(model, inputShapes, then, { keepRounding: true });
    return imported.integerIo.length > 0 && then === undefined ? plain() : imported;
  } catch (err) {
    const dynamic = err instanceof EennError && err.code === 'E_UNSUPPORTED' && /computed at run time/.test(err.message);
    if (dynamic && then === undefined) return plain();
    throw err;
  }
}

/**
 * A pipeline's two models imported and joined into one graph (src/frontend/pipeline.ts). Each file is read as a
 * single model is (its external data only from its own folder); a model stating its own quantization is refused,
 * since the pipeline is calibrated as one.
 */
function importPipeline(files: PipelineFiles, inputShapes?: Record<string, number[]>): { graph: Graph; notes: string[] } {
  const first = importModel(files.first, { inputShapes, rewrite: refuseOwnQuantization(files.first) });
  const output = pipelineOutput(first.graph, files);
  const shapes = inFile(files.then, () => thenInputShapes(files.then, output));
  const then = importModel(files.then, { inputShapes: shapes, rewrite: refuseOwnQuantization(files.then) });
  const graph = joinPipeline(first.graph, then.graph, files);
  const notes = [...first.notes, ...then.notes.map((note) => `${files.then}: ${note}`)];
  notes.push(`pipeline: ${files.first} then ${files.then}, joined at "${output.name}" [${output.shape.join(',')}]`);
  return { graph, notes };
}

/** A rewrite for importModel that refuses a model of a pipeline stating its own quantization, naming its file. */
function refuseOwnQuantization(path: string): (loaded: Graph) => Graph {
  return (loaded) => {
    if (!hasOwnQuantization(loaded)) return loaded;
    throw new EennError({
      code: 'E_UNSUPPORTED',
      file: path,
      message: `${path} states its own quantization (QuantizeLinear/DequantizeLinear); a --then pipeline is calibrated as one model`,
      hint: 'give both models of the pipeline in float32 and calibrate them together with --calib',
    });
  };
}

/** Activation tensors of the float graph (inputs and node outputs) that need a scale. */
function activationNames(graph: Graph): string[] {
  const names = [...graph.inputs, ...graph.nodes.flatMap((n) => n.outputs)];
  return names.filter((name) => name !== '' && graph.tensors.get(name)?.dtype === 'float32' && !graph.tensors.get(name)?.data);
}

/** Calibrate (unless the model states every scale itself) and quantize the float graph. */
export async function quantizeModel(
  floatGraph: Graph,
  options: Pick<CompileOptions, 'calibration' | 'io' | 'onProgress' | 'model'> & { overrides?: QuantOverrides },
  notes: string[] = [],
): Promise<Graph> {
  return (await quantizeModelWithReference(floatGraph, options, notes)).graph;
}

/**
 * quantizeModel, also giving the float graph the int8 one stands for tensor by tensor: `floatGraph`, or its
 * equalized form (src/post-training.ts), which per-layer errors compare with.
 */
export async function quantizeModelWithReference(
  floatGraph: Graph,
  options: Pick<CompileOptions, 'calibration' | 'io' | 'onProgress' | 'model'> & { overrides?: QuantOverrides },
  notes: string[] = [],
): Promise<{ graph: Graph; floatGraph: Graph }> {
  const overrides: QuantOverrides = options.overrides ?? noOverrides();
  const source = options.calibration;
  if (!source) {
    const missing = activationNames(floatGraph).filter((name) => !overrides.activations.has(name));
    if (missing.length === 0) return { graph: quantizeGraph(floatGraph, { ranges: new Map(), overrides, io: options.io ?? 'int8' }), floatGraph };
    throw new EennError({
      code: 'E_USAGE',
      file: options.model,
      message:
        overrides.activations.size === 0
          ? 'int8 needs calibration data to choose activation scales, and none was given'
          : `the model states scales for some tensors but not for ${missing.length} (e.g. "${missing[0]}"); they need calibration data`,
      hint: 'give representative inputs with --calib DATA (e.g. a few hundred training samples), or build with --precision float32',
    });
  }
  const samples = calibrationInputs(floatGraph, source);
  const techniques = resolveTechniques(source.techniques);
  const quantized = await postTrainingQuantize(floatGraph, samples, {
    method: source.method,
    percentile: source.percentile,
    techniques,
    overrides,
    io: options.io ?? 'int8',
    onProgress: options.onProgress,
  });
  notes.push(
    `int8: calibrated ${samples.length} samples from ${calibrationFileNames(source)} with ${source.method}${source.method === 'percentile' ? ` ${source.percentile ?? DEFAULT_PERCENTILE}` : ''}`,
    ...quantized.notes,
  );
  return { graph: quantized.graph, floatGraph: quantized.floatGraph };
}

/**
 * The calibration samples of `graph` (a float graph): one file of float32 samples for a model of one float32 input,
 * else a file per model input (CalibrationSource.files), each input's values in its element type.
 */
function calibrationInputs(graph: Graph, source: CalibrationSource): InputSample[] {
  const files = source.files ?? [source.path];
  const single = graph.inputs.length === 1 && graph.tensors.get(graph.inputs[0]!)!.dtype === 'float32';
  if (single && files.length === 1 && parseInputFile(files[0]!).name === undefined) {
    const shape = graph.tensors.get(graph.inputs[0]!)!.shape;
    const size = sizeOf(shape);
    const read = readSamples(source.path, shape, { count: source.count, scale: source.scale, requireFinite: true });
    return Array.from({ length: read.count }, (_, i) => read.data.subarray(i * size, (i + 1) * size));
  }
  return readModelInputs(files, inputsOf(graph), { flag: '--calib', count: source.count, scale: source.scale, requireFinite: true });
}

/** The calibration files, for the build's notes: "calib.npy", or "x.npy and h.npy". */
function calibrationFileNames(source: CalibrationSource): string {
  const names = (source.files ?? [source.path]).map((arg) => basename(parseInputFile(arg).path));
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** Multiply-accumulates of a node; an int8 node counts those of the float node it was made from (same name). */
function buildReport(
  graph: Graph,
  plan: MemoryPlan,
  target: Target,
  precision: Precision,
  model: string,
  notes: string[],
  weightBytes: number,
): BuildReport {
  const layers: LayerReport[] = graph.nodes.map((node) => {
    const inputs = node.inputs.map((name) => (name ? graph.tensors.get(name) : undefined));
    const outputs = node.outputs.map((name) => graph.tensors.get(name)!);
    const params = inputs.reduce((n, t) => n + (t?.data && t.dtype !== 'int64' ? sizeOf(t.shape) : 0), 0);
    const dtype = outputs[0]?.dtype;
    const quant = dtype === 'int8' || dtype === 'int16' ? outputs[0]!.quant : undefined;
    return {
      node: node.name,
      op: node.op,
      output_shape: outputs[0]?.shape ?? [],
      macs: nodeMacs(graph, node),
      params,
      ...(quant ? { output_dtype: dtype as 'int8' | 'int16', output_scale: quant.scale[0]!, output_zero_point: quant.zeroPoint[0]! } : {}),
    };
  });
  const io: IoReport[] = (['input', 'output'] as const).flatMap((role) =>
    (role === 'input' ? graph.inputs : graph.outputs).map((name): IoReport => {
      const t = graph.tensors.get(name)!;
      const quant = t.dtype === 'int8' ? t.quant : undefined;
      return { name, role, dtype: t.dtype, shape: t.shape, ...(quant ? { scale: quant.scale[0]!, zero_point: quant.zeroPoint[0]! } : {}) };
    }),
  );
  const macs = layers.reduce((n, l) => n + l.macs, 0);
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
    io,
    notes,
    steps: stepReports(graph, plan, precision),
  };
}

/**
 * A model that does not fit fails here with the numbers, not in the compiler or the linker. Before linking, RAM
 * is the arena and the stack plus the test firmware's input and output buffers (`ioBufferBytes`, in main.c);
 * once measured, the image's static RAM holds them all.
 */
/** Where layers hold int16 activations (twice the memory), how to keep them int8; else nothing. */
function int16Hint(report: BuildReport): string {
  const wide = report.layers.filter((l) => l.output_dtype === 'int16').map((l) => l.node);
  if (wide.length === 0) return '';
  return `; ${wide.join(', ')} hold${wide.length === 1 ? 's' : ''} int16 activations (--int16-layers): --int16-layers none keeps every activation int8`;
}

function checkFit(report: BuildReport, target: Target, file: string, ioBufferBytes: number, measured: boolean): void {
  const flash = report.memory.flash_bytes;
  const ram = measured ? report.memory.ram_bytes : report.memory.ram_bytes + ioBufferBytes;
  const how = measured ? 'needs' : 'needs at least';
  const problems: string[] = [];
  if (target.limits.flashBytes !== null && flash > target.limits.flashBytes) {
    problems.push(`flash: ${how} ${flash} bytes (weights ${report.memory.weights_bytes}), ${target.name} has ${target.limits.flashBytes}`);
  }
  if (target.limits.ramBytes !== null && ram > target.limits.ramBytes) {
    const parts = `arena ${report.memory.arena_bytes}, stack ${report.memory.stack_bytes}, test firmware input and output buffers ${ioBufferBytes}`;
    problems.push(`RAM: ${how} ${ram} bytes (${parts}), ${target.name} has ${target.limits.ramBytes}`);
  }
  if (problems.length > 0) {
    throw new EennError({
      code: 'E_TARGET',
      file,
      message: `the model does not fit ${target.name}`,
      details: problems,
      // The planner already falls back to its smallest arena when the faster plans do not fit.
      hint:
        report.precision === 'int8'
          ? `choose a target with more memory (eennc targets), or make the model smaller${int16Hint(report)}`
          : 'choose a target with more memory (eennc targets), or quantize with --precision int8',
    });
  }
}
