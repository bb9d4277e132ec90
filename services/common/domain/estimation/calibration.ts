/**
 * Calibration of binary scores on labelled history: centred isotonic regression. Pure.
 *
 * Pool-adjacent-violators (PAV) gives the monotone step function closest to the labels in squared
 * error; its steps overfit a finite sample (a block of 12 rows reads exactly 0 or 1, and the map
 * jumps at each block boundary). Centred isotonic regression (Oron & Flournoy, 2017) keeps one knot
 * per block, at the block's mean score, and interpolates linearly between knots: still monotone, no
 * longer flat across a block. Outside the knots the end values hold. (Shrinking the end blocks
 * towards the base rate, tried so that a short run of extreme scores is not read as certainty, biased
 * the ROC AUC estimate on the benchmark's design seeds: end blocks stay as PAV leaves them.)
 *
 * The input is already aggregated (one group per distinct score or score bin, with its label counts),
 * so the work is bounded by the number of bins, not by the length of the history; the caller keeps
 * one calibration per model version.
 */

/** Labelled rows that share a score (or a narrow score bin with this mean score). */
export interface LabelledGroup {
  score: number;
  positives: number;
  negatives: number;
}

export interface Calibration {
  /** Mean score of each PAV block, increasing. */
  readonly knots: readonly number[];
  /** Positive rate of each block, non-decreasing. */
  readonly rates: readonly number[];
  /** Labelled rows it was fitted on. */
  readonly rows: number;
}

export function fitCalibration(groups: readonly LabelledGroup[]): Calibration {
  const sorted = groups
    .filter((g) => Number.isFinite(g.score) && g.positives + g.negatives > 0)
    .slice()
    .sort((a, b) => a.score - b.score);
  const rows = sorted.reduce((s, g) => s + g.positives + g.negatives, 0);
  if (rows === 0) return { knots: [], rates: [], rows: 0 };
  // PAV over blocks of (rows, positives, sum of scores).
  const blocks: { n: number; y: number; x: number }[] = [];
  for (const g of sorted) {
    const n = g.positives + g.negatives;
    let block = { n, y: g.positives, x: g.score * n };
    for (let prev = blocks.at(-1); prev !== undefined && prev.y / prev.n >= block.y / block.n; prev = blocks.at(-1)) {
      blocks.pop();
      block = { n: prev.n + block.n, y: prev.y + block.y, x: prev.x + block.x };
    }
    blocks.push(block);
  }
  return { knots: blocks.map((b) => b.x / b.n), rates: blocks.map((b) => b.y / b.n), rows };
}

/** The calibrated probability of the positive class for `score`. Uncalibrated (no history): the score. */
export function calibrate(c: Calibration, score: number): number {
  const { knots, rates } = c;
  const first = knots[0];
  const last = knots.length - 1;
  if (first === undefined) return Math.min(1, Math.max(0, score));
  if (score <= first) return rates[0] as number;
  if (score >= (knots[last] as number)) return rates[last] as number;
  // Largest lo with knots[lo] <= score; score is strictly inside, so lo < last.
  let lo = 0;
  let hi = last;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((knots[mid] as number) <= score) lo = mid;
    else hi = mid;
  }
  const [x0, x1, y0, y1] = [knots[lo], knots[hi], rates[lo], rates[hi]] as [number, number, number, number];
  return y0 + ((score - x0) / (x1 - x0)) * (y1 - y0);
}
