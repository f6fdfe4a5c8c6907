// Activation range observers for post-training calibration: fed each activation tensor batch by batch (Float32Array)
// while the float reference runs the calibration inputs, they give the real range [min, max] that
// quant-params.ts turns into an int8 scale and zero point (real = scale * (q - zeroPoint)). Pure: no I/O.
//
// Methods, as TensorRT and onnxruntime (quantization/calibrate.py) name them:
//   minmax      the observed minimum and maximum.
//   percentile  a histogram of x (signed, onnxruntime's asymmetric mode); (100 - p) / 2 percent of the values
//               are cut on each side, p = 99.99 by default. Suits activations with rare outliers.
//   entropy     a 2048-bin histogram of |x| and the KL-divergence threshold search of TensorRT: the threshold T
//               whose 128-level quantization loses the least information, widened where clipping at T would cost
//               more than ENTROPY_GUARD_DB of squared error over the observed range (estimated from the same
//               histogram); the range is the observed one clipped to [-T, T].
//
// Histograms keep a fixed bin count over [-R, R) (or [0, R) for |x|); when a batch reaches R, adjacent bins merge
// in pairs and R doubles, so no data is kept and no batch needs to know the final range. R is always a power of
// two above the largest |x| seen, so the data spans between half and all of the bins, and histograms of parts of
// the calibration set (worker threads) merge into exactly the histogram of the whole, in any order.

import { EennError } from '../ir/diagnostics.js';

/** A real-valued range; min <= max. */
export interface Range {
  min: number;
  max: number;
}

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';

export interface ObserverOptions {
  method: CalibrationMethod;
  /** percentile: the share of values kept, in (0, 100]; default 99.99. */
  percentile?: number;
  /** Histogram bins: default 2048 (signed x for percentile, |x| for entropy), a multiple of 4. */
  bins?: number;
  /** entropy: the levels the reference distribution is quantized to; default 128 (int8, one side). */
  quantizedBins?: number;
  /**
   * Keep what all three methods need (MethodsObserver), so that their ranges can be compared after one pass; the
   * range given is still `method`'s.
   */
  compareMethods?: boolean;
}

/** What an observer has seen, as plain data (a worker thread posts it back; the parent merges it). */
export interface ObserverState {
  min: number;
  max: number;
  count: number;
  histogram?: HistogramState;
  /** MethodsObserver: its histogram of |x| (`histogram` is the signed one). */
  magnitudeHistogram?: HistogramState;
}

export interface HistogramState {
  counts: Float64Array;
  limit: number;
  pendingZeros: number;
}

/** Collects one activation tensor over the calibration batches and gives its range. */
export interface RangeObserver {
  readonly tensor: string;
  observe(batch: Float32Array): void;
  /** Everything observed so far, as plain data. */
  state(): ObserverState;
  /** Add what another observer of the same tensor and method saw (its `state()`). */
  merge(state: ObserverState): void;
  /** The calibrated range; throws E_DATA when no batch was observed. */
  range(): Range;
}

export const DEFAULT_PERCENTILE = 99.99;
export const DEFAULT_HISTOGRAM_BINS = 2048;
export const DEFAULT_QUANTIZED_BINS = 128;

/** An observer for `tensor` with the given method. */
export function createObserver(tensor: string, options: ObserverOptions = { method: 'minmax' }): RangeObserver {
  if (options.compareMethods) return new MethodsObserver(tensor, options);
  switch (options.method) {
    case 'minmax':
      return new MinMaxObserver(tensor);
    case 'percentile':
      return new PercentileObserver(tensor, options.percentile, options.bins);
    case 'entropy':
      return new EntropyObserver(tensor, options.bins, options.quantizedBins);
  }
}

function nonFiniteError(tensor: string, value: number): EennError {
  return new EennError({
    code: 'E_DATA',
    message: `calibration gives ${value} in tensor "${tensor}"`,
    hint: 'check the calibration inputs (NaN or infinite values) and that the float model does not overflow on them',
  });
}

