/**
 * A seeded generator of alert histories for the suppressor benchmark, with responders whose
 * behaviour has structure a model can learn and noise it cannot:
 *
 * - some alert types are almost always acted on (SLO burn, a team's canary), some almost never
 *   (per-slice drift, null fractions and volume changes, unless the breach is unusually large),
 *   most in between;
 * - some depend on the size of the deviation (a global accuracy drop matters from about 12%,
 *   p99 latency from 50%), on the slice (only two markets matter), on sample size (tiny samples
 *   are distrusted), on the time of day (null-fraction alerts during the nightly batch load are
 *   expected), or on being the first of a burst (repeats of a volume alert are ignored);
 * - behaviour drifts: prediction-drift alerts stop mattering on day 60 (the team retrains weekly
 *   now), the accuracy cut-off slides from 15% to 9% over the period, and per-slice error-rate
 *   alerts start to matter on day 40 (a new market launch);
 * - noise: any alert is acted on with a small floor probability, responders miss 3% of the alerts
 *   they would have acted on, and many alerts are never answered (ignored by timeout).
 *
 * Alerts come in incidents (bursts repeating every ~15 minutes on one stream). Times are UTC; the
 * team works 09–18 at UTC−3.
 *
 *   node --import tsx bench/alert-history.ts --write-history FILE [--days 120] [--seed 7] [--limit N]
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import type { AlertAction, AlertRecord, Severity } from "../services/common/domain/suppressor/types.js";
import { seededRandom } from "../test/helpers/seeded-random.js";

type Rng = () => number;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MINUTE = 60_000;
/** A Monday. */
export const HISTORY_START = Date.UTC(2026, 0, 5);
const TEAM_UTC_OFFSET_HOURS = -3;

const gaussian = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const lognormal = (r: Rng, median: number, sigma: number) => median * Math.exp(sigma * gaussian(r));
const poisson = (r: Rng, mean: number) => {
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r(); p > limit; p *= r()) k++;
  return k;
};
const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const logistic = (z: number) => 1 / (1 + Math.exp(-z));
/** Acted-on chance rising from `low` to `high` around deviation `at`, over a width `width`. */
const bySize = (deviation: number, at: number, width: number, low: number, high: number) =>
  low + (high - low) * logistic((deviation - at) / width);

interface Context {
  day: number;
  localHour: number;
  weekend: boolean;
  deviation: number;
  slice: string;
  sampleSize: number;
  firstOfBurst: boolean;
}

interface AlertKind {
  rule_kind: string;
  metric: string;
  scope: "global" | "slice";
  perDay: number;
  meanBurst: number;
  /** Median relative deviation and its log-spread. */
  deviation: [number, number];
  /** Whether incidents cluster in the local night (the batch loads run then). */
  nightly?: boolean;
  critical?: (deviation: number) => boolean;
  acted: (c: Context) => number;
}

const MODELS = ["fraud-v3", "churn", "ranker"];
const SLICES = ["country=BR", "country=US", "country=DE", "country=IN", "country=MX", "device=ios", "device=android", "device=web"];
const businessHours = (c: Context) => !c.weekend && c.localHour >= 9 && c.localHour < 18;

const KINDS: AlertKind[] = [
  {
    rule_kind: "threshold",
    metric: "accuracy",
    scope: "global",
    perDay: 6,
    meanBurst: 2,
    deviation: [0.1, 0.6],
    critical: (d) => d > 0.45,
    // The cut-off slides from 15% to 9% over the period: the team grows stricter.
    acted: (c) => bySize(c.deviation, 0.15 - 0.0005 * c.day, 0.02, 0.02, 0.92),
  },
  { rule_kind: "slo", metric: "label_coverage", scope: "global", perDay: 2, meanBurst: 1.5, deviation: [0.05, 0.5], acted: () => 0.8 },
  {
    rule_kind: "drift",
    metric: "drift.amount",
    scope: "slice",
    perDay: 60,
    meanBurst: 3,
    deviation: [0.15, 0.5],
    acted: (c) => bySize(c.deviation, 0.35, 0.03, 0.0005, 0.7),
  },
  {
    rule_kind: "quality",
    metric: "quality.null_fraction",
    scope: "global",
    perDay: 25,
    meanBurst: 2,
    deviation: [0.1, 0.7],
    nightly: true,
    acted: (c) => (businessHours(c) ? 0.7 : 0.001),
  },
  {
    rule_kind: "quality",
    metric: "quality.null_fraction",
    scope: "slice",
    perDay: 80,
    meanBurst: 3,
    deviation: [0.1, 0.6],
    nightly: true,
    acted: (c) => bySize(c.deviation, 0.27, 0.03, 0.0005, 0.6),
  },
  {
    rule_kind: "relative_change",
    metric: "volume",
    scope: "global",
    perDay: 20,
    meanBurst: 4,
    deviation: [0.3, 0.5],
    acted: (c) => (c.firstOfBurst ? 0.6 : 0.001),
  },
  {
    rule_kind: "relative_change",
    metric: "volume",
    scope: "slice",
    perDay: 100,
    meanBurst: 3,
    deviation: [0.3, 0.6],
    acted: (c) => bySize(c.deviation, 0.8, 0.06, 0.0005, 0.6),
  },
  {
    rule_kind: "adaptive",
    metric: "latency_p99",
    scope: "global",
    perDay: 30,
    meanBurst: 2,
    deviation: [0.3, 0.6],
    acted: (c) => bySize(c.deviation, 0.5, 0.06, 0.001, 0.9),
  },
  {
    rule_kind: "threshold",
    metric: "accuracy",
    scope: "slice",
    perDay: 40,
    meanBurst: 2,
    deviation: [0.1, 0.6],
    acted: (c) => (c.slice === "country=BR" || c.slice === "country=IN" ? bySize(c.deviation, 0.1, 0.03, 0.05, 0.85) : 0.001),
  },
  {
    rule_kind: "drift",
    metric: "drift.prediction",
    scope: "global",
    perDay: 10,
    meanBurst: 2,
    deviation: [0.2, 0.5],
    acted: (c) => (c.day < 60 ? 0.6 : 0.01),
  },
  {
    rule_kind: "adaptive",
    metric: "error_rate",
    scope: "slice",
    perDay: 15,
    meanBurst: 2,
    deviation: [0.2, 0.6],
    acted: (c) => (c.day < 40 ? 0.001 : bySize(c.deviation, 0.25, 0.05, 0.001, 0.8)),
  },
  {
    rule_kind: "quality",
    metric: "quality.out_of_bounds",
    scope: "global",
    perDay: 8,
    meanBurst: 1.5,
    deviation: [0.05, 0.8],
    acted: () => 0.3,
  },
  { rule_kind: "team_canary", metric: "canary.error", scope: "global", perDay: 1, meanBurst: 1, deviation: [0.5, 0.5], acted: () => 0.9 },
];

