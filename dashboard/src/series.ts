/** Shapes API rows into what the charts and tables draw. Pure. */
import { toMs } from "./format.js";

/** A row of GET /v1/models/:id/metrics (the slice_metrics view). */
export interface MetricRow {
  model_version: string;
  stage: string;
  window_start: string | number;
  predictions: number;
  labeled: number;
  label_coverage: number | null;
  accuracy: number | null;
  /** The label-free estimate: calibrated (withEstimates), or the view's mean confidence when the estimates are unavailable. */
  estimated_accuracy: number | null;
  /** The calibrated estimate's interval (withEstimates). */
  estimated_low?: number | null;
  estimated_high?: number | null;
  correct: number;
  class_n: number;
  roc_auc?: number | null;
  f1?: number | null;
  /** Regression: mean absolute and root mean squared error over the window's labelled predictions. */
  mae?: number | null;
  rmse?: number | null;
  /** Regression: the label-free estimates (withEstimates), with their intervals. */
  estimated_mae?: Interval | null;
  estimated_rmse?: Interval | null;
  r2?: number | null;
  delay_p50_s?: number | null;
  delay_p90_s?: number | null;
}

/**
 * The time span a chart shows (epoch seconds): its windows, padded by half a window on each side,
 * so that one window, or a few, fill the axis instead of sitting at the edge of one spanning years
 * (what uPlot makes of a single point). Without a window size, the smallest gap between points is
 * one; with a single point and none given, an hour.
 */
export function timeSpan(xs: readonly number[], windowSeconds?: number): [number, number] | null {
  if (xs.length === 0) return null;
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  let step = windowSeconds ?? Number.POSITIVE_INFINITY;
  if (windowSeconds === undefined) for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[i - 1]!) step = Math.min(step, xs[i]! - xs[i - 1]!);
  if (!Number.isFinite(step)) step = 3600;
  return [min - step / 2, max + step / 2];
}

export const versionKey = (r: { model_version: string; stage: string }) => `${r.model_version} · ${r.stage}`;

export interface Aligned {
  /** window starts, epoch seconds (uPlot's time unit) */
  xs: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
}

/** One series per key, aligned on the union of window starts; gaps are null. */
export function align<R extends { window_start: string | number }>(
  rows: R[],
  keyOf: (r: R) => string,
  valueFor: (r: R) => number | null,
): Aligned {
  const xs = [...new Set(rows.map((r) => toMs(r.window_start) / 1000))].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const byKey = new Map<string, Array<number | null>>();
  for (const r of rows) {
    const key = keyOf(r);
    if (!byKey.has(key))
      byKey.set(
        key,
        xs.map(() => null),
      );
    const v = valueFor(r);
    byKey.get(key)![at.get(toMs(r.window_start) / 1000)!] = v === null || v === undefined || !Number.isFinite(v) ? null : v;
  }
  return { xs, series: [...byKey.keys()].sort().map((label) => ({ label, values: byKey.get(label)! })) };
}

export interface Interval {
  value: number;
  low: number;
  high: number;
}

/** A window of GET /v1/models/:id/estimates: a binary model's accuracy, a regression model's MAE and RMSE. */
export interface EstimateRow {
  window_start: string;
  model_version: string;
  stage: string;
  accuracy?: Interval | null;
  mae?: Interval | null;
  rmse?: Interval | null;
}

/**
 * The metrics rows with each window's calibrated estimate and its interval in place of the view's
 * mean confidence; a window the estimates do not cover (a model of another task) keeps its own.
 */
export function withEstimates(rows: MetricRow[], estimates: readonly EstimateRow[]): MetricRow[] {
  const key = (r: { window_start: string | number; model_version: string; stage: string }) =>
    `${toMs(r.window_start)}\u0000${r.model_version}\u0000${r.stage}`;
  const byKey = new Map(estimates.map((e) => [key(e), e]));
  return rows.map((r) => {
    const e = byKey.get(key(r));
    if (!e) return r;
    if (e.mae !== undefined || e.rmse !== undefined) return { ...r, estimated_mae: e.mae ?? null, estimated_rmse: e.rmse ?? null };
    return {
      ...r,
      estimated_accuracy: e.accuracy?.value ?? null,
      estimated_low: e.accuracy?.low ?? null,
      estimated_high: e.accuracy?.high ?? null,
    };
  });
}

export type AccuracyKind = "realised" | "provisional" | "estimated" | "band";

