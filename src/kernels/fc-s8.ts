// Contract of the int8 fully connected kernel (eenn_fc_s8): weight rows in the paired layout, no scratch, the
// optional paths of its output stage (EENN_FC_S8_EXACT is a correctness switch, checked in model.c), and its
// tiles of output features.

import { INT8_DOMAIN } from '../ir/int8.js';
import type { CallTiler, KernelContract } from './contract.js';
import { isInt16Layer } from './int16.js';
import { outputStageChecks, outputStageSwitches } from './output-stage-s8.js';
import { intOf, tiler } from './tiles.js';
import { pairedLayoutChecks, pairedRowBytes } from './weight-layout-s8.js';

const OUTPUT_STAGE = { exact: 'EENN_FC_S8_EXACT', saturate: 'EENN_FC_S8_SATURATE' };

/**
 * Tiles of output features of eenn_fc_s8, by pointer arithmetic: weight rows are packed in pairs (m, m + 1), so a
 * tile starts at an even feature and its rows are the pairs from there, an odd last feature keeping its plain
 * row. The granule is 4, not 2: the kernel computes 4 features at a time, and a tile of 2 would take its slow path
 * for every feature (32 tiles of 2 of a 256 -> 64 layer: 4.7x the instructions of the whole call on Cortex-M4; 8
 * tiles of 8: +2.8%). One input row only: the output's row stride is out_features.
 */
/** Output features eenn_fc_s8 computes together: the granule of its tiles. */
const FC_S8_FEATURE_GRANULE = 4;

const FC_S8_FEATURES: CallTiler = tiler(
  'channels',
  (args) => (intOf(args, 'rows') === 1 ? intOf(args, 'out_features') : undefined),
  () => FC_S8_FEATURE_GRANULE,
  (args, begin, end) => ({
    advance: {
      weights: begin * pairedRowBytes(intOf(args, 'in_features')),
      bias: begin,
      output: begin,
      output_multiplier: begin,
      output_shift: begin,
    },
    set: { out_features: end - begin },
  }),
);

export const FC_S8: KernelContract = {
  kernels: ['eenn_fc_s8'],
  header: 'eenn_kernels_s8.h',
  computes: (graph, node) => node.domain === INT8_DOMAIN && node.op === 'QGemm' && !isInt16Layer(graph, node),
  scratchBytes: () => 0,
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input' },
  tiles: [
    { axis: 'rows', reads: 'the same rows of the input' },
    { axis: 'channels', reads: "the whole input, and those output features' weight rows" },
  ],
  tiler: FC_S8_FEATURES,
  switches: [
    { macro: 'EENN_FC_S8_EXACT', note: 'fully connected layers that need the exact output stage (required when 1)', required: true },
    { macro: 'EENN_FC_S8_SATURATE', note: 'fully connected layers whose clamp is the whole int8 range' },
  ],
  switchesOf: (args) => outputStageSwitches(args, args.int('out_features') ?? 0, args.int('in_features') ?? 0, OUTPUT_STAGE),
  checksOf: (args) => [
    ...pairedLayoutChecks(args.int('in_features') ?? 0),
    ...outputStageChecks(args, args.int('out_features') ?? 0, args.int('in_features') ?? 0, OUTPUT_STAGE.exact),
  ],
};
