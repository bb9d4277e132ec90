/**
 * The demo's month of answered alerts: what the demo's rules (examples/rules.yaml) raised on the
 * fraud model in the month before its week of history, and what on-call did with each, so that the
 * suppressor has feedback to learn from and is trained and active when the newcomer first looks.
 *
 * The on-call team's habits have structure a model can learn: a country's accuracy drop matters
 * in the three risky markets and rarely elsewhere, a drifted feature matters only when the drift is
 * large, a vanished category always matters, null fractions and volume wobbles almost never; SLO
 * breaches are always acted on. Some alerts are never answered (they count as ignored after the
 * timeout). Answers come minutes to hours after the alert.
 *
 * Pure: rows as the evaluator stores them (surfaced, not yet judged by any suppressor), answers with
 * their times; the caller decides how they reach the store and judges them with the product's own
 * suppressor (services/cli/demo-alerts.ts).
 */
import type { AlertRow } from "../common/domain/alerts/alert-view.js";
import { alertId, fingerprint } from "../common/domain/alerts/lifecycle.js";
import type { AlertAction } from "../common/domain/suppressor/types.js";
import { Rng } from "./random.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday of the epoch. */
const FIRST_MONDAY = 4 * DAY;

/**
 * The last Monday 00:00 UTC at or before `ms`: where the demo's month ends. The suppressor's features
 * see the hour of the day and the weekend, so a month on whole weeks is the same month whenever it is
 * played, and so is every decision on it (which alerts are suppressed, which explored).
 */
export function monthEndBefore(ms: number): number {
  return Math.floor((ms - FIRST_MONDAY) / WEEK) * WEEK + FIRST_MONDAY;
}

export interface PastAnswer {
  action: AlertAction;
  /** epoch ms the answer was given */
  atMs: number;
}

export interface PastAlert {
  row: AlertRow;
  /** What on-call would do if they saw the alert; null: nobody answers it. */
  answer: PastAnswer | null;
}

/** One kind of alert the demo's rules raise, how often, and how on-call treats it. */
interface Kind {
  ruleId: string;
  ruleName: string;
  ruleKind: string;
  severity: AlertRow["severity"];
  metric: string;
  feature: string;
  /** Chosen per alert; "" for the whole model. */
  slices: readonly string[];
  windowSeconds: number;
  perDay: number;
  /** Median relative deviation, log-spread. */
  deviation: [number, number];
  value: (deviation: number, rng: Rng) => { value: number; threshold: number };
  acted: (slice: string, deviation: number) => number;
  /** Share raised on the canary version too (rules without a stage watch every version). */
  canaryShare?: number;
}

const RISKY = new Set(["country=BR", "country=MX", "country=NG"]);
const COUNTRIES = ["country=US", "country=GB", "country=DE", "country=FR", "country=BR", "country=IN", "country=MX", "country=NG"];

/** Drift scores are judged against 0.2 (PSI); the deviation is how far past it, relative. */
const driftValue = (d: number) => ({ value: 0.2 * (1 + d), threshold: 0.2 });
const driftKind = (feature: string, perDay: number): Kind => ({
  ruleId: "feature-drift",
  ruleName: "A feature drifted from its reference",
  ruleKind: "drift",
  severity: "warning",
  metric: `drift.${feature}`,
  feature,
  slices: [""],
  windowSeconds: 300,
  perDay,
  // A long tail: an incident's drift is many times the threshold.
  deviation: [0.6, 1.3],
  value: driftValue,
  // Small drifts are the season; a large one is looked at.
  acted: (_s, d) => (d > 2 ? 0.6 : 0),
});

