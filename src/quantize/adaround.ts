// Learned rounding of one layer's int8 weights (AdaRound: Nagel et al. 2020, "Up or Down? Adaptive Rounding for
// Post-Training Quantization"). The scales are those of symmetric per-channel quantization (quant-params.ts); only
// whether each weight rounds down or up is learned, so that the layer's output on sampled inputs moves least.
// Pure: src/optimize-rounding.ts gathers the inputs and runs one layer per worker thread.
//
// For each weight w of channel c (scale s), x = w / s is rounded to floor(x) + h, h in {0, 1}. h is relaxed to
// h(V) = clip(sigmoid(V) (ZETA - GAMMA) + GAMMA, 0, 1), starts at frac(x) (h = x - floor(x): the float weight) and
// minimises by Adam, on mini-batches of input rows,
//   loss = sum_c ||(x_c - floor(x_c) - h_c) . rows||^2 / (rows * power) + LAMBDA * sum (1 - |2h - 1|^beta)
// where beta falls from BETA_START to BETA_END after a warm-up without the second term, which pushes every h to 0
// or 1; at the end h = [h(V) >= 1/2]. The first term is ||W x - W~ x||^2 / rows of the paper measured in each
// channel's weight steps (divided by s_c^2) and in the layer's mean squared input (power): the channels are
// independent problems, so this changes only how much LAMBDA weighs in each, and one LAMBDA then suits every layer
// and every model whatever the size of its weights and activations.

import { seededRandom } from '../util/random.js';
import { WEIGHT_MAX } from './quant-params.js';

/** Stretch of the rectified sigmoid beyond [0, 1] (the paper's zeta and gamma): h reaches 0 and 1 at finite V. */
const ZETA = 1.1;
const GAMMA = -0.1;
/** Adam steps per layer: enough for the rounding decisions to settle on the layers of a small CNN. */
const ITERATIONS = 600;
/** The first fifth of the steps fits the output alone (the paper's warm-up), before the push to 0 or 1 begins. */
const WARM_UP_FRACTION = 0.2;
/** The exponent of the rounding regularizer: high at first (only h near 1/2 is pushed), low at the end (all are). */
const BETA_START = 20;
const BETA_END = 2;
/**
 * Weight of the rounding regularizer against the output error in weight steps. Above the paper's 0.01 (its output
 * term is in the layer's own units): weaker, many h end near 1/2 and the final rounding undoes what was learned;
 * 0.1 to 1 gave the lowest output errors on correlated inputs.
 */
const LAMBDA = 0.3;
/** Adam's step size on V: V moves by about this much per step, so a decision can flip within a few hundred steps. */
const LEARNING_RATE = 0.02;
/** Adam's decay rates and epsilon (Kingma and Ba's defaults). */
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;
/** Input rows per Adam step (the paper uses 32 images; a row here is one output position). */
const BATCH_ROWS = 32;
/** Seed of the mini-batch draws: the same layer gets the same rounding on every run. */
const SEED = 0x5eed;

/** One layer's rounding problem: weights laid out [channels, fanIn], each group's channels reading its own rows. */
export interface RoundingProblem {
  /** The float weights, [channels, fanIn] (a Conv's [M, C/group, kH, kW]; a fully connected layer's [N, K]). */
  weights: Float32Array;
  /** Per-channel scales (quantizeWeightsPerChannel's). */
  scales: Float32Array;
  /** Round-to-nearest weights with these scales (quantizeWeightsPerChannel's), [channels, fanIn]. */
  nearest: Int8Array;
  channels: number;
  fanIn: number;
  /** Channel c reads group floor(c / (channels / groups)) of each row. */
  groups: number;
  /** The layer's inputs, [rows, groups, fanIn]: im2col rows of a Conv, input rows of a fully connected layer. */
  inputs: Float32Array;
  rows: number;
}

/** Learned rounding of one layer, and the output error it and nearest rounding give on the problem's rows. */
export interface RoundingResult {
  /** The int8 weights, [channels, fanIn]: each within one step of w / s and within [-127, 127]. */
  q: Int8Array;
  /** ||W x - W~ x||^2 / rows with nearest rounding. */
  nearestError: number;
  /** The same with the rounding returned (never above nearestError: nearest is kept if learning did not help). */
  learnedError: number;
}

