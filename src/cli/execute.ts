// Shared by `run` and `test`: compile, feed samples to the firmware (QEMU or host), decode the outputs, and
// compute the reference for the same samples.

import { EennError } from '../ir/diagnostics.js';
import { sizeOf, type Graph, type TensorData } from '../ir/graph.js';
import type { CompileOptions, CompileResult } from '../compile.js';
import { describeInputs, feedsOf, inputsOf, parseInputFile, readModelInputs, type InputSample } from '../data/index.js';
import type { Value } from '../ops/types.js';
import { DATA_FILE_BYTES } from '../data/read-bytes.js';
import { checkRegularFile } from '../util/read-file.js';
import { countSteps } from '../util/progress.js';
import { checkRunnable, loadTarget } from '../target/target.js';
import { compileOptionsFrom, DEFAULT_FAILURE_SEED, log, type SampleOptions, type SharedOptions } from './common-options.js';
import { timeoutMs } from './options.js';
import { decodeOutput, encodeModelSamples, type EncodedSample } from '../io-codec.js';
import { answeringOutput, exitName, floatReferenceRun, type ReferenceRun } from '../exit-reference.js';
import type { IntermittentReport } from '../report/task-table.js';
import type { FirmwareRun } from '../toolchain/index.js';
import type { DeviceAnswer, LinkFaults } from '../devices-execute.js';

export interface SampleResult {
  /** Outputs as floats (int8 outputs dequantized, integer outputs as numbers). */
  outputs: Record<string, Float32Array>;
  /** Outputs in the model's element types (int8 outputs dequantized to float32; int64, bool... as they are). */
  values: Record<string, Value>;
  /** Outputs as the firmware wrote them (int8 values for int8 outputs), for bit-exact comparison. */
  raw: Record<string, TensorData>;
  /** The exit that answered: its output's name, or "final" for a model without exits. */
  exit: string;
  /** Its index into graph.exits.outputs (0 without exits). */
  exitIndex: number;
  /** The output that answered: the exit's output; without exits, the final classifier's (CompileResult.finalOutput). */
  answer: string;
  /** What this sample cost on the target (only the layers it ran); null where nothing counts them (host). */
  instructions: number | null;
  /** A multi-device run: which device answered, what crossed the link, each device's instructions. */
  device?: DeviceAnswer;
}

export interface Execution {
  compiled: CompileResult;
  /** Input samples: a value per model input, in the float graph's element types (floats for an input the build quantizes). */
  inputs: Record<string, Value>[];
  /** The same samples as the firmware read them (quantized for an int8 input): their bytes and each input's value. */
  encoded: EncodedSample[];
  samples: SampleResult[];
  stackBytes: number | null;
  /** The firmware's run: raw outputs and exits, and for an intermittent build each task's cumulative instructions. */
  run: FirmwareRun;
}

export interface DataOptions {
  /** The data files: one per model input, `name=file` or in the model's input order; none: seeded random samples. */
  paths?: readonly string[];
  /** The option that gave them (--input, --data, --calib), for messages. */
  flag?: string;
  scale?: number;
  count?: number;
  /** NaN or infinite input values are an error (int8 builds); otherwise they are only warned about. */
  requireFinite?: boolean;
}

/** How many seeded random samples in [0, 1) stand in for a data file (`eennc test` without --data). */
export const RANDOM_SAMPLES = 4;

/**
 * Samples for every input of `graph` (the float graph: each input's values in its element type) from the files of
 * `data.paths`, or seeded pseudo-random ones in [0, 1) for a model of float inputs.
 */
