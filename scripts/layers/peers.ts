// What each row of the int8 layer benchmark (scripts/bench-layers.ts) is compared with: the peers' instructions per
// MAC and the bars eennc's kernels must reach, per target. All figures are instructions per multiply-accumulate of
// one inference under QEMU -icount (random per-channel int8 data):
//   - CMSIS-NN (ARM-software/CMSIS-NN, -O2) and TinyEngine (mit-han-lab/tinyengine) on Cortex-M4, CMSIS-NN's MVE
//     path on Cortex-M55 and its portable path on Cortex-M0+, measured on the five reference layers; the fully
//     connected 3136 -> 10 on Cortex-M4: CMSIS-NN 59,445 instructions (1.90 per MAC); the small CNN on Cortex-M4:
//     CMSIS-NN 1,580,589 instructions (5.04 per MAC). "-" where no figure is known.
//   - TODAY: eennc's own instruction counts when this table was set (the kernels of December 2026), the reference
//     of "never slower" on the targets and rows without a bar of their own.
//   - Bars: Cortex-M4 and Cortex-M55 the targets' own (on Cortex-M55 at least 10% below CMSIS-NN's MVE path; the
//     small CNN, which has no M55 figure: TODAY); Cortex-M0+ 10% below TODAY (the five layers' bars are those of
//     the figures measured before, 5.08 -> 4.57 and so on); the other targets (Cortex-M7 and Cortex-M33 share the
//     DSP paths) TODAY itself.

/** The peers' figures of one row; undefined where none is known. */
export interface PeerFigures {
  cmsisM4?: number;
  tinyEngineM4?: number;
  cmsisM55?: number;
  cmsisM0plus?: number;
}

/** Instructions per MAC of the small CNN on Cortex-M4 at the bar: 750,000 instructions for 313,600 MACs. */
const SMALL_CNN_MACS = 313_600;

/** The peers of each row, by row label (scripts/layers/layer-models.ts). */
export const PEERS: Record<string, PeerFigures> = {
  'conv 3x3, 16x16x16 -> 32, pad 1': { cmsisM4: 2.14, tinyEngineM4: 2.35, cmsisM55: 0.334, cmsisM0plus: 7.13 },
  'conv 1x1, 16x16x32 -> 32': { cmsisM4: 2.7, tinyEngineM4: 3.0, cmsisM55: 0.62, cmsisM0plus: 9.09 },
  'depthwise 3x3, 16x16x32, pad 1': { cmsisM4: 8.07, tinyEngineM4: 8.88, cmsisM55: 2.744, cmsisM0plus: 37.8 },
  'fully connected 256 -> 64': { cmsisM4: 2.08, tinyEngineM4: 2.96, cmsisM55: 0.528, cmsisM0plus: 6.43 },
  'conv 3x3, 28x28x1 -> 8, pad 1 (first layer)': { cmsisM4: 14.0, cmsisM55: 6.028, cmsisM0plus: 25.4 },
  'fully connected 3136 -> 10': { cmsisM4: 59_445 / 31_360 },
  'small CNN, 28x28x1 (end to end)': { cmsisM4: 1_580_589 / SMALL_CNN_MACS },
};

/**
 * eennc's instructions per inference on each target when the bars were set (seed 1, the kernels of December 2026):
 * the reference of "never slower" (see the header).
 */