/** The rectified sigmoid h(V), unclipped (clip it to [0, 1] for the value; outside it the gradient is zero). */
function stretchedSigmoid(v: number): number {
  return (ZETA - GAMMA) / (1 + Math.exp(-v)) + GAMMA;
}

/** Where the unclipped h(V) reaches 1 and 0: beyond them h is clipped and its gradient is zero. */
const V_AT_ONE = Math.log((1 - GAMMA) / (ZETA - 1));
const V_AT_ZERO = -Math.log(ZETA / -GAMMA);

/** The V whose h(V) is `h` (0 < h < 1). */
function inverseStretchedSigmoid(h: number): number {
  const p = (h - GAMMA) / (ZETA - GAMMA);
  return Math.log(p / (1 - p));
}

/** The regularizer's beta at step `t`: BETA_START right after the warm-up, falling linearly to BETA_END. */
function betaAt(t: number, warmUp: number): number {
  const progress = (t - warmUp) / Math.max(1, ITERATIONS - warmUp);
  return BETA_END + (BETA_START - BETA_END) * (1 - progress);
}

/** ||W x - s q x||^2 / rows over every row of the problem (the true output error of int8 weights `q`). */
export function outputError(problem: RoundingProblem, q: Int8Array): number {
  const { weights, scales, channels, fanIn, groups, inputs, rows } = problem;
  const perGroup = channels / groups;
  const diff = new Float64Array(channels * fanIn);
  for (let c = 0; c < channels; c++) {
    for (let k = 0; k < fanIn; k++) diff[c * fanIn + k] = weights[c * fanIn + k]! - scales[c]! * q[c * fanIn + k]!;
  }
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < channels; c++) {
      const x = (r * groups + Math.floor(c / perGroup)) * fanIn;
      const w = c * fanIn;
      let e = 0;
      for (let k = 0; k < fanIn; k++) e += diff[w + k]! * inputs[x + k]!;
      sum += e * e;
    }
  }
  return rows > 0 ? sum / rows : 0;
}

/** The nonzero entries of each row of a [count, length] matrix (inputs after ReLU or padding are often half zeros). */
interface SparseRows {
  /** Row r's entries are start[r] .. start[r + 1] - 1 of index (column) and value. */
  start: Int32Array;
  index: Int32Array;
  value: Float32Array;
}

function nonZeros(matrix: Float32Array, count: number, length: number): SparseRows {
  const start = new Int32Array(count + 1);
  for (let r = 0; r < count; r++) {
    let n = 0;
    for (let k = 0; k < length; k++) if (matrix[r * length + k] !== 0) n++;
    start[r + 1] = start[r]! + n;
  }
  const index = new Int32Array(start[count]!);
  const value = new Float32Array(start[count]!);
  for (let r = 0, j = 0; r < count; r++) {
    for (let k = 0; k < length; k++) {
      const x = matrix[r * length + k]!;
      if (x !== 0) {
        index[j] = k;
        value[j++] = x;
      }
    }
  }
  return { start, index, value };
}

/**
 * Learn whether each weight of `problem` rounds down or up (AdaRound, see the top of this file). A weight that is
 * already on the grid (w / s an integer, zeros included: sparse weights stay sparse) or whose upward rounding
 * would leave [-127, 127] keeps its nearest rounding.
 */