export const KINDS: readonly Kind[] = [
  {
    ruleId: "segment-accuracy",
    ruleName: "Accuracy of a country below 0.7",
    ruleKind: "threshold",
    severity: "warning",
    metric: "accuracy",
    feature: "",
    slices: COUNTRIES,
    windowSeconds: 300,
    perDay: 2.5,
    deviation: [0.12, 0.5],
    value: (d) => ({ value: 0.7 * (1 - Math.min(d, 0.9)), threshold: 0.7 }),
    acted: (s) => (RISKY.has(s) ? 0.85 : 0.2),
  },
  driftKind("amount", 1.2),
  driftKind("account_age_days", 1),
  driftKind("num_tx_24h", 0.8),
  { ...driftKind("prediction.score", 1), deviation: [2, 1], acted: () => 0 },
  {
    ruleId: "data-quality",
    ruleName: "A data-quality check failed",
    ruleKind: "quality",
    severity: "warning",
    metric: "quality.null_fraction",
    feature: "account_age_days",
    slices: [""],
    windowSeconds: 300,
    perDay: 2,
    deviation: [0.5, 0.5],
    value: (d) => ({ value: 0.05 * (1 + d), threshold: 0.05 }),
    acted: () => 0,
  },
  {
    ruleId: "data-quality",
    ruleName: "A data-quality check failed",
    ruleKind: "quality",
    severity: "warning",
    metric: "quality.cardinality",
    feature: "merchant_category",
    slices: [""],
    windowSeconds: 300,
    perDay: 0.8,
    deviation: [0.15, 0.3],
    value: (d) => ({ value: Math.round(7 * (1 - Math.min(d, 0.8))), threshold: 7 }),
    acted: () => 0.8,
  },
  {
    ruleId: "data-quality",
    ruleName: "A data-quality check failed",
    ruleKind: "quality",
    severity: "warning",
    metric: "quality.above_max",
    feature: "amount",
    slices: [""],
    windowSeconds: 300,
    perDay: 1.5,
    deviation: [0.6, 0.6],
    value: (d) => ({ value: Math.round(1200 * (1 + d)), threshold: 1200 }),
    acted: (_s, d) => (d > 3 ? 0.5 : 0),
  },
  {
    ruleId: "volume-band",
    ruleName: "Prediction volume outside its usual band",
    ruleKind: "adaptive",
    severity: "info",
    metric: "predictions",
    feature: "",
    slices: [""],
    windowSeconds: 300,
    perDay: 3,
    deviation: [0.1, 1],
    value: (d) => ({ value: Math.round(1500 * (1 + d)), threshold: 1500 }),
    acted: () => 0,
  },
  {
    ruleId: "estimated-accuracy-drop",
    ruleName: "Label-free accuracy estimate fell 5 % below its recent mean",
    ruleKind: "relative_change",
    severity: "warning",
    metric: "estimated_accuracy",
    feature: "",
    slices: [""],
    windowSeconds: 3600,
    perDay: 1.2,
    deviation: [0.04, 0.6],
    value: (d) => ({ value: 0.93 * (1 - 0.05 - d * 0.05), threshold: 0.93 * 0.95 }),
    acted: (_s, d) => (d > 0.15 ? 0.7 : 0.25),
    canaryShare: 0.3,
  },
  {
    ruleId: "accuracy-slo",
    ruleName: "Daily accuracy SLO of 0.9",
    ruleKind: "slo",
    severity: "critical",
    metric: "accuracy",
    feature: "",
    slices: [""],
    windowSeconds: 86_400,
    perDay: 0.1,
    deviation: [0.03, 0.3],
    value: (d) => ({ value: 0.9 * (1 - d), threshold: 0.9 }),
    acted: () => 0.95,
  },
];

export interface AlertMonthOptions {
  seed: number;
  /** The month ends here (the start of the demo's week of history); epoch ms. */
  endMs: number;
  days?: number;
  modelId?: string;
}