/** Responders' noise: a floor chance of acting on anything, and missed alerts. */
const ACT_FLOOR = 0.0002;
const MISS_RATE = 0.03;

export interface HistoryOptions {
  days: number;
  seed: number;
  start?: number;
}

export function generateAlertHistory(options: HistoryOptions): AlertRecord[] {
  return generateWithChances(options).alerts;
}

/**
 * The history and, for each alert, the responders' true chance of acting on it: what an oracle
 * suppressor would know, for the benchmark's upper bound. Never shown to the suppressor.
 */
export function generateWithChances({ days, seed, start = HISTORY_START }: HistoryOptions): { alerts: AlertRecord[]; chances: number[] } {
  const r = seededRandom(seed);
  const alerts: Array<AlertRecord & { chance: number }> = [];
  for (let day = 0; day < days; day++) {
    for (const kind of KINDS) {
      const incidents = poisson(r, kind.perDay / kind.meanBurst);
      for (let k = 0; k < incidents; k++) {
        const localHour = kind.nightly && r() < 0.6 ? 1 + r() * 5 : r() * 24;
        let time = start + day * DAY + Math.floor((localHour - TEAM_UTC_OFFSET_HOURS) * HOUR);
        const model = pick(r, MODELS);
        const slice = kind.scope === "slice" ? pick(r, SLICES) : "";
        const incidentDeviation = lognormal(r, kind.deviation[0], kind.deviation[1]);
        const size = 1 + poisson(r, kind.meanBurst - 1);
        for (let b = 0; b < size; b++) {
          const deviation = Math.max(0, incidentDeviation * Math.exp(0.15 * gaussian(r)));
          const sampleSize = Math.max(10, Math.round(lognormal(r, 2000, 1.2)));
          const at = new Date(time);
          const context: Context = {
            day,
            localHour: (at.getUTCHours() + TEAM_UTC_OFFSET_HOURS + 24) % 24,
            weekend: at.getUTCDay() === 0 || at.getUTCDay() === 6,
            deviation,
            slice,
            sampleSize,
            firstOfBurst: b === 0,
          };
          let p = kind.acted(context) * (sampleSize < 200 ? 0.4 : 1);
          p = ACT_FLOOR + (1 - ACT_FLOOR) * p * (1 - MISS_RATE);
          const severity: Severity = kind.critical?.(deviation) ? "critical" : deviation > kind.deviation[0] * 2 ? "warning" : "info";
          alerts.push({
            time,
            rule_kind: kind.rule_kind,
            metric: kind.metric,
            severity,
            scope: kind.scope,
            model,
            slice,
            deviation: Number(deviation.toFixed(4)),
            sample_size: sampleSize,
            ...respond(r, time, r() < p),
            chance: p,
          });
          time += Math.round(lognormal(r, 15 * MINUTE, 0.2));
        }
      }
    }
  }
  alerts.sort((a, b) => a.time - b.time);
  return {
    alerts: alerts.map(({ chance: _, ...a }, i) => ({ id: `alert-${String(i + 1).padStart(6, "0")}`, ...a })),
    chances: alerts.map((a) => a.chance),
  };
}

/** Acted alerts are answered within minutes; the rest are often never answered at all. */
function respond(r: Rng, time: number, acted: boolean): { action: AlertAction | null; action_time: number | null } {
  if (acted) return { action: "acted", action_time: time + Math.round(lognormal(r, 20 * MINUTE, 0.8)) };
  const u = r();
  const action: AlertAction | null = u < 0.3 ? "ignored" : u < 0.45 ? "false_positive" : u < 0.55 ? "snoozed" : null;
  return { action, action_time: action === null ? null : time + Math.round(lognormal(r, 2 * HOUR, 1)) };
}

export const toJsonLines = (alerts: AlertRecord[]) => `${alerts.map((a) => JSON.stringify(a)).join("\n")}\n`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({
    options: {
      "write-history": { type: "string" },
      days: { type: "string", default: "120" },
      seed: { type: "string", default: "7" },
      limit: { type: "string" },
    },
  });
  const file = values["write-history"];
  if (!file) {
    process.stderr.write("usage: node --import tsx bench/alert-history.ts --write-history FILE [--days 120] [--seed 7] [--limit N]\n");
    process.exit(2);
  }
  let alerts = generateAlertHistory({ days: Number(values.days), seed: Number(values.seed) });
  if (values.limit !== undefined) alerts = alerts.slice(0, Number(values.limit));
  writeFileSync(file, toJsonLines(alerts));
  process.stderr.write(`wrote ${alerts.length} alerts to ${file}\n`);
}
