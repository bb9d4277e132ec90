/**
 * L2-regularised logistic regression fitted by Newton's method (iteratively reweighted least
 * squares) with a backtracking line search: with a few dozen features, one Hessian per step costs
 * little and the fit is exact and deterministic (no learning rate, no shuffling, no seed).
 *
 * Features are standardised for the fit (so one penalty suits every feature's scale) and the
 * standardisation is folded back into the weights, so the model applies to raw features:
 *   p = sigmoid(intercept + Σ weights[j]·x[j]).
 * The weights are rounded to float32, the precision the ONNX export carries, so the TypeScript
 * prediction and onnxruntime's agree.
 */

export interface LogisticModel {
  kind: "logistic";
  /** One weight per raw (unstandardised) feature, float32-exact. */
  weights: number[];
  /** float32-exact */
  intercept: number;
}

export interface LogisticOptions {
  /** Penalty λ in Σ logloss + λ/2·‖w‖² on the standardised weights (the intercept is free). */
  l2: number;
  maxIterations: number;
  /** Stop when the Newton decrement (gᵀH⁻¹g / 2) falls below this. */
  tolerance: number;
}

export const DEFAULT_LOGISTIC_OPTIONS: LogisticOptions = { l2: 1, maxIterations: 100, tolerance: 1e-10 };

export interface LogisticFit {
  model: LogisticModel;
  iterations: number;
  converged: boolean;
  /** The penalised objective at the solution, on standardised features. */
  objective: number;
}

export const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

export function predictLogistic(model: LogisticModel, x: ArrayLike<number>): number {
  let z = model.intercept;
  for (let j = 0; j < model.weights.length; j++) z += model.weights[j]! * x[j]!;
  return sigmoid(z);
}

export function fitLogistic(rows: ArrayLike<number>[], labels: ArrayLike<number>, options: Partial<LogisticOptions> = {}): LogisticFit {
  const { l2, maxIterations, tolerance } = { ...DEFAULT_LOGISTIC_OPTIONS, ...options };
  const n = rows.length;
  if (n === 0) throw new Error("logistic regression needs at least one row");
  if (labels.length !== n) throw new Error(`logistic regression got ${n} rows but ${labels.length} labels`);
  if (!(l2 >= 0)) throw new Error(`l2 must be >= 0, got ${l2}`);
  const d = rows[0]!.length;
  for (let i = 0; i < n; i++) {
    if (rows[i]!.length !== d) throw new Error(`row ${i} has ${rows[i]!.length} features, expected ${d}`);
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new Error(`label ${i} must be 0 or 1, got ${y}`);
  }

  // Standardised design matrix with a leading column of ones, row-major.
  const mean = new Float64Array(d);
  const sd = new Float64Array(d);
  for (const row of rows) for (let j = 0; j < d; j++) mean[j]! += row[j]! / n;
  for (const row of rows) for (let j = 0; j < d; j++) sd[j]! += (row[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) sd[j] = sd[j]! > 1e-24 ? Math.sqrt(sd[j]!) : 1;
  const k = d + 1;
  const X = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    X[i * k] = 1;
    for (let j = 0; j < d; j++) X[i * k + j + 1] = (rows[i]![j]! - mean[j]!) / sd[j]!;
  }

  // A tiny ridge keeps the Hessian invertible when λ = 0 and a column is constant.
  const ridge = Math.max(l2, 1e-9);
  const objective = (beta: Float64Array) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < k; j++) z += X[i * k + j]! * beta[j]!;
      f += labels[i] === 1 ? softplus(-z) : softplus(z);
    }
    for (let j = 1; j < k; j++) f += (l2 / 2) * beta[j]! ** 2;
    return f;
  };

  let beta = new Float64Array(k);
  let current = objective(beta);
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    iterations++;
    const grad = new Float64Array(k);
    const hess = new Float64Array(k * k);
    for (let i = 0; i < n; i++) {
      let z = 0;
      for (let j = 0; j < k; j++) z += X[i * k + j]! * beta[j]!;
      const p = sigmoid(z);
      const r = p - labels[i]!;
      const w = p * (1 - p);
      for (let a = 0; a < k; a++) {
        const xa = X[i * k + a]!;
        grad[a]! += r * xa;
        const wxa = w * xa;
        for (let b = 0; b <= a; b++) hess[a * k + b]! += wxa * X[i * k + b]!;
      }
    }
    for (let a = 1; a < k; a++) {
      grad[a]! += l2 * beta[a]!;
      hess[a * k + a]! += ridge;
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) hess[b * k + a] = hess[a * k + b]!;
    const step = solveSpd(hess, grad, k);
    let decrement = 0;
    for (let j = 0; j < k; j++) decrement += grad[j]! * step[j]!;
    if (decrement / 2 < tolerance) {
      converged = true;
      break;
    }
    // Backtracking: a full Newton step can overshoot when the data are (nearly) separable.
    let t = 1;
    let next = beta;
    let nextValue = current;
    for (let halvings = 0; halvings < 40; halvings++) {
      const candidate = beta.map((b, j) => b - t * step[j]!);
      const value = objective(candidate);
      if (value <= current - 1e-4 * t * decrement) {
        next = candidate;
        nextValue = value;
        break;
      }
      t /= 2;
    }
    if (next === beta) {
      converged = true; // no descent left at double precision
      break;
    }
    beta = next;
    current = nextValue;
  }

  // Fold the standardisation back: w_raw = w/sd, b_raw = b − Σ w·mean/sd.
  const weights: number[] = [];
  let intercept = beta[0]!;
  for (let j = 0; j < d; j++) {
    weights.push(Math.fround(beta[j + 1]! / sd[j]!));
    intercept -= (beta[j + 1]! * mean[j]!) / sd[j]!;
  }
  return { model: { kind: "logistic", weights, intercept: Math.fround(intercept) }, iterations, converged, objective: current };
}

/** Solves A·x = b for a symmetric positive definite A (k×k, row-major) by Cholesky. */
export function solveSpd(A: Float64Array, b: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j]!;
      for (let m = 0; m < j; m++) s -= L[i * k + m]! * L[j * k + m]!;
      if (i === j) {
        if (!(s > 0)) throw new Error("the Hessian is not positive definite (increase l2)");
        L[i * k + i] = Math.sqrt(s);
      } else L[i * k + j] = s / L[j * k + j]!;
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i]!;
    for (let m = 0; m < i; m++) s -= L[i * k + m]! * y[m]!;
    y[i] = s / L[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let m = i + 1; m < k; m++) s -= L[m * k + i]! * x[m]!;
    x[i] = s / L[i * k + i]!;
  }
  return x;
}