/** Running minimum and maximum; throws E_DATA on NaN or infinity. */
export class MinMaxObserver implements RangeObserver {
  min = Infinity;
  max = -Infinity;
  count = 0;

  constructor(readonly tensor: string) {}

  observe(batch: Float32Array): void {
    let min = this.min;
    let max = this.max;
    for (let i = 0; i < batch.length; i++) {
      const x = batch[i]!;
      if (x - x !== 0) throw nonFiniteError(this.tensor, x); // NaN and +-Infinity give NaN
      if (x < min) min = x;
      if (x > max) max = x;
    }
    this.min = min;
    this.max = max;
    this.count += batch.length;
  }

  state(): ObserverState {
    return { min: this.min, max: this.max, count: this.count };
  }

  merge(state: ObserverState): void {
    this.min = Math.min(this.min, state.min);
    this.max = Math.max(this.max, state.max);
    this.count += state.count;
  }

  range(): Range {
    if (this.count === 0) {
      throw new EennError({
        code: 'E_DATA',
        message: `no calibration data reached tensor "${this.tensor}"`,
        hint: 'give calibration inputs with --calib',
      });
    }
    return { min: this.min, max: this.max };
  }
}

/**
 * A histogram with a fixed number of bins over [-R, R) (`signed`) or over [0, R) of |x|, R growing by doubling
 * (bins merged in pairs) when a batch exceeds it. Values equal to R land in the last bin.
 */
export class Histogram {
  readonly counts: Float64Array;
  /** Half-width (signed) or width (|x|) covered; 0 until a nonzero value arrives. */
  limit = 0;
  /** Values seen while the histogram has no extent yet (all zeros): they go to the zero bin later. */
  pendingZeros = 0;

  constructor(
    readonly bins: number,
    readonly signed: boolean,
  ) {
    if (bins < 8 || bins % 4 !== 0) throw new Error(`internal: histogram bins must be a multiple of 4, got ${bins}`);
    this.counts = zeroedCounts(bins);
  }

  get binWidth(): number {
    return ((this.signed ? 2 : 1) * this.limit) / this.bins;
  }

  /** Lower edge of bin i (i = bins gives the upper edge of the last bin). */
  edge(i: number): number {
    return (this.signed ? -this.limit : 0) + i * this.binWidth;
  }

  get total(): number {
    let sum = this.pendingZeros;
    for (let i = 0; i < this.bins; i++) sum += this.counts[i]!;
    return sum;
  }

  add(batch: Float32Array): void {
    let maxAbs = 0;
    for (let i = 0; i < batch.length; i++) {
      const a = Math.abs(batch[i]!);
      if (a > maxAbs) maxAbs = a;
    }
    if (this.limit === 0) {
      if (maxAbs === 0) {
        this.pendingZeros += batch.length;
        return;
      }
      this.start(powerOfTwoAbove(maxAbs));
    }
    while (maxAbs >= this.limit) this.grow();
    const low = this.signed ? -this.limit : 0;
    const perUnit = 1 / this.binWidth;
    const last = this.bins - 1;
    for (let i = 0; i < batch.length; i++) {
      const x = this.signed ? batch[i]! : Math.abs(batch[i]!);
      let bin = Math.floor((x - low) * perUnit);
      if (bin > last) bin = last;
      if (bin < 0) bin = 0;
      this.counts[bin]! += 1;
    }
  }

  /** Give the histogram its first extent; zeros seen before land in the zero bin. */
  private start(limit: number): void {
    this.limit = limit;
    this.counts[this.signed ? this.bins / 2 : 0]! += this.pendingZeros;
    this.pendingZeros = 0;
  }

  state(): HistogramState {
    return { counts: Float64Array.from(this.counts), limit: this.limit, pendingZeros: this.pendingZeros };
  }

