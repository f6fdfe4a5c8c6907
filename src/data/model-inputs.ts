// Samples for every input of a model from the data files of the command line: `--input x.npy` (a model of one
// input), `--input a=a.npy --input b=b.npy` (by name) or `--input a.npy --input b.npy` (in the model's input order).
// Each input's samples are read in its own element type (readTypedSamples); every file must hold the same number of
// samples. Shared by run, test, accuracy and calibration.

import { existsSync } from 'node:fs';
import { EennError } from '../ir/diagnostics.js';
import { sizeOf, type Graph, type Value } from '../ir/graph.js';
import { readTypedSamples, type InputOf, type SampleOptions } from './samples.js';

/**
 * One sample of a model: a value for each of its inputs, by name (the float graph's element types: float32 for a
 * float input, whether or not the build quantizes it; int64 for token ids...). A Float32Array alone is a sample of a
 * model of one float32 input.
 */
export type InputSample = Float32Array | Readonly<Record<string, Value>>;

/** A data file of the command line: the model input it feeds when named (`name=file`), and its path. */
export interface InputFile {
  name?: string;
  path: string;
}

/**
 * `name=file` or `file`. An argument that is an existing file is a path even when it holds "=" (a folder named
 * "a=b"); otherwise the text before the first "=" names the input.
 */
export function parseInputFile(arg: string): InputFile {
  const at = arg.indexOf('=');
  if (at <= 0 || existsSync(arg)) return { path: arg };
  return { name: arg.slice(0, at), path: arg.slice(at + 1) };
}

/** The inputs of `graph` as readTypedSamples takes them. */
export function inputsOf(graph: Graph): InputOf[] {
  return graph.inputs.map((name) => {
    const tensor = graph.tensors.get(name)!;
    return { name, shape: tensor.shape, dtype: tensor.dtype };
  });
}

/** "x" [1, 4] float32, "ids" [1, 8] int64: the inputs of a model, for messages. */
export function describeInputs(inputs: readonly InputOf[]): string {
  return inputs.map((i) => `"${i.name}" [${i.shape.join(', ')}] ${i.dtype}`).join(', ');
}

/**
 * Which file feeds which input: named files their input, the others the remaining inputs in the model's order.
 * E_USAGE for a name that is no input, an input named twice, more files than inputs, or an input left without one;
 * `flag` (e.g. "--input") is how the messages name the option.
 */
export function assignInputFiles(args: readonly string[], inputs: readonly InputOf[], flag: string): Map<string, string> {
  const files = args.map(parseInputFile);
  const assigned = new Map<string, string>();
  const example = inputs.map((i) => `${flag} ${i.name}=${i.name}.npy`).join(' ');
  for (const file of files) {
    if (file.name === undefined) continue;
    if (!inputs.some((i) => i.name === file.name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `${flag} ${file.name}=${file.path}: the model has no input "${file.name}"; its inputs are ${describeInputs(inputs)}`,
        hint: `name one of the model's inputs, e.g. ${example}`,
      });
    }
    if (assigned.has(file.name)) {
      throw new EennError({
        code: 'E_USAGE',
        message: `${flag} gives input "${file.name}" twice (${assigned.get(file.name)} and ${file.path})`,
        hint: `give each input one file: ${example}`,
      });
    }
    assigned.set(file.name, file.path);
  }
  const free = inputs.filter((i) => !assigned.has(i.name));
  const positional = files.filter((f) => f.name === undefined);
  if (positional.length > free.length) {
    throw new EennError({
      code: 'E_USAGE',
      message: `${args.length} files for ${flag}, but the model has ${inputs.length} input${inputs.length === 1 ? '' : 's'} (${describeInputs(inputs)})`,
      hint: `give one file per input: ${example}`,
    });
  }
  positional.forEach((file, k) => assigned.set(free[k]!.name, file.path));
  const missing = inputs.filter((i) => !assigned.has(i.name));
  if (missing.length > 0) {
    throw new EennError({
      code: 'E_USAGE',
      message: `no ${flag} file for model input${missing.length === 1 ? '' : 's'} ${describeInputs(missing)}; the model has ${inputs.length} inputs and each needs its samples`,
      hint: `give every input its file, by name (${example}) or in the model's input order`,
    });
  }
  return assigned;
}

export interface ReadInputsOptions extends Omit<SampleOptions, 'inputName'> {
  /** The option that named the files (--input, --data, --calib), for messages. */
  flag: string;
  /** Told about files whose samples hold NaN or infinite values (allowed without requireFinite). */
  onNonFinite?: (path: string, samples: number, first: number) => void;
}

/**
 * The samples of every input of a model (`inputs` in the model's order) from the files `args` (ReadInputsOptions.flag
 * values); each sample is a record of one Value per input. E_USAGE where the files do not name the inputs
 * (assignInputFiles), E_DATA where they hold different numbers of samples, or values their input cannot take exactly.
 */
export function readModelInputs(args: readonly string[], inputs: readonly InputOf[], options: ReadInputsOptions): Record<string, Value>[] {
  const files = assignInputFiles(args, inputs, options.flag);
  const floats = inputs.filter((i) => i.dtype === 'float32' || i.dtype === 'float64');
  if (options.scale !== undefined && floats.length < inputs.length) {
    const integral = inputs.filter((i) => !floats.includes(i)).map((i) => `"${i.name}" (${i.dtype})`);
    if (floats.length === 0) {
      throw new EennError({
        code: 'E_USAGE',
        message: `--scale multiplies float input values, and the model's input${integral.length === 1 ? ' is' : 's are'} ${integral.join(', ')}`,
        hint: 'leave out --scale: integer inputs (ids, indices) are taken as they are',
      });
    }
  }
  const read = inputs.map((input) => {
    const path = files.get(input.name)!;
    const scale = floats.includes(input) ? options.scale : undefined;
    const samples = readTypedSamples(path, input, { scale, count: options.count, requireFinite: options.requireFinite });
    if (samples.nonFinite) options.onNonFinite?.(path, samples.nonFinite.samples, samples.nonFinite.first);
    return { input, path, samples };
  });
  const count = read[0]?.samples.count ?? 0;
  const other = read.find((r) => r.samples.count !== count);
  if (other) {
    const counts = read.map((r) => `${r.path} (input "${r.input.name}") ${r.samples.count}`).join(', ');
    throw new EennError({
      code: 'E_DATA',
      file: other.path,
      message: `the files of the model's inputs hold different numbers of samples: ${counts}`,
      hint: `sample i of every file makes sample i of the model: give each input's file the same number of samples N (shape [N, ...input]), or use --count to read the first N`,
    });
  }
  return Array.from({ length: count }, (_, s) => {
    const sample: Record<string, Value> = {};
    for (const { input, samples } of read) {
      const size = sizeOf(input.shape);
      sample[input.name] = { shape: [...input.shape], dtype: input.dtype, data: samples.data.slice(s * size, (s + 1) * size) };
    }
    return sample;
  });
}

/** The values of `sample` for each input of `graph` (a Float32Array being the one float32 input's). */
export function feedsOf(graph: Graph, sample: InputSample): Record<string, Value> {
  if (!(sample instanceof Float32Array)) return sample as Record<string, Value>;
  if (graph.inputs.length !== 1) throw new Error(`internal: one Float32Array for the ${graph.inputs.length} inputs of ${graph.name}`);
  const name = graph.inputs[0]!;
  return { [name]: { shape: [...graph.tensors.get(name)!.shape], dtype: 'float32', data: sample } };
}
