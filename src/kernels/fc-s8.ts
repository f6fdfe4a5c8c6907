// Contract of the int8 fully connected kernel (eenn_fc_s8): weight rows in the paired layout, no scratch, and
// the optional paths of its output stage (EENN_FC_S8_EXACT is a correctness switch, checked in model.c).

import { INT8_DOMAIN } from '../ir/int8.js';
import type { KernelContract } from './contract.js';
import { outputStageChecks, outputStageSwitches } from './output-stage-s8.js';
import { pairedLayoutChecks } from './weight-layout-s8.js';

const OUTPUT_STAGE = { exact: 'EENN_FC_S8_EXACT', saturate: 'EENN_FC_S8_SATURATE' };

export const FC_S8: KernelContract = {
  kernels: ['eenn_fc_s8'],
  header: 'eenn_kernels_s8.h',
  computes: (_graph, node) => node.domain === INT8_DOMAIN && node.op === 'QGemm',
  scratchBytes: () => 0,
  aliasing: { overlap: 'separate', rule: 'the output never overlaps the input' },
  tiles: [
    { axis: 'rows', reads: 'the same rows of the input' },
    { axis: 'channels', reads: "the whole input, and those output features' weight rows" },
  ],
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
