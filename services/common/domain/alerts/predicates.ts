/**
 * Judging one series of windows against one rule: each window is a breach, fine, or unknown
 * (too few samples, labels not in yet, an inconclusive interval, no history to compare with),
 * and says why. Unknown windows neither fire nor resolve an alert.
 */
import { HIGHER_IS_BETTER, INTERVAL_METRICS, LABEL_METRICS, type Rule } from "../../../../schemas/rules.js";
import { wilsonInterval } from "../intervals.js";

export interface SeriesPoint {
  /** Window start and end, epoch ms. */
  start: number;
  end: number;
  value: number | null;
  /** The sample size behind the value (labelled predictions for label metrics). */
  n: number;
  /** For proportions: value = successes / n. */
  successes?: number | undefined;
  /** The value's own interval at the rule's confidence (the estimates'), used instead of Wilson's. */
  interval?: readonly [number, number] | undefined;
  /** Label coverage of the window, for label metrics. */
  coverage?: number | null | undefined;
  /** Drift and quality windows come judged by their own decision rule. */
  signal?: { breach: boolean; threshold: number } | undefined;
}

export type JudgementState = "breach" | "ok" | "unknown";

export interface Judgement {
  start: number;
  end: number;
  state: JudgementState;
  value: number | null;
  threshold: number | null;
  /** How far past the threshold, relative to it: |value − threshold| / |threshold|. */
  deviation: number;
  n: number;
  reason: string;
}

const LABEL_METRIC_SET: ReadonlySet<string> = new Set(LABEL_METRICS);
/** Judgements that are unknown only because the baseline or band is still being learned. */
const LEARNING = new WeakSet<Judgement>();
const learning = (j: Judgement) => {
  LEARNING.add(j);
  return j;
};
type Op = "<" | "<=" | ">" | ">=";

const compare = (v: number, op: Op, t: number) => (op === "<" ? v < t : op === "<=" ? v <= t : op === ">" ? v > t : v >= t);