/**
 * Accuracy per version: realised where the window's label coverage has reached `settledAt`,
 * provisional (few labels yet, likely to move) below it, and the label-free estimate beside them,
 * with its interval's ends (a band) where the rows carry one and labels are missing.
 */
export function accuracySeries(rows: MetricRow[], settledAt = 0.5): Aligned & { kinds: AccuracyKind[] } {
  const realised = align(rows, versionKey, (r) => ((r.label_coverage ?? 0) >= settledAt ? r.accuracy : null));
  const provisional = align(rows, versionKey, (r) => ((r.label_coverage ?? 0) < settledAt ? r.accuracy : null));
  const estimated = align(rows, versionKey, (r) => r.estimated_accuracy);
  // Where every prediction has its label the interval is the realised value: no band to draw.
  const missing = (r: MetricRow) => (r.label_coverage ?? 0) < 1;
  const low = align(rows, versionKey, (r) => (missing(r) ? (r.estimated_low ?? null) : null));
  const high = align(rows, versionKey, (r) => (missing(r) ? (r.estimated_high ?? null) : null));
  const banded = rows.some((r) => r.estimated_low !== undefined && r.estimated_low !== null);
  const kinds: AccuracyKind[] = [];
  const series: Aligned["series"] = [];
  realised.series.forEach((s, i) => {
    series.push(
      { label: `${s.label} accuracy`, values: s.values },
      { label: `${s.label} provisional`, values: provisional.series[i]!.values },
      { label: `${s.label} estimated`, values: estimated.series[i]!.values },
    );
    kinds.push("realised", "provisional", "estimated");
    if (banded) {
      series.push(
        { label: `${s.label} estimate low`, values: low.series[i]!.values },
        { label: `${s.label} estimate high`, values: high.series[i]!.values },
      );
      kinds.push("band", "band");
    }
  });
  return { xs: realised.xs, series, kinds };
}

/** A regression model's windows carry errors and no accuracy. */
export function isRegression(rows: readonly MetricRow[]): boolean {
  return rows.some((r) => r.mae !== null && r.mae !== undefined) && rows.every((r) => r.accuracy === null || r.accuracy === undefined);
}

export type ErrorKind = "mae" | "rmse" | "estimated" | "band";

/**
 * MAE and RMSE per version, for a regression model's error chart: realised over the labelled
 * predictions, and where the rows carry them (withEstimates) the label-free estimates, with their
 * intervals' ends (a band) where labels are missing.
 */
export function errorSeries(rows: MetricRow[]): Aligned & { kinds: ErrorKind[] } {
  const mae = align(rows, versionKey, (r) => r.mae ?? null);
  const rmse = align(rows, versionKey, (r) => r.rmse ?? null);
  const estimated = rows.some((r) => r.estimated_mae !== undefined && r.estimated_mae !== null);
  const missing = (r: MetricRow) => (r.label_coverage ?? 0) < 1;
  const extra = (["mae", "rmse"] as const).map((m) => {
    const field = (r: MetricRow) => (m === "mae" ? r.estimated_mae : r.estimated_rmse);
    return {
      name: m.toUpperCase(),
      value: align(rows, versionKey, (r) => field(r)?.value ?? null),
      low: align(rows, versionKey, (r) => (missing(r) ? (field(r)?.low ?? null) : null)),
      high: align(rows, versionKey, (r) => (missing(r) ? (field(r)?.high ?? null) : null)),
    };
  });
  const series: Aligned["series"] = [];
  const kinds: ErrorKind[] = [];
  mae.series.forEach((s, i) => {
    series.push({ label: `${s.label} MAE`, values: s.values }, { label: `${s.label} RMSE`, values: rmse.series[i]!.values });
    kinds.push("mae", "rmse");
    if (!estimated) return;
    for (const e of extra) {
      series.push(
        { label: `${s.label} ${e.name} estimated`, values: e.value.series[i]!.values },
        { label: `${s.label} ${e.name} estimate low`, values: e.low.series[i]!.values },
        { label: `${s.label} ${e.name} estimate high`, values: e.high.series[i]!.values },
      );
      kinds.push("estimated", "band", "band");
    }
  });
  return { xs: mae.xs, series, kinds };
}

/** Predictions per window, all versions together: the models list's sparkline. */
export function volume(rows: MetricRow[]): { xs: number[]; ys: number[] } {
  const sums = new Map<number, number>();
  for (const r of rows) sums.set(toMs(r.window_start), (sums.get(toMs(r.window_start)) ?? 0) + r.predictions);
  const xs = [...sums.keys()].sort((a, b) => a - b);
  return { xs, ys: xs.map((x) => sums.get(x)!) };
}

