// Data files in and out: samples and labels (.npy, raw .bin, IDX), and .npy outputs.

export { readSamples, readTypedSamples, nonFiniteError, type Samples, type SampleOptions, type InputOf, type TypedSamples } from './samples.js';
export {
  assignInputFiles,
  describeInputs,
  feedsOf,
  inputsOf,
  parseInputFile,
  readModelInputs,
  type InputFile,
  type InputSample,
  type ReadInputsOptions,
} from './model-inputs.js';
export { readLabels, RAW_LABEL_DTYPES, type RawLabelDType, type LabelOptions } from './labels.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray, type NpyDType, type NpyWrittenAs } from './npy.js';
export { readIdx, type IdxArray } from './idx.js';