/** A month of the demo rules' alerts on the production version, oldest first, each with on-call's answer. */
export function alertMonth(opts: AlertMonthOptions): PastAlert[] {
  const days = opts.days ?? 30;
  const modelId = opts.modelId ?? "fraud";
  const rng = new Rng(opts.seed ^ 0x5a1e47);
  const fromMs = opts.endMs - days * DAY;
  const out: PastAlert[] = [];
  /** When each series' last episode ended: one within the hold time (15 minutes) of it would be the same alert. */
  const lastResolved = new Map<string, number>();
  for (const kind of KINDS) {
    // Poisson arrivals over the month; each alert is one episode of 15 minutes to 3 hours.
    for (let t = fromMs + rng.exponential() * (DAY / kind.perDay); t < opts.endMs; t += rng.exponential() * (DAY / kind.perDay)) {
      const window = kind.windowSeconds * 1000;
      const started = Math.floor(t / window) * window;
      const lastMs = Math.min(3 * HOUR, Math.max(window, Math.round(rng.logNormal(Math.log(40 * MINUTE), 0.8) / window) * window));
      const resolved = started + lastMs + window;
      // A 5-minute rule fires after its 10 minutes of breach; the evaluator sees it a little later.
      const fired = started + (kind.windowSeconds === 300 ? 10 * MINUTE + window : window);
      // Over well before the week of history begins, so no episode there is matched to one of these.
      if (resolved >= opts.endMs - HOUR) continue;
      const slice = kind.slices[rng.int(kind.slices.length)]!;
      const [modelVersion, stage] = rng.next() < (kind.canaryShare ?? 0) ? ["v4", "canary"] : ["v3", "production"];
      const deviation = round(rng.logNormal(Math.log(kind.deviation[0]), kind.deviation[1]), 4);
      const { value, threshold } = kind.value(deviation, rng);
      const fp = fingerprint({ ruleId: kind.ruleId, modelId, modelVersion, slice, metric: kind.metric, feature: kind.feature });
      if (started <= (lastResolved.get(fp) ?? -Infinity) + 15 * MINUTE) continue;
      lastResolved.set(fp, resolved);
      const seen = fired + 30_000 + rng.int(90_000);
      const sampleSize = kind.metric === "accuracy" && slice ? 80 + rng.int(400) : 2_000 + rng.int(8_000);
      const row: AlertRow = {
        // Named by the episode's place in the month, not its time: the exploration draw is a hash of
        // the id, so ids that followed the clock would explore different alerts on every run.
        alert_id: alertId(fp, started - opts.endMs),
        fingerprint: fp,
        rule_id: kind.ruleId,
        rule_version: 1,
        rule_kind: kind.ruleKind,
        rule_name: kind.ruleName,
        severity: kind.severity,
        model_id: modelId,
        model_version: modelVersion,
        stage,
        slice,
        metric: kind.metric,
        feature: kind.feature,
        window_seconds: kind.windowSeconds,
        started_ms: started,
        fired_ms: fired,
        last_breach_ms: resolved - window,
        resolved_ms: resolved,
        value: round(value, 4),
        threshold: round(threshold, 4),
        deviation,
        sample_size: sampleSize,
        worst_value: round(value, 4),
        summary: `${kind.metric} ${round(value, 3)} past ${round(threshold, 3)} on ${modelId} ${modelVersion}, ${slice || "all traffic"} (${label(kind.windowSeconds)} windows)`,
        disposition: "surfaced",
        parent_id: "",
        group_reason: "",
        suppress_score: null,
        suppressor_version: "",
        suppress_reason: "",
        first_seen_wall_ms: seen,
        updated_wall_ms: resolved + 60_000,
      };
      out.push({ row, answer: answerFor(kind.acted(slice, deviation), seen, rng) });
    }
  }
  return out.sort((a, b) => a.row.first_seen_wall_ms - b.row.first_seen_wall_ms || (a.row.alert_id < b.row.alert_id ? -1 : 1));
}

/**
 * On-call's answer: acted with the kind's chance; otherwise mostly ignored, sometimes marked a false
 * positive, and one in five never answered. Answers come after a median of 40 minutes.
 */
function answerFor(actedChance: number, seenMs: number, rng: Rng): PastAnswer | null {
  const draw = rng.next();
  const other = rng.next();
  const atMs = seenMs + Math.round(Math.min(20 * HOUR, rng.logNormal(Math.log(40 * MINUTE), 1)));
  if (draw < actedChance) return { action: "acted", atMs };
  if (other < 0.2) return null;
  return { action: other < 0.4 ? "false_positive" : "ignored", atMs };
}

const round = (x: number, digits: number) => Number(x.toFixed(digits));
const label = (s: number) => (s % 86_400 === 0 ? `${s / 86_400}d` : s % 3600 === 0 ? `${s / 3600}h` : `${s / 60}m`);