export const TODAY: Record<string, Record<string, number>> = {
  'conv 3x3, 16x16x16 -> 32, pad 1': {
    'cortex-m4': 1_793_276,
    'cortex-m55': 1_074_890,
    'cortex-m0plus': 5_995_366,
    'cortex-m7': 1_807_875,
    'cortex-m33': 1_796_289,
  },
  'conv 1x1, 16x16x32 -> 32': {
    'cortex-m4': 534_841,
    'cortex-m55': 394_896,
    'cortex-m0plus': 1_954_489,
    'cortex-m7': 535_859,
    'cortex-m33': 534_974,
  },
  'depthwise 3x3, 16x16x32, pad 1': {
    'cortex-m4': 248_704,
    'cortex-m55': 179_432,
    'cortex-m0plus': 935_402,
    'cortex-m7': 244_045,
    'cortex-m33': 242_250,
  },
  'fully connected 256 -> 64': { 'cortex-m4': 28_099, 'cortex-m55': 6_853, 'cortex-m0plus': 70_807, 'cortex-m7': 28_140, 'cortex-m33': 28_108 },
  'conv 3x3, 28x28x1 -> 8, pad 1 (first layer)': {
    'cortex-m4': 332_229,
    'cortex-m55': 324_385,
    'cortex-m0plus': 1_314_421,
    'cortex-m7': 335_419,
    'cortex-m33': 331_768,
  },
  'fully connected 3136 -> 10': { 'cortex-m4': 87_482, 'cortex-m55': 72_045, 'cortex-m0plus': 170_044, 'cortex-m7': 87_497, 'cortex-m33': 87_098 },
  'small CNN, 28x28x1 (end to end)': {
    'cortex-m4': 909_069,
    'cortex-m55': 727_307,
    'cortex-m0plus': 3_111_035,
    'cortex-m7': 919_408,
    'cortex-m33': 909_565,
  },
};

/** The bars that are the targets' own (instructions per MAC); the others follow from TODAY (barFor). */
const BARS: Record<string, Record<string, number>> = {
  'conv 3x3, 16x16x16 -> 32, pad 1': { 'cortex-m4': 1.15, 'cortex-m55': 0.3, 'cortex-m0plus': 4.57 },
  'conv 1x1, 16x16x32 -> 32': { 'cortex-m4': 1.6, 'cortex-m55': 0.55, 'cortex-m0plus': 6.71 },
  'depthwise 3x3, 16x16x32, pad 1': { 'cortex-m4': 2.4, 'cortex-m55': 2.0, 'cortex-m0plus': 11.42 },
  'fully connected 256 -> 64': { 'cortex-m4': 1.4, 'cortex-m55': 0.4, 'cortex-m0plus': 3.88 },
  'conv 3x3, 28x28x1 -> 8, pad 1 (first layer)': { 'cortex-m4': 4.5, 'cortex-m55': 4.5, 'cortex-m0plus': 20.96 },
  'fully connected 3136 -> 10': { 'cortex-m4': 1.7, 'cortex-m55': 0.6 },
  'small CNN, 28x28x1 (end to end)': { 'cortex-m4': 750_000 / SMALL_CNN_MACS },
};

/** Share of TODAY a Cortex-M0+ row must stay under. */
const M0PLUS_BAR_SHARE = 0.9;

/** The bar (instructions per MAC) of row `row` of `macs` MACs on `target`; undefined where neither a bar nor TODAY is known. */
export function barFor(row: string, target: string, macs: number): number | undefined {
  const own = BARS[row]?.[target];
  if (own !== undefined) return own;
  const today = TODAY[row]?.[target];
  if (today === undefined) return undefined;
  return (target === 'cortex-m0plus' ? today * M0PLUS_BAR_SHARE : today) / macs;
}

/** One peer column of a target's table: its title and its figure for a row. */
export interface PeerColumn {
  title: string;
  figure(peers: PeerFigures): number | undefined;
}

/** The peers shown beside `target`: its own where known, CMSIS-NN on Cortex-M4 for reference elsewhere. */
export function peerColumns(target: string): PeerColumn[] {
  switch (target) {
    case 'cortex-m4':
      return [
        { title: 'CMSIS-NN M4', figure: (p) => p.cmsisM4 },
        { title: 'TinyEngine M4', figure: (p) => p.tinyEngineM4 },
      ];
    case 'cortex-m55':
      return [{ title: 'CMSIS-NN M55 (MVE)', figure: (p) => p.cmsisM55 }];
    case 'cortex-m0plus':
      return [{ title: 'CMSIS-NN M0+', figure: (p) => p.cmsisM0plus }];
    default:
      return [{ title: 'CMSIS-NN M4 (reference)', figure: (p) => p.cmsisM4 }];
  }
}