export interface Totals {
  predictions: number;
  labeled: number;
  coverage: number | null;
  accuracy: number | null;
  /** prediction-weighted mean of the windows' estimates */
  estimated: number | null;
  /** Regression errors over all the rows' labelled predictions (each window's are means over its own). */
  mae: number | null;
  rmse: number | null;
}

function totals(rows: MetricRow[]): Totals {
  let predictions = 0,
    labeled = 0,
    correct = 0,
    classN = 0,
    estSum = 0,
    estN = 0,
    absSum = 0,
    sqSum = 0,
    errN = 0;
  for (const r of rows) {
    predictions += r.predictions;
    labeled += r.labeled;
    correct += r.correct;
    classN += r.class_n;
    if (r.estimated_accuracy !== null && Number.isFinite(r.estimated_accuracy)) {
      estSum += r.estimated_accuracy * r.predictions;
      estN += r.predictions;
    }
    if (r.mae !== null && r.mae !== undefined && r.rmse !== null && r.rmse !== undefined && r.labeled > 0) {
      absSum += r.mae * r.labeled;
      sqSum += r.rmse * r.rmse * r.labeled;
      errN += r.labeled;
    }
  }
  return {
    predictions,
    labeled,
    coverage: predictions > 0 ? labeled / predictions : null,
    accuracy: classN > 0 ? correct / classN : null,
    estimated: estN > 0 ? estSum / estN : null,
    mae: errN > 0 ? absSum / errN : null,
    rmse: errN > 0 ? Math.sqrt(sqSum / errN) : null,
  };
}

/** Versions and stages side by side over the rows given (e.g. canary vs production). */
export function byVersion(rows: MetricRow[]): Array<Totals & { model_version: string; stage: string }> {
  const groups = new Map<string, MetricRow[]>();
  for (const r of rows) groups.set(versionKey(r), [...(groups.get(versionKey(r)) ?? []), r]);
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => ({ model_version: g[0]!.model_version, stage: g[0]!.stage, ...totals(g) }));
}

/** The newest window, all versions together. */
export function latestWindow(rows: MetricRow[]): (Totals & { window_start_ms: number }) | null {
  if (rows.length === 0) return null;
  const last = Math.max(...rows.map((r) => toMs(r.window_start)));
  return { window_start_ms: last, ...totals(rows.filter((r) => toMs(r.window_start) === last)) };
}

/** The newest window whose labels have mostly arrived, so its realised accuracy (or a regression's error) means something. */
export function latestSettled(rows: MetricRow[], settledAt = 0.5): (Totals & { window_start_ms: number }) | null {
  const starts = [...new Set(rows.map((r) => toMs(r.window_start)))].sort((a, b) => b - a);
  for (const s of starts) {
    const t = totals(rows.filter((r) => toMs(r.window_start) === s));
    if (t.coverage !== null && t.coverage >= settledAt && (t.accuracy !== null || t.mae !== null)) return { window_start_ms: s, ...t };
  }
  return null;
}

export const DELAY_BUCKETS: Array<{ label: string; upper_s: number }> = [
  { label: "≤ 1 min", upper_s: 60 },
  { label: "1–10 min", upper_s: 600 },
  { label: "10–60 min", upper_s: 3600 },
  { label: "1–6 h", upper_s: 21_600 },
  { label: "6–24 h", upper_s: 86_400 },
  { label: "1–2 d", upper_s: 172_800 },
  { label: "2–4 d", upper_s: 345_600 },
  { label: "4–7 d", upper_s: 604_800 },
  { label: "1–2 weeks", upper_s: 1_209_600 },
  { label: "2–4 weeks", upper_s: 2_419_200 },
  { label: "> 4 weeks", upper_s: Infinity },
];

/**
 * The fine log-spaced delay bins (each within 5 % wide) regrouped into readable buckets; a bin
 * goes to the bucket holding its upper edge.
 */
export function delayBuckets(bins: Array<{ upper_s: number; count: number }>): Array<{ label: string; count: number; share: number }> {
  const counts = DELAY_BUCKETS.map(() => 0);
  let total = 0;
  for (const b of bins) {
    const i = DELAY_BUCKETS.findIndex((d) => b.upper_s <= d.upper_s);
    counts[i === -1 ? DELAY_BUCKETS.length - 1 : i]! += b.count;
    total += b.count;
  }
  // Buckets past the last non-empty one are noise in a chart; those before it are information.
  const last = counts.findLastIndex((c) => c > 0);
  return DELAY_BUCKETS.slice(0, last + 1).map((d, i) => ({ label: d.label, count: counts[i]!, share: total > 0 ? counts[i]! / total : 0 }));
}