  /** Add another histogram of the same bins and sign (its `state()`): the result is the histogram of both inputs. */
  merge(other: HistogramState): void {
    if (other.counts.length !== this.bins) throw new Error(`internal: merging histograms of ${other.counts.length} and ${this.bins} bins`);
    if (other.limit === 0) {
      if (this.limit === 0) this.pendingZeros += other.pendingZeros;
      else this.counts[this.signed ? this.bins / 2 : 0]! += other.pendingZeros;
      return;
    }
    if (this.limit === 0) this.start(other.limit);
    while (this.limit < other.limit) this.grow();
    const counts = reusedArray('merge', this.bins);
    counts.set(other.counts);
    for (let limit = other.limit; limit < this.limit; limit *= 2) growCounts(counts, this.signed);
    for (let i = 0; i < this.bins; i++) this.counts[i]! += counts[i]!;
  }

  /** Double the extent: merge bins in pairs; they move to the middle (signed) or the lower half (|x|). */
  private grow(): void {
    growCounts(this.counts, this.signed);
    this.limit *= 2;
  }
}

/** The smallest power of two strictly above x > 0. */
function powerOfTwoAbove(x: number): number {
  let p = 2 ** Math.floor(Math.log2(x));
  while (p <= x) p *= 2;
  while (p / 2 > x) p /= 2;
  return p;
}

/**
 * Zeroed counts for a new histogram, cut from a shared block: a model has one histogram per activation, and
 * thousands of small buffers allocated one by one make the garbage collector run over the whole heap again and
 * again (the block lives as long as its last histogram; state() copies, so nothing shares it beyond this thread).
 */
function zeroedCounts(bins: number): Float64Array {
  if (bins > COUNTS_BLOCK_LENGTH / 4) return new Float64Array(bins);
  if (!countsBlock || countsBlockUsed + bins > countsBlock.length) {
    countsBlock = new Float64Array(COUNTS_BLOCK_LENGTH);
    countsBlockUsed = 0;
  }
  countsBlockUsed += bins;
  return countsBlock.subarray(countsBlockUsed - bins, countsBlockUsed);
}

const COUNTS_BLOCK_LENGTH = 2048 * 64;
let countsBlock: Float64Array | undefined;
let countsBlockUsed = 0;

/** A working array of `length` numbers, the same one on every call with the same purpose and length (contents undefined). */
function reusedArray(purpose: 'merge' | 'grow', length: number): Float64Array {
  const key = `${purpose}:${length}`;
  let array = workingArrays.get(key);
  if (!array) {
    array = new Float64Array(length);
    workingArrays.set(key, array);
  }
  return array;
}

const workingArrays = new Map<string, Float64Array>();

/** Counts of a histogram of twice the extent: bins merged in pairs, to the middle (signed) or the lower half. */
function growCounts(counts: Float64Array, signed: boolean): void {
  const bins = counts.length;
  const half = bins / 2;
  const merged = reusedArray('grow', half);
  for (let j = 0; j < half; j++) merged[j] = counts[2 * j]! + counts[2 * j + 1]!;
  counts.fill(0);
  counts.set(merged, signed ? bins / 4 : 0);
}

/** An observer that keeps the running minimum and maximum and a histogram; the method reads its range from both. */
abstract class HistogramObserver implements RangeObserver {
  protected readonly minMax: MinMaxObserver;
  readonly histogram: Histogram;

  constructor(
    readonly tensor: string,
    bins: number,
    signed: boolean,
  ) {
    this.minMax = new MinMaxObserver(tensor);
    this.histogram = new Histogram(bins, signed);
  }

  observe(batch: Float32Array): void {
    this.minMax.observe(batch);
    this.histogram.add(batch);
  }

  state(): ObserverState {
    return { ...this.minMax.state(), histogram: this.histogram.state() };
  }

  merge(state: ObserverState): void {
    this.minMax.merge(state);
    if (state.histogram) this.histogram.merge(state.histogram);
  }

  abstract range(): Range;
}

/**
 * Percentile over a signed histogram, onnxruntime's asymmetric percentile: the lower edge of the bin where the
 * cumulative count first reaches (100 - p) / 200 of the total, the upper edge of the bin where it first reaches
 * 1 - (100 - p) / 200; then clipped to the observed range.
 */
export class PercentileObserver extends HistogramObserver {
  readonly percentile: number;

