// Data files in and out: samples and labels (.npy, raw .bin, IDX), and .npy outputs.

export { readSamples, readLabels, nonFiniteError, type Samples, type SampleOptions } from './samples.js';
export { readNpy, writeNpy, parseNpy, encodeNpy, type NpyArray, type NpyDType } from './npy.js';
export { readIdx, type IdxArray } from './idx.js';
