/**
 * Small gradient-boosted decision trees for the logistic loss (second-order boosting as in
 * XGBoost: leaf value −G/(H+λ), split gain G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ)). Split
 * candidates are per-feature quantile edges, so a tree costs O(rows × features) per level.
 * Deterministic: no row or column sampling, ties broken by the lowest feature then edge.
 *
 * Trees capture what a linear model over the same features cannot: "repeats of this type inside a
 * burst are ignored", "only a large breach of this type matters". They export to ONNX-ML's
 * TreeEnsembleRegressor. Thresholds and leaf values are float32-exact and a sample goes left when
 * x <= threshold (BRANCH_LEQ), exactly as onnxruntime evaluates the exported ensemble.
 */
import { fitLogistic, sigmoid } from "./logistic.js";

export type TreeNode = { feature: number; threshold: number; left: number; right: number } | { leaf: number };

export interface BoostedTreesModel {
  kind: "boosted_trees";
  /** log-odds every prediction starts from (float32-exact). */
  baseScore: number;
  /**
   * Per-row start on top of baseScore: Σ weights[k]·x[features[k]] (float32-exact weights). Boosting
   * from a rate's logit lets the prediction follow that rate beyond the values seen in training,
   * which trees alone cannot: their output is flat past the last split.
   */
  offset?: { features: number[]; weights: number[] };
  /** Each tree's nodes; index 0 is the root, children are indices into the same array. */
  trees: TreeNode[][];
  featureCount: number;
}

export interface BoostedTreesOptions {
  trees: number;
  maxDepth: number;
  learningRate: number;
  /** L2 penalty λ on leaf values. */
  l2: number;
  /** Smallest hessian sum (≈ p(1−p)·rows) a child may have. */
  minChildWeight: number;
  /** Quantile edges tried per feature. */
  maxBins: number;
  /**
   * Columns (log-odds-like, e.g. a smoothed acted rate's logit) the boosting starts from: a
   * logistic regression on them alone sets baseScore and the offset weights, the trees fit the rest.
   */
  offsetFeatures: readonly number[];
  /** Per-row weights (default 1 each): an explored answer standing for several alerts, recent answers counting more. */
  weights?: ArrayLike<number>;
}

export const DEFAULT_BOOSTED_TREES_OPTIONS: BoostedTreesOptions = {
  trees: 150,
  maxDepth: 4,
  learningRate: 0.1,
  l2: 1,
  minChildWeight: 1,
  maxBins: 64,
  offsetFeatures: [],
};

export function predictTreesMargin(model: BoostedTreesModel, x: ArrayLike<number>): number {
  let z = model.baseScore;
  if (model.offset) for (let k = 0; k < model.offset.features.length; k++) z += model.offset.weights[k]! * x[model.offset.features[k]!]!;
  for (const nodes of model.trees) {
    let node = nodes[0]!;
    while (!("leaf" in node)) node = nodes[x[node.feature]! <= node.threshold ? node.left : node.right]!;
    z += node.leaf;
  }
  return z;
}

export const predictTrees = (model: BoostedTreesModel, x: ArrayLike<number>) => sigmoid(predictTreesMargin(model, x));

/** Up to `maxBins` float32 split points per feature: distinct values when few, quantiles otherwise. */
export function quantileEdges(values: Float32Array, maxBins: number): Float32Array {
  const sorted = Float32Array.from(values).sort();
  const distinct: number[] = [];
  for (const v of sorted) if (distinct.length === 0 || distinct[distinct.length - 1] !== v) distinct.push(v);
  // The largest value cannot split anything off to its right.
  if (distinct.length - 1 <= maxBins) return Float32Array.from(distinct.slice(0, -1));
  const edges: number[] = [];
  for (let b = 1; b <= maxBins; b++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((b * sorted.length) / (maxBins + 1)))]!;
    if (v < distinct[distinct.length - 1]! && (edges.length === 0 || edges[edges.length - 1] !== v)) edges.push(v);
  }
  return Float32Array.from(edges);
}