  constructor(tensor: string, percentile = DEFAULT_PERCENTILE, bins = DEFAULT_HISTOGRAM_BINS) {
    checkPercentile(percentile);
    super(tensor, bins, true);
    this.percentile = percentile;
  }

  range(): Range {
    return percentileRange(this.histogram, this.minMax.range(), this.percentile);
  }
}

/** Throws E_USAGE unless `percentile` is in (0, 100]. */
function checkPercentile(percentile: number): void {
  if (!(percentile > 0 && percentile <= 100)) {
    throw new EennError({
      code: 'E_USAGE',
      message: `percentile must be in (0, 100], got ${percentile}`,
      hint: 'give a percentile above 0 and at most 100, e.g. 99.99',
    });
  }
}

/** The percentile range (see PercentileObserver) of signed histogram `h` whose data spans `observed`. */
export function percentileRange(h: Histogram, observed: Range, percentile: number): Range {
  if (h.limit === 0) return observed;
  const total = h.total;
  const cut = ((100 - percentile) / 200) * total;
  let cumulative = 0;
  let left = 0;
  while (left < h.bins - 1 && cumulative + h.counts[left]! < cut) cumulative += h.counts[left++]!;
  cumulative = 0;
  let right = 0;
  while (right < h.bins - 1 && cumulative + h.counts[right]! < total - cut) cumulative += h.counts[right++]!;
  return {
    min: Math.max(observed.min, Math.min(h.edge(left), observed.max)),
    max: Math.min(observed.max, Math.max(h.edge(right + 1), observed.min)),
  };
}

/**
 * Entropy calibration: TensorRT's KL-divergence threshold search (S. Migacz, "8-bit Inference with TensorRT",
 * GTC 2017; the same loop as NVIDIA pytorch-quantization's `_compute_amax_entropy`; onnxruntime's
 * CalibrationMethod.Entropy runs it on a signed histogram around zero). Over a histogram of |x| with bins
 * b[0..N): for each candidate i from `quantizedBins` to N, P = b[0..i) with the outliers b[i..N) added to
 * P[i-1]; Q = b[0..i) merged into `quantizedBins` groups, each group's count spread evenly over its nonempty
 * bins; the divergence is KL(P || Q) after normalizing both. T is the upper edge of bin i-1 for the i with
 * the least divergence (the last one on ties, as pytorch-quantization); then widened by the error guard
 * (guardedThresholdBins), since the divergence alone can clip far too much.
 */
export class EntropyObserver extends HistogramObserver {
  constructor(
    tensor: string,
    bins = DEFAULT_HISTOGRAM_BINS,
    readonly quantizedBins = DEFAULT_QUANTIZED_BINS,
  ) {
    super(tensor, bins, false);
  }

  /** The |x| threshold T chosen by the KL search; the largest |x| when there is too little resolution to search. */
  threshold(): number {
    return entropyThreshold(this.histogram, this.minMax.range(), this.quantizedBins);
  }

  range(): Range {
    return entropyRange(this.histogram, this.minMax.range(), this.quantizedBins);
  }
}

/** The |x| threshold T of the entropy method (see EntropyObserver) over |x| histogram `h` of data spanning `observed`. */
export function entropyThreshold(h: Histogram, observed: Range, quantizedBins: number): number {
  if (h.limit === 0) return 0;
  // A tensor that is never negative (a ReLU output) gets all 255 asymmetric int8 steps over [0, T], not 128.
  // Its first bin (the zeros that are most of a ReLU output) says nothing about where to clip, and would dominate
  // the divergence: it is left out of the search.
  const nonNegative = observed.min >= 0;
  const counts = nonNegative ? Float64Array.from(h.counts, (c, i) => (i === 0 ? 0 : c)) : h.counts;
  const t = klThreshold(counts, nonNegative ? 2 * quantizedBins : quantizedBins);
  if (t === undefined) return h.limit;
  return h.edge(guardedThresholdBins(h, observed, t));
}

