// Data files in and out: samples and labels (.npy, raw .bin, IDX), and .npy outputs.

export { readSamples, nonFiniteError, type Samples, type SampleOptions } from './samples.js';
export { readLabels, RAW_LABEL_DTYPES, type RawLabelDType, type LabelOptions } from './labels.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray, type NpyDType } from './npy.js';
export { readIdx, type IdxArray } from './idx.js';
