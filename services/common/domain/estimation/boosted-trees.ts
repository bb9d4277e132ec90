/**
 * A small gradient-boosted regression-tree model (squared loss, histogram splits), written here
 * because the label-free regression estimate needs only this much of what LightGBM does. Pure.
 *
 * Every column is cut into at most `bins` quantile bins of the fitting sample (a categorical column
 * coded as numbers gets one bin per code when it has few). Each round fits a depth-limited tree to
 * the residuals by scanning per-node histograms, so a round costs O(rows × columns × depth) and the
 * fit is bounded by the sample it is given, not by a model's history. The fitted model is plain data
 * (thresholds and leaf values) that serialises as JSON, one per model version.
 *
 * A missing value (NaN) goes right at every split, both when fitting and when predicting.
 */
import { firstAtOrAbove } from "../sorted.js";

export interface BoostingOptions {
  rounds: number;
  learningRate: number;
  maxDepth: number;
  /** Rows each side of a split must keep. */
  minLeaf: number;
  /** Quantile bins per column. */
  bins: number;
  /** L2 penalty on leaf values (added to a leaf's row count). */
  lambda: number;
}

export const DEFAULT_BOOSTING: BoostingOptions = { rounds: 150, learningRate: 0.1, maxDepth: 3, minLeaf: 50, bins: 32, lambda: 1 };

/** A tree as parallel arrays: node i splits on column[i] at threshold[i] (x ≤ t goes to left[i]), or is a leaf (column −1). */
export interface Tree {
  column: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface BoostedTrees {
  base: number;
  trees: Tree[];
}

/** Quantile cut points of one column, increasing and distinct; x gets bin = the first k with x ≤ edges[k]. */
function cutPoints(values: Float64Array, bins: number): number[] {
  const finite = Array.from(values).filter(Number.isFinite);
  finite.sort((a, b) => a - b);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const v = finite[Math.min(finite.length - 1, Math.floor((k * finite.length) / bins))];
    if (v !== undefined && v !== edges.at(-1)) edges.push(v);
  }
  return edges;
}

/** Fits `rounds` trees to `target` from `rows` (one array of column values per row). */
export function fitBoostedTrees(
  rows: readonly (readonly number[])[],
  target: readonly number[],
  o: BoostingOptions = DEFAULT_BOOSTING,
): BoostedTrees {
  return finish(fitBoostedTreesSteps(rows, target, o));
}

/** Runs a stepwise fit to its end at once. */
export function finish<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The same fit, pausing after each round: a caller that must keep its event loop responsive (the
 * evaluator fitting error models) yields between steps; one step costs O(rows × columns × depth).
 */
export function* fitBoostedTreesSteps(
  rows: readonly (readonly number[])[],
  target: readonly number[],
  o: BoostingOptions = DEFAULT_BOOSTING,
): Generator<void, BoostedTrees> {
  const n = rows.length;
  if (n === 0) return { base: 0, trees: [] };
  const columns = rows[0]?.length ?? 0;
  const edges: number[][] = [];
  const codes: Uint16Array[] = [];
  for (let j = 0; j < columns; j++) {
    const values = Float64Array.from(rows, (r) => r[j] as number);
    const e = cutPoints(values, o.bins);
    edges.push(e);
    codes.push(Uint16Array.from(values, (x) => firstAtOrAbove(e, x)));
  }
  const base = target.reduce((s, y) => s + y, 0) / n;
  const fitted = new Float64Array(n).fill(base);
  const residual = new Float64Array(n);
  const trees: Tree[] = [];
  const all = Int32Array.from({ length: n }, (_, i) => i);
  for (let round = 0; round < o.rounds; round++) {
    for (let i = 0; i < n; i++) residual[i] = (target[i] as number) - (fitted[i] as number);
    const tree: Tree = { column: [], threshold: [], left: [], right: [], value: [] };
    grow(tree, all, 0, codes, edges, residual, o);
    // Apply the new tree to the fitting rows by their codes (the same path as by raw values).
    const stack: [number, Int32Array][] = [[0, all]];
    while (stack.length > 0) {
      const [node, index] = stack.pop() as [number, Int32Array];
      const column = tree.column[node] as number;
      if (column < 0) {
        const v = tree.value[node] as number;
        for (const i of index) fitted[i] = (fitted[i] as number) + v;
        continue;
      }
      const cut = firstAtOrAbove(edges[column] as number[], tree.threshold[node] as number);
      const c = codes[column] as Uint16Array;
      stack.push([tree.left[node] as number, index.filter((i) => (c[i] as number) <= cut)]);
      stack.push([tree.right[node] as number, index.filter((i) => (c[i] as number) > cut)]);
    }
    trees.push(tree);
    yield;
  }
  return { base, trees };
}