/** The entropy range: the `observed` range clipped to [-T, T], T from entropyThreshold. */
export function entropyRange(h: Histogram, observed: Range, quantizedBins: number): Range {
  const t = entropyThreshold(h, observed, quantizedBins);
  return { min: Math.max(observed.min, -t), max: Math.min(observed.max, t) };
}

/** Every calibration method, in the order reports list them. */
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

/**
 * An observer that keeps what every method needs from one pass over the calibration data: the observed range, a
 * signed histogram (percentile) and a histogram of |x| (entropy). It gives each method's range, exactly what that
 * method's own observer would give, and `range()` gives the range of `options.method`.
 */
export class MethodsObserver implements RangeObserver {
  private readonly minMax: MinMaxObserver;
  /** The signed histogram (percentile's), over which the ranges' expected errors compare. */
  readonly signed: Histogram;
  private readonly magnitude: Histogram;

  constructor(
    readonly tensor: string,
    private readonly options: ObserverOptions,
  ) {
    const bins = options.bins ?? DEFAULT_HISTOGRAM_BINS;
    this.minMax = new MinMaxObserver(tensor);
    this.signed = new Histogram(bins, true);
    this.magnitude = new Histogram(bins, false);
    checkPercentile(options.percentile ?? DEFAULT_PERCENTILE);
  }

  observe(batch: Float32Array): void {
    this.minMax.observe(batch);
    this.signed.add(batch);
    this.magnitude.add(batch);
  }

  state(): ObserverState {
    return { ...this.minMax.state(), histogram: this.signed.state(), magnitudeHistogram: this.magnitude.state() };
  }

  merge(state: ObserverState): void {
    this.minMax.merge(state);
    if (state.histogram) this.signed.merge(state.histogram);
    if (state.magnitudeHistogram) this.magnitude.merge(state.magnitudeHistogram);
  }

  /** The observed range (minmax's); throws E_DATA when no batch was observed. */
  observed(): Range {
    return this.minMax.range();
  }

  /** The range each method gives. */
  ranges(): Record<CalibrationMethod, Range> {
    const observed = this.minMax.range();
    return {
      minmax: observed,
      percentile: percentileRange(this.signed, observed, this.options.percentile ?? DEFAULT_PERCENTILE),
      entropy: entropyRange(this.magnitude, observed, this.options.quantizedBins ?? DEFAULT_QUANTIZED_BINS),
    };
  }

  range(): Range {
    return this.ranges()[this.options.method];
  }
}

/**
 * How much more squared error (in dB) than the observed range the KL threshold may cost before it is widened.
 * The KL divergence ignores how far clipped values lie beyond the threshold, so it can clip data that matters:
 * a spike (pixels of an image at exactly 1 above a gap; P and Q then both sit in one bin and agree perfectly) or
 * a tail that holds much of the signal. Within this bound of minmax the KL choice stands, so cutting a long tail,
 * which lowers the error, is kept.
 */
export const ENTROPY_GUARD_DB = 1;

/** int8 steps across an asymmetric range (255 = 127 - (-128)). */
const INT8_STEPS = 255;

/**
 * Expected squared error of quantizing the data in |x| histogram `h` to int8 over the observed range clipped to
 * [-T, T]: each value below T costs the rounding noise of a uniform step (step^2 / 12), or its own square when
 * that is smaller (values near 0, which is exact); each value above T costs its distance to T squared. Values
 * stand at their bin's center.
 */
export function expectedClipError(h: Histogram, observed: Range, threshold: number): number {
  const lo = Math.min(0, Math.max(observed.min, -threshold));
  const hi = Math.max(0, Math.min(observed.max, threshold));
  return histogramError(h, (j) => (j + 0.5) * h.binWidth, { min: -threshold, max: threshold }, (hi - lo) / INT8_STEPS);
}

/**
 * Expected squared error of quantizing the data in signed histogram `h` (data spanning `observed`) to int8 over
 * `range`, by the same model as expectedClipError: values inside cost the rounding noise of a uniform step (or
 * their own square near 0), values outside their distance to the range squared. Values stand at their bin's center,
 * held within `observed` (the bins at the ends hold no value beyond it). Any range can be compared this way: an
 * asymmetric percentile cut as well as a symmetric threshold.
 */
