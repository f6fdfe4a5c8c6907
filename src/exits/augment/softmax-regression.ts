// Softmax regression (multinomial logistic regression with L2) for an exit head: features standardised, fitted by
// L-BFGS in double precision, and the standardisation folded back into the weights, so the head is one Gemm.
// Deterministic: the same features and labels give the same weights, bit for bit, on any machine running Node.

/** Features of n samples, row-major [n, dims], and their class labels. */
export interface TrainingSet {
  features: Float32Array;
  labels: Int32Array;
  dims: number;
  classes: number;
}

export interface RegressionOptions {
  /** L2 penalty on the standardised weights, per sample (default 1e-3). */
  l2?: number;
  /** L-BFGS iterations at most (default 150). */
  iterations?: number;
}

/** A fitted head: logits = weights · x + bias, weights row-major [classes, dims] (ONNX Gemm with transB = 1). */
export interface SoftmaxModel {
  weights: Float32Array;
  bias: Float32Array;
  dims: number;
  classes: number;
}

const DEFAULT_L2 = 1e-3;
const DEFAULT_ITERATIONS = 150;
/** Pairs of steps L-BFGS remembers. */
const HISTORY = 8;
/** Features whose spread is below this are constant: standardised to zero rather than divided by ~0. */
const MIN_STD = 1e-6;
/**
 * A feature's spread is taken as at least this share of the mean spread: a feature that hardly varies (a pixel at
 * the image's border) would otherwise get a weight hundreds of times the others once the standardisation is folded
 * in, and the int8 build, quantizing each row of weights to its largest, would round the others away.
 */
const STD_FLOOR_SHARE = 0.25;

/** Fit softmax regression to `set`. */
export function trainSoftmax(set: TrainingSet, options: RegressionOptions = {}): SoftmaxModel {
  const { dims, classes } = set;
  const n = set.labels.length;
  const { mean, invStd } = standardisation(set.features, n, dims);
  const x = new Float64Array(n * dims);
  for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) x[i * dims + d] = (set.features[i * dims + d]! - mean[d]!) * invStd[d]!;
  const l2 = options.l2 ?? DEFAULT_L2;
  // Parameters: weights [classes, dims] then bias [classes].
  const params = minimiseLbfgs(
    (p, grad) => lossAndGradient(x, set.labels, n, dims, classes, l2, p, grad),
    (dims + 1) * classes,
    options.iterations ?? DEFAULT_ITERATIONS,
  );
  // Fold the standardisation: w · (x - mean) * invStd + b = (w * invStd) · x + (b - sum w * invStd * mean).
  const weights = new Float32Array(classes * dims);
  const bias = new Float32Array(classes);
  for (let c = 0; c < classes; c++) {
    let b = params[classes * dims + c]!;
    for (let d = 0; d < dims; d++) {
      const w = params[c * dims + d]! * invStd[d]!;
      weights[c * dims + d] = w;
      b -= w * mean[d]!;
    }
    bias[c] = b;
  }
  return { weights, bias, dims, classes };
}

/** Logits of one sample (row `i` of `features`) under `model`. */
export function logitsOf(model: SoftmaxModel, features: Float32Array, i: number): Float64Array {
  const out = new Float64Array(model.classes);
  for (let c = 0; c < model.classes; c++) {
    let s = model.bias[c]!;
    for (let d = 0; d < model.dims; d++) s += model.weights[c * model.dims + d]! * features[i * model.dims + d]!;
    out[c] = s;
  }
  return out;
}

function standardisation(features: Float32Array, n: number, dims: number): { mean: Float64Array; invStd: Float64Array } {
  const mean = new Float64Array(dims);
  const invStd = new Float64Array(dims);
  for (let i = 0; i < n; i++) for (let d = 0; d < dims; d++) mean[d]! += features[i * dims + d]!;
  for (let d = 0; d < dims; d++) mean[d]! /= Math.max(1, n);
  for (let i = 0; i < n; i++) {
    for (let d = 0; d < dims; d++) {
      const v = features[i * dims + d]! - mean[d]!;
      invStd[d]! += v * v;
    }
  }
  const stds = Array.from(invStd, (v) => Math.sqrt(v / Math.max(1, n)));
  const varying = stds.filter((std) => std >= MIN_STD);
  const floor = (STD_FLOOR_SHARE * varying.reduce((sum, std) => sum + std, 0)) / Math.max(1, varying.length);
  stds.forEach((std, d) => (invStd[d] = std < MIN_STD ? 0 : 1 / Math.max(std, floor)));
  return { mean, invStd };
}