/** Grows the subtree for `index` and returns its node number. */
function grow(
  tree: Tree,
  index: Int32Array,
  depth: number,
  codes: Uint16Array[],
  edges: number[][],
  residual: Float64Array,
  o: BoostingOptions,
): number {
  const node = tree.column.length;
  let sum = 0;
  for (const i of index) sum += residual[i] as number;
  tree.column.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push((o.learningRate * sum) / (index.length + o.lambda));
  if (depth >= o.maxDepth || index.length < 2 * o.minLeaf) return node;
  const n = index.length;
  const parentScore = (sum * sum) / (n + o.lambda);
  let best = { gain: 1e-12, column: -1, bin: -1 };
  for (let j = 0; j < codes.length; j++) {
    const c = codes[j] as Uint16Array;
    const bins = (edges[j] as number[]).length + 1;
    const sums = new Float64Array(bins);
    const counts = new Int32Array(bins);
    for (const i of index) {
      const b = c[i] as number;
      sums[b] = (sums[b] as number) + (residual[i] as number);
      counts[b] = (counts[b] as number) + 1;
    }
    let leftSum = 0;
    let leftCount = 0;
    // A split "bin ≤ k" needs a real cut point, so k stops before the last bin.
    for (let k = 0; k < bins - 1; k++) {
      leftSum += sums[k] as number;
      leftCount += counts[k] as number;
      const rightCount = n - leftCount;
      if (leftCount < o.minLeaf) continue;
      if (rightCount < o.minLeaf) break;
      const rightSum = sum - leftSum;
      const gain = (leftSum * leftSum) / (leftCount + o.lambda) + (rightSum * rightSum) / (rightCount + o.lambda) - parentScore;
      if (gain > best.gain) best = { gain, column: j, bin: k };
    }
  }
  if (best.column < 0) return node;
  const c = codes[best.column] as Uint16Array;
  tree.column[node] = best.column;
  tree.threshold[node] = (edges[best.column] as number[])[best.bin] as number;
  tree.left[node] = grow(
    tree,
    index.filter((i) => (c[i] as number) <= best.bin),
    depth + 1,
    codes,
    edges,
    residual,
    o,
  );
  tree.right[node] = grow(
    tree,
    index.filter((i) => (c[i] as number) > best.bin),
    depth + 1,
    codes,
    edges,
    residual,
    o,
  );
  return node;
}

export function predictBoostedTrees(model: BoostedTrees, row: readonly number[]): number {
  let y = model.base;
  for (const t of model.trees) {
    let node = 0;
    for (let column = t.column[0] as number; column >= 0; column = t.column[node] as number)
      node = ((row[column] as number) <= (t.threshold[node] as number) ? t.left[node] : t.right[node]) as number;
    y += t.value[node] as number;
  }
  return y;
}

/** A model's trees flattened into typed arrays: the same predictions, several times faster (the processor stamps every row). */
export interface CompiledTrees {
  base: number;
  roots: Int32Array;
  column: Int32Array;
  threshold: Float64Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
}

export function compileBoostedTrees(model: BoostedTrees): CompiledTrees {
  const size = model.trees.reduce((n, t) => n + t.column.length, 0);
  const c: CompiledTrees = {
    base: model.base,
    roots: new Int32Array(model.trees.length),
    column: new Int32Array(size),
    threshold: new Float64Array(size),
    left: new Int32Array(size),
    right: new Int32Array(size),
    value: new Float64Array(size),
  };
  let offset = 0;
  model.trees.forEach((t, k) => {
    c.roots[k] = offset;
    for (let i = 0; i < t.column.length; i++) {
      c.column[offset + i] = t.column[i] as number;
      c.threshold[offset + i] = t.threshold[i] as number;
      c.left[offset + i] = offset + (t.left[i] as number);
      c.right[offset + i] = offset + (t.right[i] as number);
      c.value[offset + i] = t.value[i] as number;
    }
    offset += t.column.length;
  });
  return c;
}

/** `predictBoostedTrees` on the compiled form (NaN goes right, as there). */
export function predictCompiled(c: CompiledTrees, row: ArrayLike<number>): number {
  let y = c.base;
  const { roots, column, threshold, left, right, value } = c;
  for (let k = 0; k < roots.length; k++) {
    let node = roots[k] as number;
    for (let j = column[node] as number; j >= 0; j = column[node] as number)
      node = (row[j] as number) <= (threshold[node] as number) ? (left[node] as number) : (right[node] as number);
    y += value[node] as number;
  }
  return y;
}
