/**
 * The regression statistics a window keeps, and how windows merge, as the ClickHouse side does it
 * (window_label_stats, slice_metrics): per window n, Σ y, M2 = Σ (y − mean)² (Welford) and the
 * squared-error sum; merged by Chan's formula SST = Σ M2ᵢ + Σ nᵢ (meanᵢ − mean)². Exact for large
 * offsets (epoch-second targets near 1.7e9), where the one-pass Σ y² − (Σ y)²/n cancels every
 * significant digit. This is the reference the SQL follows, tested against a two-pass computation.
 */
export interface WindowMoments {
  n: number;
  ySum: number;
  m2: number;
  sse: number;
}

/**
 * One window's moments from its targets and predictions: Welford's pass for M2, over values shifted
 * by the smallest target (M2 does not change with a shift; the pass is exact once values are small).
 */
export function windowMoments(ys: readonly number[], predictions: readonly number[]): WindowMoments {
  const shift = ys.length === 0 ? 0 : Math.min(...ys);
  let mean = 0;
  let m2 = 0;
  let sse = 0;
  let ySum = 0;
  ys.forEach((y, i) => {
    const delta = y - shift - mean;
    mean += delta / (i + 1);
    m2 += delta * (y - shift - mean);
    ySum += y;
    const e = y - predictions[i]!;
    sse += e * e;
  });
  return { n: ys.length, ySum, m2, sse };
}

/** R² of the windows together; null below two rows or without variance (as scikit-learn's undefined case). */
export function mergedR2(windows: readonly WindowMoments[]): number | null {
  const n = windows.reduce((a, w) => a + w.n, 0);
  if (n < 2) return null;
  const mean = windows.reduce((a, w) => a + w.ySum, 0) / n;
  const sst = windows.reduce((a, w) => a + w.m2 + (w.n === 0 ? 0 : w.n * (w.ySum / w.n - mean) ** 2), 0);
  if (!(sst > 0)) return null;
  return 1 - windows.reduce((a, w) => a + w.sse, 0) / sst;
}