export function loadInputs(graph: Graph, data: DataOptions): Record<string, Value>[] {
  const inputs = inputsOf(graph);
  const flag = data.flag ?? '--input';
  if (!data.paths || data.paths.length === 0) {
    const integral = inputs.filter((i) => i.dtype !== 'float32' && i.dtype !== 'float64');
    if (integral.length > 0) {
      throw new EennError({
        code: 'E_USAGE',
        message: `without ${flag}, eennc makes up random float samples, and the model's input${integral.length === 1 ? '' : 's'} ${describeInputs(integral)} take${integral.length === 1 ? 's' : ''} no floats`,
        hint: `give the samples of every input: ${inputs.map((i) => `${flag} ${i.name}=${i.name}.npy`).join(' ')}`,
      });
    }
    const count = data.count ?? RANDOM_SAMPLES;
    let state = 0x2545f491;
    const random = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) / 4294967296;
    };
    return Array.from({ length: count }, () =>
      Object.fromEntries(
        inputs.map((i) => {
          const size = sizeOf(i.shape);
          const values = i.dtype === 'float64' ? Float64Array.from({ length: size }, random) : Float32Array.from({ length: size }, random);
          return [i.name, { shape: [...i.shape], dtype: i.dtype, data: values }];
        }),
      ),
    );
  }
  return readModelInputs(data.paths, inputs, {
    flag,
    scale: data.scale,
    count: data.count,
    requireFinite: data.requireFinite,
    onNonFinite: (path, n, first) =>
      log(
        `warning: ${path}: ${n} sample${n === 1 ? '' : 's'} hold NaN or infinite values (the first: sample ${first}, counting from 0); their outputs mean nothing`,
      ),
  });
}

/** What run and test read from their command line. */
export interface ExecuteOptions extends SharedOptions, SampleOptions {
  /** Time limit of the emulator run, in seconds. */
  timeout: number;
}

/**
 * Builds `model` as the command line asks and runs the samples of the data files `paths` (one per model input, as
 * option `flag` gave them) on the target, seeded random ones where there are none; `doing` names the work in the
 * progress line ("testing m.onnx on cortex-m4").
 */
export async function buildAndExecute(
  model: string,
  options: ExecuteOptions,
  paths: readonly string[] | undefined,
  doing: string,
  flag = '--input',
): Promise<Execution> {
  const compileOptions = await compileOptionsFrom(model, options, options.outDir);
  const devices = compileOptions.devices?.devices.map((d) => `${d.name} (${d.target.name})`).join(' and ');
  const what = options.then === undefined ? doing : doing.replace(model, `${model} then ${options.then}`);
  log(`eennc: ${devices ? what.replace(` on ${options.target}`, '') + ` on ${devices}` : what} (${compileOptions.precision})`);
  const faults = options.linkFaults === undefined ? undefined : { rate: options.linkFaults, seed: options.seed ?? DEFAULT_FAILURE_SEED };
  return execute(compileOptions, { paths, flag, scale: options.scale, count: options.count }, timeoutMs(options.timeout), faults);
}

