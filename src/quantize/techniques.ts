// The post-training quantization techniques a user can turn on or off (DESIGN.md "Quantization"), beside the
// calibration method. Each runs in src/post-training.ts, in this order:
//   1. equalize        cross-layer equalization of Conv -> ReLU -> Conv chains (Nagel et al. 2019), on the float
//                      graph before calibration (src/quantize/equalize.ts);
//   2. calibration     activation ranges (src/calibration.ts);
//   3. optimizeRounding learned rounding of the weights (AdaRound, Nagel et al. 2020; src/optimize-rounding.ts);
//   4. biasCorrection  the expected output shift that weight rounding causes, folded into the bias
//                      (src/bias-correction.ts);
//   5. int16Layers     int16 activations where a layer needs them (src/int16-selection.ts);
//   6. quantize        the int8 graph (src/quantize/quantize-graph.ts).

/** Which layers get int16 activations (--int16-layers): chosen by measurement, none, or the named nodes. */
export type Int16Layers = { kind: 'auto' } | { kind: 'none' } | { kind: 'names'; names: string[] };

export interface QuantTechniques {
  /** --equalize / --no-equalize. */
  equalize: boolean;
  /** --bias-correction / --no-bias-correction. */
  biasCorrection: boolean;
  /** --optimize-rounding. */
  optimizeRounding: boolean;
  /** --int16-layers auto|none|NAMES. */
  int16Layers: Int16Layers;
}

/**
 * What a build does when the command line says nothing: the techniques that cost little compile time and never
 * made a model worse in `npm run bench:accuracy` (on its small-margin CNN, equalization alone takes the loss from
 * 0.70 to 0.05 points); learned rounding costs tens of seconds, so it is asked for.
 */
export const DEFAULT_TECHNIQUES: Readonly<QuantTechniques> = {
  equalize: true,
  biasCorrection: true,
  optimizeRounding: false,
  int16Layers: { kind: 'auto' },
};

/** No technique at all: plain post-training quantization (what each technique is measured against). */
export const NO_TECHNIQUES: Readonly<QuantTechniques> = {
  equalize: false,
  biasCorrection: false,
  optimizeRounding: false,
  int16Layers: { kind: 'none' },
};

/** `given` filled in with the defaults. */
export function resolveTechniques(given: Partial<QuantTechniques> | undefined): QuantTechniques {
  return { ...DEFAULT_TECHNIQUES, ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)) };
}