export function relativeDeviation(value: number, threshold: number): number {
  return Math.abs(value - threshold) / Math.max(Math.abs(threshold), 1e-9);
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The period of a seasonal rule, ms: its windows are compared with the same phase in past periods. */
export function seasonMs(rule: Pick<Rule, "seasonality">): number | undefined {
  return rule.seasonality === "daily" ? 86_400_000 : rule.seasonality === "weekly" ? 7 * 86_400_000 : undefined;
}

/**
 * Judges every point in time order; relative and adaptive rules look back over earlier non-breach
 * points: all of them, or with `seasonality` only those at the same phase of the day or week (the
 * same hour of the same weekday in past weeks), so a nightly or weekend cycle is not a change.
 */
export function judgeSeries(rule: Rule, points: readonly SeriesPoint[]): Judgement[] {
  const sorted = [...points].sort((a, b) => a.start - b.start);
  const period = seasonMs(rule);
  const histories = new Map<number, number[]>();
  const out: Judgement[] = [];
  for (const p of sorted) {
    const phase = period === undefined ? 0 : ((p.start % period) + period) % period;
    const history = histories.get(phase) ?? [];
    const j = judgePoint(rule, p, history);
    out.push(j);
    // A window unknown only for want of history is history all the same, or no baseline could ever form.
    if ((j.state === "ok" || LEARNING.has(j)) && p.value !== null) {
      history.push(p.value);
      histories.set(phase, history);
    }
  }
  return out;
}

function judgePoint(rule: Rule, p: SeriesPoint, history: readonly number[]): Judgement {
  const base = { start: p.start, end: p.end, value: p.value, n: p.n };
  const unknown = (reason: string, threshold: number | null = null): Judgement => ({
    ...base,
    state: "unknown",
    threshold,
    deviation: 0,
    reason,
  });
  if (p.value === null || !Number.isFinite(p.value)) return unknown("no value in this window");

  if (p.signal) {
    const threshold = rule.threshold ?? p.signal.threshold;
    const breach = rule.threshold !== undefined && rule.op ? compare(p.value, rule.op, rule.threshold) : p.signal.breach;
    return decided(base, breach, threshold, breach ? "breaches" : "within");
  }
  if (p.n < rule.min_samples) return unknown(`${p.n} samples, fewer than min_samples ${rule.min_samples}`);
  if (LABEL_METRIC_SET.has(rule.metric) && (p.coverage ?? 0) < rule.min_coverage) {
    return unknown(`waiting for labels: coverage ${(p.coverage ?? 0).toFixed(2)} < ${rule.min_coverage.toFixed(2)}`);
  }

  let op: Op;
  let threshold: number;
  switch (rule.kind) {
    case "threshold":
      op = rule.op!;
      threshold = rule.threshold!;
      break;
    case "slo":
      op = HIGHER_IS_BETTER.has(rule.metric) ? "<" : ">";
      threshold = rule.objective!;
      break;
    case "relative_change": {
      const recent = history.slice(-rule.baseline_windows);
      if (recent.length < Math.min(3, rule.baseline_windows))
        return learning(unknown(`baseline has ${recent.length} windows${seasonal(rule)}, needs ${Math.min(3, rule.baseline_windows)}`));
      const baseline = recent.reduce((a, b) => a + b, 0) / recent.length;
      const dir = rule.direction ?? (HIGHER_IS_BETTER.has(rule.metric) ? "down" : "up");
      const change = rule.change!;
      const lower = baseline - Math.abs(baseline) * change;
      const upper = baseline + Math.abs(baseline) * change;
      return band(base, p, rule, dir, lower, upper, `${(change * 100).toFixed(0)} % from the baseline ${fmt(baseline)}`);
    }
    case "adaptive": {
      const recent = history.slice(-rule.history_windows);
      if (recent.length < rule.min_history)
        return learning(unknown(`learning the band: ${recent.length} of ${rule.min_history} windows of history${seasonal(rule)}`));
      const m = median(recent);
      const mad = median(recent.map((v) => Math.abs(v - m)));
      // A flat history would make any wobble a breach: the band is at least 1 % of the median wide.
      const scale = Math.max(1.4826 * mad, 0.01 * Math.abs(m), 1e-9);
      const dir = rule.direction ?? "both";
      return band(base, p, rule, dir, m - rule.k * scale, m + rule.k * scale, `${rule.k} robust deviations around ${fmt(m)}`);
    }
  }
  return withConfidence(base, p, rule, op, threshold);
}

const seasonal = (rule: Rule) =>
  rule.seasonality === "daily" ? " at this time of day" : rule.seasonality === "weekly" ? " at this hour of the week" : "";

function band(
  base: Omit<Judgement, "state" | "threshold" | "deviation" | "reason">,
  p: SeriesPoint,
  rule: Rule,
  dir: "down" | "up" | "both",
  lower: number,
  upper: number,
  what: string,
): Judgement {
  const v = p.value!;
  if ((dir === "down" || dir === "both") && v < lower) return withConfidence(base, p, rule, "<", lower, what);
  if ((dir === "up" || dir === "both") && v > upper) return withConfidence(base, p, rule, ">", upper, what);
  const threshold = dir === "up" ? upper : lower;
  return decided(base, false, threshold, `within ${what}`);
}

/** With `confidence`, a breach needs the whole interval beyond the threshold; a point breach inside it is inconclusive. */
function withConfidence(
  base: Omit<Judgement, "state" | "threshold" | "deviation" | "reason">,
  p: SeriesPoint,
  rule: Rule,
  op: Op,
  threshold: number,
  what = "",
): Judgement {
  const v = p.value!;
  const pointBreach = compare(v, op, threshold);
  const suffix = what ? ` (${what})` : "";
  if (!pointBreach) return decided(base, false, threshold, `within${suffix}`);
  if (rule.confidence === undefined || !INTERVAL_METRICS.has(rule.metric))
    return decided(base, true, threshold, `${fmt(v)} ${op} ${fmt(threshold)}${suffix}`);
  const [lo, hi] = p.interval ?? wilsonInterval(p.successes ?? Math.round(v * p.n), p.n, rule.confidence);
  const beyond = op === "<" || op === "<=" ? compare(hi, op, threshold) : compare(lo, op, threshold);
  const ci = `${(rule.confidence * 100).toFixed(0)} % interval [${fmt(lo)}, ${fmt(hi)}]`;
  if (beyond) return decided(base, true, threshold, `${fmt(v)} ${op} ${fmt(threshold)}, ${ci} entirely beyond${suffix}`);
  return { ...base, state: "unknown", threshold, deviation: 0, reason: `inconclusive: ${ci} contains ${fmt(threshold)}` };
}

function decided(
  base: Omit<Judgement, "state" | "threshold" | "deviation" | "reason">,
  breach: boolean,
  threshold: number,
  reason: string,
): Judgement {
  return { ...base, state: breach ? "breach" : "ok", threshold, deviation: breach ? relativeDeviation(base.value!, threshold) : 0, reason };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3));