export async function execute(options: CompileOptions, data: DataOptions, timeoutMs: number, linkFaults?: LinkFaults): Promise<Execution> {
  // Loaded here, not at the top: `eennc --help` and `eennc targets` start without the compiler and the toolchain.
  const [{ compileModel, importWithOwnQuantization }, { runFirmware }] = await Promise.all([
    import('../compile.js'),
    import('../toolchain/index.js'),
  ]);
  // An input file that cannot be read at all stops the command now, not after the firmware build.
  for (const arg of data.paths ?? []) checkRegularFile(parseInputFile(arg).path, 'data file', DATA_FILE_BYTES);
  // A board QEMU cannot run stops here too, before the build it could not use.
  if (!options.devices) checkRunnable(loadTarget(options.target));
  // The samples are read before the build too: a file that does not fit the model's inputs stops the command now.
  const requireFinite = options.precision !== 'float32';
  const imported = importWithOwnQuantization(options.model, options.inputShapes, options.then, { keepRounding: !requireFinite }).graph;
  if (options.devices && imported.inputs.length !== 1) {
    throw new EennError({
      code: 'E_USAGE',
      file: options.model,
      message: `--devices runs models of one input, the node device reading it; this model has ${imported.inputs.length} (${describeInputs(inputsOf(imported))})`,
      hint: 'run the model on one target (leave out --devices), or build the two devices with `eennc build --devices` and feed the inputs from your own firmware',
    });
  }
  let inputs = loadInputs(imported, { ...data, requireFinite });
  const compiled = await compileModel({ ...options, link: true });
  for (const warning of compiled.report.warnings ?? []) log(`warning: ${warning}`);
  const { graph, target, image } = compiled;
  if (!sameInputs(imported, compiled.floatGraph)) inputs = loadInputs(compiled.floatGraph, { ...data, requireFinite });
  const { encoded, bytes } = encodeModelSamples(graph, inputs);
  if (compiled.devices) {
    const { executeDevices } = await import('../devices-execute.js');
    const run = await executeDevices(compiled, bytes, inputs.length, timeoutMs, linkFaults);
    return { compiled, inputs, encoded, samples: decodeSamples(compiled, run.run, run.answers), stackBytes: run.run.stackBytes, run: run.run };
  }
  // An intermittent build's firmware traces its tasks: FirmwareRun.taskInstructions, what failure schedules compare with.
  // One run for every sample: counted when it ends, the bar's clock running meanwhile.
  const ran = countSteps(options.onProgress, `running the firmware on ${target.name}`, 'samples');
  ran(0, inputs.length);
  const run = await runFirmware(image!.elfPath, target, bytes, { samples: inputs.length, timeoutMs });
  ran(inputs.length, inputs.length);
  return { compiled, inputs, encoded, samples: decodeSamples(compiled, run), stackBytes: run.stackBytes, run };
}

/** Whether two float graphs take the same inputs (names, element types and shapes, in order). */
function sameInputs(a: Graph, b: Graph): boolean {
  const described = (g: Graph) => describeInputs(inputsOf(g));
  return described(a) === described(b);
}

/**
 * Each sample's outputs as the firmware wrote them, decoded, with the exit that answered; `answers` (a multi-device
 * run) adds which device answered, and a sample a link fault lost has no outputs.
 */
function decodeSamples(compiled: CompileResult, run: FirmwareRun, answers?: readonly DeviceAnswer[]): SampleResult[] {
  const { graph } = compiled;
  const image = compiled.image?.elfPath ?? compiled.outDir;
  return run.outputs.map((out, i): SampleResult => {
    const device = answers?.[i];
    if (device && device.name === null) {
      return { outputs: {}, values: {}, raw: {}, exit: 'none', exitIndex: -1, answer: '', instructions: null, device };
    }
    const exitIndex = graph.exits ? takenExit(graph, run.exits[i], image, i) : 0;
    // With exits, only the taken exit's output was written: the other outputs' bytes mean nothing.
    const computed = graph.exits ? [answeringOutput(graph, exitIndex)] : graph.outputs;
    const outputs: Record<string, Float32Array> = {};
    const values: Record<string, Value> = {};
    const raw: Record<string, TensorData> = {};
    let offset = 0;
    graph.outputs.forEach((name, k) => {
      const n = compiled.outputBytes[k]!;
      if (computed.includes(name)) {
        const decoded = decodeOutput(graph.tensors.get(name)!, out.slice(offset, offset + n));
        outputs[name] = decoded.float;
        values[name] = decoded.value;
        raw[name] = decoded.raw;
      }
      offset += n;
    });
    const exit = exitName(graph, exitIndex);
    const answer = graph.exits ? answeringOutput(graph, exitIndex) : compiled.finalOutput;
    return { outputs, values, raw, exit, exitIndex, answer, instructions: run.instructions[i] ?? null, ...(device ? { device } : {}) };
  });
}

