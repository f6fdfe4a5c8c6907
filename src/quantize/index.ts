// The quantize stage's public surface: int8 arithmetic (bit-exact with templates/c/runtime/eenn_fixedpoint.h),
// requantization multipliers, calibration observers and quantization parameters. real = scale * (q - zeroPoint).

export * from './fixedpoint.js';
export * from './multiplier.js';
export * from './calibrate.js';
export * from './quant-params.js';
