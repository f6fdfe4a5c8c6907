// Contract of the int8 fully connected kernel (eenn_fc_s8): its grouped weight layout (packFcWeights), no
// scratch, the optional paths of its output stage (EENN_FC_S8_EXACT is a correctness switch, checked in model.c),
// and its tiles of output features.

import { INT8_DOMAIN } from '../ir/int8.js';
import type { CallTiler, KernelContract } from './contract.js';
import { isInt16Layer } from './int16.js';
import { outputStageChecks, outputStageSwitches } from './output-stage-s8.js';
import { intOf, tiler } from './tiles.js';

const OUTPUT_STAGE = { exact: 'EENN_FC_S8_EXACT', saturate: 'EENN_FC_S8_SATURATE' };

/** Output features per whole group of the weight layout (EENN_FC_GROUP_S8): the kernel computes a group at a time. */
export const FC_S8_GROUP = 4;

/** Input values per word of the layout: each row of a group contributes one word per 4 input values. */
const FC_S8_STEP = 4;

/** Bytes of one weight row (EENN_FC_ROW_BYTES_S8): in_features rounded up to a multiple of 4. */
export function fcRowBytes(inFeatures: number): number {
  return Math.ceil(inFeatures / FC_S8_STEP) * FC_S8_STEP;
}

/** The sizes of the groups of `outFeatures` rows, in order: groups of 4, then one of 2 and one of 1 for the rest. */
export function fcGroups(outFeatures: number): number[] {
  const groups: number[] = [];
  for (let n = 0; n < outFeatures;) {
    const left = outFeatures - n;
    const group = left >= FC_S8_GROUP ? FC_S8_GROUP : left >= 2 ? 2 : 1;
    groups.push(group);
    n += group;
  }
  return groups;
}

/**
 * Weight rows [outFeatures, inFeatures] in eenn_fc_s8's grouped layout (eenn_kernels_s8.h): rows padded with zeros
 * to fcRowBytes, grouped by fcGroups, and the rows of a group interleaved word by word (for each 4 input values,
 * one word of each row of the group in turn), so that one load brings the next 4 values of every row.
 */
export function packFcWeights(rows: Int8Array, outFeatures: number, inFeatures: number): Int8Array {
  const rowBytes = fcRowBytes(inFeatures);
  const packed = new Int8Array(outFeatures * rowBytes);
  let first = 0;
  for (const group of fcGroups(outFeatures)) {
    const block = first * rowBytes;
    for (let j = 0; j < group; j++) {
      const row = rows.subarray((first + j) * inFeatures, (first + j + 1) * inFeatures);
      for (let k = 0; k < inFeatures; k++) {
        packed[block + Math.floor(k / FC_S8_STEP) * FC_S8_STEP * group + FC_S8_STEP * j + (k % FC_S8_STEP)] = row[k]!;
      }
    }
    first += group;
  }
  return packed;
}

/**
 * Tiles of output features of eenn_fc_s8, by pointer arithmetic: a tile starts at a multiple of 4 (the granule,
 * FC_S8_GROUP), where a group of the layout starts, and the groups of a tile of m features are those of a layer
 * of m (whole groups of 4, then the same 2 and 1 as the whole layer's). One input row only: the output's row
 * stride is out_features.
 */

const FC_S8_FEATURES: CallTiler = tiler(
  'channels',
  (args) => (intOf(args, 'rows') === 1 ? intOf(args, 'out_features') : undefined),
  () => FC_S8_GROUP,
  (args, begin, end) => ({
    advance: {
      weights: begin * fcRowBytes(intOf(args, 'in_features')),
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
    { macro: 'EENN_FC_S8_TAIL_ROWS', note: 'fully connected layers whose out_features is not a multiple of 4' },
  ],
  switchesOf: (args) => {
    const outFeatures = args.int('out_features');
    const tailRows = outFeatures === undefined || outFeatures % FC_S8_GROUP !== 0 ? ['EENN_FC_S8_TAIL_ROWS'] : [];
    return [...outputStageSwitches(args, outFeatures ?? 0, args.int('in_features') ?? 0, OUTPUT_STAGE), ...tailRows];
  },
  checksOf: (args) => [
    { expr: `EENN_FC_GROUP_S8 == ${FC_S8_GROUP}`, what: 'fully connected weights in groups of 4 rows, interleaved word by word' },
    {
      expr: `EENN_FC_ROW_BYTES_S8(${args.int('in_features') ?? 0}) == ${fcRowBytes(args.int('in_features') ?? 0)}`,
      what: `fully connected weight rows of ${args.int('in_features') ?? 0} values`,
    },
    ...outputStageChecks(args, args.int('out_features') ?? 0, args.int('in_features') ?? 0, OUTPUT_STAGE.exact),
  ],
};

/** The comment of the packed weights in model.c. */
export function fcWeightsNote(outFeatures: number, inFeatures: number): string {
  const padded = fcRowBytes(inFeatures) > inFeatures ? ` (padded to ${fcRowBytes(inFeatures)})` : '';
  return `${outFeatures} rows of ${inFeatures} values${padded} in groups of ${FC_S8_GROUP} rows, interleaved word by word`;
}