export function learnRounding(problem: RoundingProblem): RoundingResult {
  const { weights, scales, nearest, channels, fanIn, groups, inputs, rows } = problem;
  const size = channels * fanIn;
  const perGroup = channels / groups;
  const floor = new Float64Array(size);
  const exact = new Float64Array(size);
  const learnable = new Uint8Array(size);
  const v = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const x = Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, weights[i]! / scales[Math.floor(i / fanIn)]!));
    exact[i] = x;
    floor[i] = Math.floor(x);
    const rest = x - floor[i]!;
    if (rest > 0 && floor[i]! + 1 <= WEIGHT_MAX) {
      learnable[i] = 1;
      v[i] = inverseStretchedSigmoid(rest);
    }
  }
  let power = 0;
  for (let i = 0; i < rows * groups * fanIn; i++) power += inputs[i]! * inputs[i]!;
  power /= rows * groups * fanIn;
  const nearestError = outputError(problem, nearest);
  if (!(power > 0) || !learnable.includes(1)) return { q: nearest, nearestError, learnedError: nearestError };

  const random = seededRandom(SEED);
  const batch = Math.min(BATCH_ROWS, rows);
  const warmUp = Math.round(WARM_UP_FRACTION * ITERATIONS);
  const h = new Float64Array(size);
  const slope = new Float64Array(size);
  const residual = new Float64Array(size);
  const grad = new Float64Array(size);
  const m = new Float64Array(size);
  const s = new Float64Array(size);
  const picked = new Int32Array(batch);
  const sparse = nonZeros(inputs, rows * groups, fanIn);
  const groupOf = Int32Array.from({ length: channels }, (_, c) => Math.floor(c / perGroup));
  for (let t = 0; t < ITERATIONS; t++) {
    // h(V), dh/dV, and the rounding residual x - q~ in steps (a fixed weight's residual is its nearest rounding's).
    for (let i = 0; i < size; i++) {
      if (learnable[i] && (v[i]! >= V_AT_ONE || v[i]! <= V_AT_ZERO)) {
        // h is clipped to 1 or 0 and its gradient is zero: no exponential needed.
        h[i] = v[i]! > 0 ? 1 : 0;
        slope[i] = 0;
        residual[i] = exact[i]! - floor[i]! - h[i]!;
      } else if (learnable[i]) {
        const raw = stretchedSigmoid(v[i]!);
        const hi = raw < 0 ? 0 : raw > 1 ? 1 : raw;
        h[i] = hi;
        const sig = (raw - GAMMA) / (ZETA - GAMMA);
        slope[i] = raw > 0 && raw < 1 ? (ZETA - GAMMA) * sig * (1 - sig) : 0;
        residual[i] = exact[i]! - floor[i]! - hi;
      } else residual[i] = exact[i]! - nearest[i]!;
    }
    for (let b = 0; b < batch; b++) picked[b] = batch === rows ? b : Math.floor(random() * rows);
    // Gradient of the output term with respect to h: -2 e x / (batch power) for each row's error e in steps.
    grad.fill(0);
    const factor = -2 / (batch * power);
    for (let b = 0; b < batch; b++) {
      const row = picked[b]! * groups;
      for (let c = 0; c < channels; c++) {
        const first = sparse.start[row + groupOf[c]!]!;
        const end = sparse.start[row + groupOf[c]! + 1]!;
        const w = c * fanIn;
        let e = 0;
        for (let j = first; j < end; j++) e += residual[w + sparse.index[j]!]! * sparse.value[j]!;
        const coefficient = factor * e;
        for (let j = first; j < end; j++) grad[w + sparse.index[j]!]! += coefficient * sparse.value[j]!;
      }
    }
    const beta = t >= warmUp ? betaAt(t, warmUp) : 0;
    const correction1 = 1 - ADAM_BETA1 ** (t + 1);
    const correction2 = 1 - ADAM_BETA2 ** (t + 1);
    for (let i = 0; i < size; i++) {
      if (!learnable[i]) continue;
      let g = 0;
      if (slope[i] !== 0) {
        g = grad[i]!;
        if (beta > 0) {
          // d/dh of LAMBDA (1 - |2h - 1|^beta).
          const r = 2 * h[i]! - 1;
          g -= LAMBDA * 2 * beta * Math.sign(r) * Math.abs(r) ** (beta - 1);
        }
        g *= slope[i]!;
      }
      m[i] = ADAM_BETA1 * m[i]! + (1 - ADAM_BETA1) * g;
      s[i] = ADAM_BETA2 * s[i]! + (1 - ADAM_BETA2) * g * g;
      v[i]! -= (LEARNING_RATE * (m[i]! / correction1)) / (Math.sqrt(s[i]! / correction2) + ADAM_EPSILON);
    }
  }
  // h(V) >= 1/2 exactly where sigmoid(V) >= 1/2, that is V >= 0.
  const q = new Int8Array(size);
  for (let i = 0; i < size; i++) q[i] = learnable[i] ? floor[i]! + (v[i]! >= 0 ? 1 : 0) : nearest[i]!;
  const learnedError = outputError(problem, q);
  return learnedError <= nearestError ? { q, nearestError, learnedError } : { q: nearest, nearestError, learnedError: nearestError };
}
