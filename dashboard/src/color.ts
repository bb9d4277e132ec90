/**
 * The drift heat map's colour scale. A cell is coloured by its severity: 1 means "exactly on the
 * threshold" whatever the method, so distances and p-values share one legend. Pure.
 */

export interface DriftCell {
  method: string;
  score: number | null;
  p_value: number | null;
  threshold: number;
  decision: string;
}

const P_VALUE_METHODS = new Set(["ks", "chi_square"]);

/**
 * Distances: score / threshold. P-value tests: log(p) / log(threshold), so p = threshold is 1 and
 * p = threshold² is 2. Null when there was no decision (too few values).
 */
export function driftSeverity(c: DriftCell): number | null {
  if (c.decision === "insufficient_data") return null;
  if (P_VALUE_METHODS.has(c.method)) {
    if (c.p_value === null || !(c.threshold > 0 && c.threshold < 1)) return null;
    const p = Math.max(c.p_value, 1e-300);
    return p >= 1 ? 0 : Math.log(p) / Math.log(c.threshold);
  }
  if (c.score === null || !(c.threshold > 0)) return null;
  return Math.max(0, c.score / c.threshold);
}

type Rgb = [number, number, number];
// Pale (no drift) → sand (half way) → amber (threshold) → red (twice the threshold and beyond).
const STOPS: Array<[number, Rgb]> = [
  [0, [237, 244, 248]],
  [0.5, [246, 232, 195]],
  [1, [243, 166, 72]],
  [2, [190, 30, 45]],
];
export const NO_DECISION_COLOR = "rgb(226, 228, 232)";

export function severityColor(severity: number | null): string {
  if (severity === null || !Number.isFinite(severity)) return NO_DECISION_COLOR;
  const s = Math.min(Math.max(severity, 0), 2);
  for (let i = 1; i < STOPS.length; i++) {
    const [hi, to] = STOPS[i]!;
    const [lo, from] = STOPS[i - 1]!;
    if (s <= hi) {
      const f = (s - lo) / (hi - lo);
      const c = from.map((v, k) => Math.round(v + (to[k]! - v) * f));
      return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    }
  }
  return `rgb(${STOPS.at(-1)![1].join(", ")})`;
}

/** Dark text on light cells, white on dark ones (relative luminance). */
export function textOn(color: string): string {
  const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(color);
  if (!m) return "#111";
  const [r, g, b] = [m[1], m[2], m[3]].map((v) => {
    const c = Number(v) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b! > 0.3 ? "#111" : "#fff";
}