export function expectedRangeError(h: Histogram, observed: Range, range: Range): number {
  if (!h.signed) throw new Error('internal: expectedRangeError needs a signed histogram');
  const step = (Math.max(0, range.max) - Math.min(0, range.min)) / INT8_STEPS;
  const center = (j: number): number => Math.min(observed.max, Math.max(observed.min, -h.limit + (j + 0.5) * h.binWidth));
  return histogramError(h, center, range, step);
}

/** The summed valueError of every value in `h` (standing at `center` of its bin) over `bounds`, with int8 step `step`. */
function histogramError(h: Histogram, center: (bin: number) => number, bounds: Range, step: number): number {
  const rounding = (step * step) / 12;
  let error = 0;
  for (let j = 0; j < h.bins; j++) {
    const count = h.counts[j]!;
    if (count !== 0) error += count * valueError(center(j), bounds.min, bounds.max, rounding);
  }
  return error;
}

/** Squared error of a value x quantized over [lo, hi] with rounding noise `rounding`: see expectedClipError. */
function valueError(x: number, lo: number, hi: number, rounding: number): number {
  if (x > hi) return (x - hi) ** 2;
  if (x < lo) return (lo - x) ** 2;
  return Math.min(rounding, x * x);
}

/**
 * The KL choice `klBins` (bins kept below the threshold) widened, when its expected error exceeds the observed
 * range's by more than ENTROPY_GUARD_DB, to the fewest bins whose expected error is within that bound.
 */
function guardedThresholdBins(h: Histogram, observed: Range, klBins: number): number {
  const bound = expectedClipError(h, observed, h.limit) * 10 ** (ENTROPY_GUARD_DB / 10);
  for (let i = klBins; i < h.bins; i++) if (expectedClipError(h, observed, h.edge(i)) <= bound) return i;
  return h.bins;
}

/**
 * TensorRT's KL-divergence search over histogram `counts` (see EntropyObserver). Returns the number of bins i
 * kept below the threshold (threshold = i * binWidth), or undefined when the data occupies no more than
 * `quantizedBins` bins (no clipping can help).
 */
export function klThreshold(counts: Float64Array, quantizedBins: number): number | undefined {
  let used = counts.length;
  while (used > 0 && counts[used - 1] === 0) used--;
  if (used <= quantizedBins) return undefined;

  const suffix = new Float64Array(counts.length + 1); // suffix[i] = sum of counts[i..]
  for (let i = counts.length - 1; i >= 0; i--) suffix[i] = suffix[i + 1]! + counts[i]!;
  const groupSum = new Float64Array(quantizedBins);
  const groupNonzero = new Float64Array(quantizedBins);

  let best = -1;
  let bestDivergence = Infinity;
  for (let i = quantizedBins; i <= used; i++) {
    groupSum.fill(0);
    groupNonzero.fill(0);
    for (let j = 0; j < i; j++) {
      const g = Math.floor((j * quantizedBins) / i);
      groupSum[g]! += counts[j]!;
      if (counts[j] !== 0) groupNonzero[g]! += 1;
    }
    // Both P and Q sum to the same total: P holds b[0..i) plus the outliers, Q holds b[0..i) spread.
    const pTotal = suffix[0]!;
    const qTotal = pTotal - suffix[i]!;
    let divergence = 0;
    for (let j = 0; j < i && divergence !== Infinity; j++) {
      const p = j === i - 1 ? counts[j]! + suffix[i]! : counts[j]!;
      if (p === 0) continue;
      const g = Math.floor((j * quantizedBins) / i);
      const q = counts[j] !== 0 ? groupSum[g]! / groupNonzero[g]! : 0;
      if (q === 0) {
        divergence = Infinity;
        break;
      }
      const pn = p / pTotal;
      divergence += pn * Math.log(pn / (q / qTotal));
    }
    if (divergence !== Infinity && divergence <= bestDivergence) {
      bestDivergence = divergence;
      best = i;
    }
  }
  return best < 0 ? used : best;
}