export function fitBoostedTrees(
  rows: ArrayLike<number>[],
  labels: ArrayLike<number>,
  options: Partial<BoostedTreesOptions> = {},
): BoostedTreesModel {
  const o = { ...DEFAULT_BOOSTED_TREES_OPTIONS, ...options };
  const n = rows.length;
  if (n === 0) throw new Error("boosted trees need at least one row");
  if (labels.length !== n) throw new Error(`boosted trees got ${n} rows but ${labels.length} labels`);
  const d = rows[0]!.length;
  let positives = 0;
  let total = 0;
  const weight = o.weights;
  if (weight && weight.length !== n) throw new Error(`boosted trees got ${n} rows but ${weight.length} weights`);
  const w = (i: number) => (weight ? weight[i]! : 1);
  for (let i = 0; i < n; i++) {
    if (rows[i]!.length !== d) throw new Error(`row ${i} has ${rows[i]!.length} features, expected ${d}`);
    const y = labels[i]!;
    if (y !== 0 && y !== 1) throw new Error(`label ${i} must be 0 or 1, got ${y}`);
    if (!(w(i) >= 0) || !Number.isFinite(w(i))) throw new Error(`weight ${i} must be a finite number >= 0, got ${w(i)}`);
    positives += y * w(i);
    total += w(i);
  }

  // Bin every value once: bin b means edges[b-1] < x <= edges[b]; the last bin is above every edge.
  // Row-major (row i's feature j at i·d + j), so one pass over a node's rows fills every feature's
  // histogram; feature j's bins sit at offsets[j] .. offsets[j+1] − 1 of a node's histogram.
  const edges: Float32Array[] = [];
  const bins = new Uint8Array(n * d);
  // The same bins as histogram cells (offsets[j] + bin), so the hot loop adds without looking up offsets.
  const cells = new Uint16Array(n * d);
  const offsets = new Int32Array(d + 1);
  for (let j = 0; j < d; j++) {
    const column = new Float32Array(n);
    for (let i = 0; i < n; i++) column[i] = rows[i]![j]!;
    const e = quantileEdges(column, Math.min(o.maxBins, 254));
    edges.push(e);
    offsets[j + 1] = offsets[j]! + e.length + 1;
    for (let i = 0; i < n; i++) {
      let lo = 0;
      let hi = e.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (column[i]! <= e[mid]!) hi = mid;
        else lo = mid + 1;
      }
      bins[i * d + j] = lo;
    }
  }
  const histogramSize = offsets[d]!;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) cells[i * d + j] = offsets[j]! + bins[i * d + j]!;

  let baseScore: number;
  let offset: BoostedTreesModel["offset"];
  const margin = new Float64Array(n);
  if (o.offsetFeatures.length > 0) {
    for (const j of o.offsetFeatures)
      if (!(Number.isInteger(j) && j >= 0 && j < d)) throw new Error(`offset feature ${j} is not a column of ${d}`);
    const start = fitLogistic(
      rows.map((x) => o.offsetFeatures.map((j) => x[j]!)),
      labels,
      { l2: 1e-3 },
    ).model;
    baseScore = start.intercept;
    offset = { features: [...o.offsetFeatures], weights: start.weights };
    for (let i = 0; i < n; i++) {
      let z = baseScore;
      for (let k = 0; k < offset.features.length; k++) z += offset.weights[k]! * rows[i]![offset.features[k]!]!;
      margin[i] = z;
    }
  } else {
    const mean = Math.min(1 - 1e-6, Math.max(1e-6, positives / Math.max(total, 1e-12)));
    baseScore = Math.fround(Math.log(mean / (1 - mean)));
    margin.fill(baseScore);
  }
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const trees: TreeNode[][] = [];
  // Every node's rows are a contiguous run of `order`; a split partitions its run in place (stably).
  const order = new Int32Array(n);
  const scratch = new Int32Array(n);

  const histogram = (from: number, to: number): Float64Array => {
    // g at 2k, h at 2k+1 for histogram cell k
    const hist = new Float64Array(2 * histogramSize);
    for (let k = from; k < to; k++) {
      const i = order[k]!;
      const g = grad[i]!;
      const h = hess[i]!;
      const end = (i + 1) * d;
      for (let c = i * d; c < end; c++) {
        const cellIndex = cells[c]! << 1;
        hist[cellIndex]! += g;
        hist[cellIndex + 1]! += h;
      }
    }
    return hist;
  };

  const bestSplit = (hist: Float64Array, G: number, H: number) => {
    const parent = (G * G) / (H + o.l2);
    let best: { feature: number; bin: number; gain: number } | undefined;
    for (let j = 0; j < d; j++) {
      const e = edges[j]!;
      let gl = 0;
      let hl = 0;
      const base = offsets[j]!;
      for (let b = 0; b < e.length; b++) {
        gl += hist[2 * (base + b)]!;
        hl += hist[2 * (base + b) + 1]!;
        const hr = H - hl;
        if (hl < o.minChildWeight || hr < o.minChildWeight) continue;
        const gr = G - gl;
        const gain = (gl * gl) / (hl + o.l2) + (gr * gr) / (hr + o.l2) - parent;
        if (gain > 1e-9 && (best === undefined || gain > best.gain)) best = { feature: j, bin: b, gain };
      }
    }
    return best;
  };

  for (let t = 0; t < o.trees; t++) {
    for (let i = 0; i < n; i++) {
      const p = sigmoid(margin[i]!);
      grad[i] = (p - labels[i]!) * w(i);
      hess[i] = p * (1 - p) * w(i);
      order[i] = i;
    }
    const nodes: TreeNode[] = [];
    /** Grows the node over order[from, to); `hist` is its histogram when already known (from its sibling's). */
    const grow = (from: number, to: number, depth: number, known: Float64Array | undefined): number => {
      const index = nodes.length;
      nodes.push({ leaf: 0 });
      let G = 0;
      let H = 0;
      for (let k = from; k < to; k++) {
        G += grad[order[k]!]!;
        H += hess[order[k]!]!;
      }
      const hist = depth < o.maxDepth ? (known ?? histogram(from, to)) : undefined;
      const split = hist ? bestSplit(hist, G, H) : undefined;
      if (!split || !hist) {
        const value = Math.fround((-G / (H + o.l2)) * o.learningRate);
        nodes[index] = { leaf: value };
        for (let k = from; k < to; k++) margin[order[k]!]! += value;
        return index;
      }
      let left = from;
      let right = 0;
      for (let k = from; k < to; k++) {
        const i = order[k]!;
        if (bins[i * d + split.feature]! <= split.bin) order[left++] = i;
        else scratch[right++] = i;
      }
      order.set(scratch.subarray(0, right), left);
      // The smaller child's histogram is summed, the larger one's is the parent's minus it.
      let leftHist: Float64Array | undefined;
      let rightHist: Float64Array | undefined;
      if (depth + 1 < o.maxDepth) {
        const leftSmaller = left - from <= to - left;
        const small = leftSmaller ? histogram(from, left) : histogram(left, to);
        const large = new Float64Array(hist.length);
        for (let c = 0; c < hist.length; c++) large[c] = hist[c]! - small[c]!;
        [leftHist, rightHist] = leftSmaller ? [small, large] : [large, small];
      }
      const l = grow(from, left, depth + 1, leftHist);
      const r = grow(left, to, depth + 1, rightHist);
      nodes[index] = { feature: split.feature, threshold: edges[split.feature]![split.bin]!, left: l, right: r };
      return index;
    };
    grow(0, n, 0, undefined);
    trees.push(nodes);
  }
  return { kind: "boosted_trees", baseScore, ...(offset ? { offset } : {}), trees, featureCount: d };
}