/** GET /v1/models/:id/drift/distribution */
export interface Distribution {
  kind: "numeric" | "categorical";
  edges?: number[];
  categories?: string[];
  reference: { n: number; counts: number[]; min: number | null; max: number | null };
  window: { n: number; counts: number[]; min: number | null; max: number | null };
}

export interface DistributionBar {
  label: string;
  /** numeric: the bar's value range */
  lo?: number;
  hi?: number;
  reference: number;
  window: number;
}

/**
 * Shares of the reference and of the window per bar. Numeric features have one bin per reference
 * percentile: they are merged into `groups` bars of equal reference mass, with the open-ended
 * outer bins closed at the smallest and largest value seen on either side. Categorical features
 * keep their `top` most common reference categories; the rest (and values unseen in the
 * reference) are "other".
 */
export function distributionBars(d: Distribution, groups = 20, top = 12): DistributionBar[] {
  // Counts are summed first and divided once, so a merged bar's share is exact.
  const share = (counts: number[], n: number, bins: number[]) => (n > 0 ? bins.reduce((sum, b) => sum + (counts[b] ?? 0), 0) / n : 0);
  const ref = (bins: number[]) => share(d.reference.counts, d.reference.n, bins);
  const win = (bins: number[]) => share(d.window.counts, d.window.n, bins);
  if (d.kind === "categorical") {
    const cats = d.categories ?? [];
    const order = cats
      .map((c, i) => ({ label: c, i: i + 1 }))
      .sort((a, b) => (d.reference.counts[b.i] ?? 0) - (d.reference.counts[a.i] ?? 0));
    const shown = order.slice(0, top);
    const rest = [0, ...order.slice(top).map((o) => o.i)];
    const bars = shown.map((o) => ({ label: o.label, reference: ref([o.i]), window: win([o.i]) }));
    const other = { label: "other", reference: ref(rest), window: win(rest) };
    return other.reference > 0 || other.window > 0 ? [...bars, other] : bars;
  }
  const edges = d.edges ?? [];
  const los = [d.reference.min, d.window.min].filter((x): x is number => x !== null);
  const his = [d.reference.max, d.window.max].filter((x): x is number => x !== null);
  const lo = Math.min(...los, edges[0] ?? 0);
  const hi = Math.max(...his, edges.at(-1) ?? 0);
  // Bin b spans [bounds[b], bounds[b + 1]).
  const bounds = [lo, ...edges, hi];
  const bins = bounds.length - 1;
  const per = Math.max(1, Math.round(bins / groups));
  const bars: DistributionBar[] = [];
  for (let start = 0; start < bins; start += per) {
    const end = Math.min(bins, start + per);
    const group = Array.from({ length: end - start }, (_, k) => start + k);
    const r = ref(group),
      w = win(group);
    const barLo = bounds[start]!,
      barHi = bounds[end]!;
    bars.push({ label: `${short(barLo)}–${short(barHi)}`, lo: barLo, hi: barHi, reference: r, window: w });
  }
  return bars;
}

function short(x: number): string {
  const a = Math.abs(x);
  if (a >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(x / 1e3).toFixed(0)}k`;
  if (a >= 100) return x.toFixed(0);
  if (a >= 1) return x.toFixed(1);
  return x.toFixed(2);
}

/** Accuracy per window over every version and stage together (labelled rows only), with its count. */
export function pooledAccuracy(rows: MetricRow[]): { xs: number[]; accuracy: Array<number | null>; labeled: number[] } {
  const sums = new Map<number, { correct: number; n: number }>();
  for (const r of rows) {
    const x = toMs(r.window_start) / 1000;
    const s = sums.get(x) ?? { correct: 0, n: 0 };
    s.correct += r.correct;
    s.n += r.class_n;
    sums.set(x, s);
  }
  const xs = [...sums.keys()].sort((a, b) => a - b);
  return {
    xs,
    accuracy: xs.map((x) => (sums.get(x)!.n > 0 ? sums.get(x)!.correct / sums.get(x)!.n : null)),
    labeled: xs.map((x) => sums.get(x)!.n),
  };
}