/** Mean cross-entropy plus l2/2 |w|^2 (bias not penalised); writes the gradient into `grad`. */
function lossAndGradient(
  x: Float64Array,
  labels: Int32Array,
  n: number,
  dims: number,
  classes: number,
  l2: number,
  p: Float64Array,
  grad: Float64Array,
): number {
  grad.fill(0);
  const logits = new Float64Array(classes);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const row = i * dims;
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let s = p[classes * dims + c]!;
      const w = c * dims;
      for (let d = 0; d < dims; d++) s += p[w + d]! * x[row + d]!;
      logits[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      logits[c] = Math.exp(logits[c]! - max);
      sum += logits[c]!;
    }
    const label = labels[i]!;
    loss -= Math.log(logits[label]! / sum);
    for (let c = 0; c < classes; c++) {
      const g = (logits[c]! / sum - (c === label ? 1 : 0)) / n;
      if (g === 0) continue;
      const w = c * dims;
      for (let d = 0; d < dims; d++) grad[w + d]! += g * x[row + d]!;
      grad[classes * dims + c]! += g;
    }
  }
  loss /= n;
  for (let k = 0; k < classes * dims; k++) {
    loss += 0.5 * l2 * p[k]! * p[k]!;
    grad[k]! += l2 * p[k]!;
  }
  return loss;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** L-BFGS from zero with a backtracking (Armijo) line search; stops when the loss no longer falls. */
function minimiseLbfgs(f: (p: Float64Array, grad: Float64Array) => number, size: number, iterations: number): Float64Array {
  let p = new Float64Array(size);
  let grad = new Float64Array(size);
  let loss = f(p, grad);
  const steps: Float64Array[] = [];
  const changes: Float64Array[] = [];
  const rhos: number[] = [];
  for (let iter = 0; iter < iterations; iter++) {
    // Two-loop recursion: direction = -H grad.
    const q = Float64Array.from(grad);
    const alphas: number[] = [];
    for (let k = steps.length - 1; k >= 0; k--) {
      const a = rhos[k]! * dot(steps[k]!, q);
      alphas[k] = a;
      const y = changes[k]!;
      for (let j = 0; j < size; j++) q[j]! -= a * y[j]!;
    }
    if (steps.length > 0) {
      const last = steps.length - 1;
      const gamma = dot(steps[last]!, changes[last]!) / dot(changes[last]!, changes[last]!);
      for (let j = 0; j < size; j++) q[j]! *= gamma;
    }
    for (let k = 0; k < steps.length; k++) {
      const b = rhos[k]! * dot(changes[k]!, q);
      const s = steps[k]!;
      for (let j = 0; j < size; j++) q[j]! += s[j]! * (alphas[k]! - b);
    }
    for (let j = 0; j < size; j++) q[j] = -q[j]!;
    let slope = dot(q, grad);
    if (!(slope < 0)) {
      // Not a descent direction: restart from the gradient.
      steps.length = changes.length = rhos.length = 0;
      for (let j = 0; j < size; j++) q[j] = -grad[j]!;
      slope = dot(q, grad);
    }
    let t = steps.length === 0 ? 1 / Math.max(1, Math.sqrt(-slope)) : 1;
    const next = new Float64Array(size);
    const nextGrad = new Float64Array(size);
    let nextLoss = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let j = 0; j < size; j++) next[j] = p[j]! + t * q[j]!;
      nextLoss = f(next, nextGrad);
      if (nextLoss <= loss + 1e-4 * t * slope) break;
      t /= 2;
    }
    if (!(nextLoss < loss)) break;
    const s = new Float64Array(size);
    const y = new Float64Array(size);
    for (let j = 0; j < size; j++) {
      s[j] = next[j]! - p[j]!;
      y[j] = nextGrad[j]! - grad[j]!;
    }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      steps.push(s);
      changes.push(y);
      rhos.push(1 / sy);
      if (steps.length > HISTORY) {
        steps.shift();
        changes.shift();
        rhos.shift();
      }
    }
    const done = loss - nextLoss < 1e-9 * Math.max(1, Math.abs(loss));
    p = next;
    grad = nextGrad;
    loss = nextLoss;
    if (done) break;
  }
  return p;
}