/** The exit index eenn_run() returned for sample `sample`, checked against the model's exits. */
function takenExit(graph: Graph, index: number | undefined, image: string, sample: number): number {
  const count = graph.exits?.outputs.length ?? 1;
  if (index !== undefined && Number.isInteger(index) && index >= 0 && index < count) return index;
  throw new EennError({
    code: 'E_RUN',
    file: image,
    message: `eenn_run() returned exit ${index ?? '(none)'} for sample ${sample}; the model has exits 0 to ${count - 1}`,
    hint: 'the firmware and the model disagree: this is a bug in eennc; report it with the model',
  });
}

/** The float reference on one sample (every output) and the exit it takes. */
export function floatReference(graph: Graph, sample: InputSample): ReferenceRun {
  return floatReferenceRun(graph, feedsOf(graph, sample));
}

/** The JSON document of run and test (DESIGN.md): model, target, precision, memory, samples. */
export function executionJson(execution: Execution, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { report } = execution.compiled;
  return {
    model: report.model,
    target: report.target,
    precision: report.precision,
    memory: {
      flash_bytes: report.memory.flash_bytes,
      ram_bytes: report.memory.ram_bytes,
      arena_bytes: report.memory.arena_bytes,
      stack_bytes: execution.stackBytes ?? report.memory.stack_bytes,
      stack_reserved_bytes: report.memory.stack_bytes,
      weights_bytes: report.memory.weights_bytes,
    },
    macs: report.macs,
    // A model with early exits: its exits in order (the last is the final classifier), as `exit` names them.
    ...(execution.compiled.graph.exits ? { exits: execution.compiled.graph.exits.outputs } : {}),
    ...(report.intermittent ? { intermittent: intermittentJson(report.intermittent) } : {}),
    ...(execution.compiled.devices ? { devices: devicesJson(execution) } : {}),
    samples: execution.samples.map((s) => ({
      outputs: Object.fromEntries(Object.entries(s.values).map(([k, v]) => [k, Array.from(v.data)])),
      output_dtypes: Object.fromEntries(Object.entries(s.values).map(([k, v]) => [k, v.dtype])),
      exit: s.device?.linkError ? null : s.exit,
      instructions: s.instructions,
      ...(s.device
        ? {
            device: s.device.name,
            bytes_sent: s.device.bytesSent,
            device_instructions: s.device.instructions,
            ...(s.device.linkError ? { link_error: s.device.linkError } : {}),
          }
        : {}),
    })),
    ...extra,
  };
}

/** The `devices` part of run's and test's JSON: the devices, the cut built and what the cost model predicted for it. */
function devicesJson(execution: Execution): Record<string, unknown> {
  const { plan, sides } = execution.compiled.devices!;
  const chosen = plan.chosen;
  return {
    devices: sides.map((side) => ({
      name: side.name,
      target: side.target.name,
      memory: { flash_bytes: side.report.memory.flash_bytes, ram_bytes: side.report.memory.ram_bytes },
    })),
    cut: chosen.cut.position,
    cut_label: chosen.label,
    tensor: chosen.cut.tensor ?? null,
    payload_bytes: chosen.cut.payloadBytes,
    predicted: {
      latency_ms: Number.isFinite(chosen.latencyMs) ? chosen.latencyMs : null,
      energy_uj: Number.isFinite(chosen.energyUj) ? chosen.energyUj : null,
      link_bytes: chosen.linkBytes,
      instructions: Object.fromEntries([chosen.node, chosen.gateway].map((cost, k) => [sides[k]?.name ?? cost.device, cost.instructions])),
    },
  };
}

/**
 * The `intermittent` part of run's and test's JSON: the budget, the tasks and each task's instructions with its
 * commit (measured by the build), and where the state lives.
 */
function intermittentJson(report: IntermittentReport): Record<string, unknown> {
  return {
    budget: report.budget,
    task_limit: report.task_limit,
    tasks: report.tasks.length,
    instructions: report.tasks.map((t) => t.measured_instructions),
    total_instructions: report.measured_instructions,
    nvm_kind: report.memory.nvm_kind,
    nvm_bytes: report.memory.nvm_bytes,
    sram_bytes: report.memory.sram_bytes,
  };
}
