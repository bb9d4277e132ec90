/**
 * The machinery every alert-history family shares: incidents (bursts of one stream) drawn per alert
 * type and day, breach sizes, sample sizes, responders' answers. A family supplies what differs:
 * which types, models and slices exist, how often each fires, and its responders' true chance of
 * acting on an alert in its context. That chance is the family's oracle; it is returned beside the
 * history and never shown to the suppressor.
 */
import type { AlertAction, AlertRecord, Severity } from "../../services/common/domain/suppressor/types.js";
import { seededRandom } from "../../test/helpers/seeded-random.js";

export type { Severity };
export type Rng = () => number;

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
export const MINUTE = 60_000;
/** A Monday. */
export const FAMILY_START = Date.UTC(2026, 0, 5);

export const gaussian = (r: Rng) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
export const lognormal = (r: Rng, median: number, sigma: number) => median * Math.exp(sigma * gaussian(r));
export const poisson = (r: Rng, mean: number) => {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(r)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = r(); p > limit; p *= r()) k++;
  return k;
};
export const pick = <T>(r: Rng, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
export const logistic = (z: number) => 1 / (1 + Math.exp(-z));
/** A chance rising from `low` to `high` as `x` passes `at`, over a width `width`. */
export const rising = (x: number, at: number, width: number, low: number, high: number) => low + (high - low) * logistic((x - at) / width);

/** One kind of alert a family fires: the alert type and how its incidents look. */
export interface TypeSpec {
  rule_kind: string;
  metric: string;
  scope: "global" | "slice";
  /** Incidents per day per model it fires on. */
  incidentsPerDay: number;
  meanBurst: number;
  /** Median relative deviation and its log-spread. */
  deviation: [number, number];
  /** Median sample size and its log-spread (default 2000, 1.2). */
  sampleSize?: [number, number];
  /** The models it fires on (default: all of the family's). */
  models?: readonly string[];
  /** Share of incidents in the team's local night (default: none beyond uniform). */
  nightShare?: number;
  /** Breach sizes above this are critical (default: never). */
  criticalAbove?: number;
}

/** What the responders see when deciding whether to act. */
export interface Context {
  type: TypeSpec;
  typeIndex: number;
  model: string;
  slice: string;
  day: number;
  localHour: number;
  /** 0 Sunday .. 6 Saturday, local. */
  weekday: number;
  weekend: boolean;
  deviation: number;
  sampleSize: number;
  /** Earlier alerts of the same incident (0 for the first). */
  burstPosition: number;
  /** Alerts the same type raised on the same model in incidents of the two preceding days. */
  recentAlerts: number;
}

export interface FamilySpec {
  name: string;
  /** What this family's structure is, in one line for the bench's legend. */
  summary: string;
  days: number;
  seed: number;
  models: readonly string[];
  slices: readonly string[];
  types: readonly TypeSpec[];
  /** Hours from UTC of the team's local time. */
  utcOffsetHours: number;
  /** The responders' chance of acting, before noise. */
  acted: (c: Context) => number;
  /** Chance of acting on anything at all, and share of would-be-acted alerts missed. */
  floor: number;
  miss: number;
  /** Share of not-acted alerts left unanswered (they time out as ignored). */
  unanswered: number;
  /** Day a model starts firing (a model launched part-way); default 0 for every model. */
  modelStartDay?: Readonly<Record<string, number>>;
  /** Factor on a type's incidents per day on a model and day (uneven volumes, noisy spells); default 1. */
  incidentRate?: (typeIndex: number, model: string, day: number) => number;
  /** Traffic at a local hour as a share of the daily peak; sample sizes scale with it. Default: flat. */
  traffic?: (localHour: number) => number;
  /**
   * Relative weights of `slices` for slice-scoped alerts (a long tail of slices); default: even.
   * Either way a slice takes one draw, so families without weights keep their draws.
   */
  sliceWeights?: readonly number[];
  /**
   * An alert's severity in its context (severities set per rule, not by breach size alone); default:
   * critical above the type's `criticalAbove`, warning above twice its median breach, else info.
   */
  severity?: (c: Context) => Severity;
  /** Share of not-acted alerts left unanswered in a context, in place of `unanswered`. */
  unansweredIn?: (c: Context) => number;
  /**
   * The local hour an incident of a type on a model and day starts, from one uniform draw `u`
   * (incidents clustered around an event); in place of the default, uniform over the day or, for a
   * type's `nightShare`, over the night. Families without it draw as before.
   */
  incidentHour?: (typeIndex: number, model: string, day: number, u: number) => number;
  /** Factor on a type's median breach on a model and day (a rule's threshold retuned part-way); default 1. */
  breachScale?: (typeIndex: number, model: string, day: number) => number;
}

export interface FamilyHistory {
  alerts: AlertRecord[];
  /** Each alert's true chance of being acted on, in the order of `alerts`. */
  chances: number[];
}

export function generateFamily(spec: FamilySpec): FamilyHistory {
  const r = seededRandom(spec.seed);
  const start = FAMILY_START;
  const rows: Array<{ alert: AlertRecord; chance: number }> = [];
  // Alerts per (type, model) and day; counting draws nothing, so it leaves every history as it was.
  const daily = new Map<string, number[]>();
  const sliceOf = sliceChooser(spec);
  for (let day = 0; day < spec.days; day++) {
    spec.types.forEach((type, typeIndex) => {
      for (const model of type.models ?? spec.models) {
        // Before its launch a model draws nothing, so families without launches keep their draws.
        if (day < (spec.modelStartDay?.[model] ?? 0)) continue;
        const key = `${typeIndex}|${model}`;
        const counts = daily.get(key) ?? [];
        daily.set(key, counts);
        const recentAlerts = (counts[day - 1] ?? 0) + (counts[day - 2] ?? 0);
        let raised = 0;
        const rate =
          spec.incidentRate === undefined ? type.incidentsPerDay : type.incidentsPerDay * spec.incidentRate(typeIndex, model, day);
        const incidents = poisson(r, rate);
        for (let k = 0; k < incidents; k++) {
          const localHour =
            spec.incidentHour !== undefined
              ? spec.incidentHour(typeIndex, model, day, r())
              : type.nightShare !== undefined && r() < type.nightShare
                ? r() * 6
                : r() * 24;
          let time = start + day * DAY + Math.floor((localHour - spec.utcOffsetHours) * HOUR);
          const slice = type.scope === "slice" ? sliceOf(r) : "";
          const breachMedian =
            spec.breachScale === undefined ? type.deviation[0] : type.deviation[0] * spec.breachScale(typeIndex, model, day);
          const incidentDeviation = lognormal(r, breachMedian, type.deviation[1]);
          const size = 1 + poisson(r, type.meanBurst - 1);
          const [sampleMedian, sampleSpread] = type.sampleSize ?? [2000, 1.2];
          for (let b = 0; b < size; b++) {
            const local = new Date(time + spec.utcOffsetHours * HOUR);
            const hour = local.getUTCHours() + local.getUTCMinutes() / 60;
            const deviation = Math.max(0, incidentDeviation * Math.exp(0.15 * gaussian(r)));
            const median = spec.traffic === undefined ? sampleMedian : sampleMedian * spec.traffic(hour);
            const sampleSize = Math.max(10, Math.round(lognormal(r, median, sampleSpread)));
            const weekday = local.getUTCDay();
            const context: Context = {
              type,
              typeIndex,
              model,
              slice,
              day: (time - start) / DAY,
              localHour: hour,
              weekday,
              weekend: weekday === 0 || weekday === 6,
              deviation,
              sampleSize,
              burstPosition: b,
              recentAlerts,
            };
            const p = spec.floor + (1 - spec.floor) * Math.min(1, Math.max(0, spec.acted(context))) * (1 - spec.miss);
            const severity: Severity =
              spec.severity !== undefined
                ? spec.severity(context)
                : type.criticalAbove !== undefined && deviation > type.criticalAbove
                  ? "critical"
                  : deviation > type.deviation[0] * 2
                    ? "warning"
                    : "info";
            const alert: AlertRecord = {
              time,
              rule_kind: type.rule_kind,
              metric: type.metric,
              severity,
              scope: type.scope,
              model,
              slice,
              deviation: Number(deviation.toFixed(4)),
              sample_size: sampleSize,
              ...respond(r, time, r() < p, spec.unansweredIn === undefined ? spec.unanswered : spec.unansweredIn(context)),
            };
            rows.push({ alert, chance: p });
            raised++;
            time += Math.round(lognormal(r, 15 * MINUTE, 0.2));
          }
        }
        counts[day] = raised;
      }
    });
  }
  rows.sort((a, b) => a.alert.time - b.alert.time);
  return {
    alerts: rows.map(({ alert }, i) => ({ id: `${spec.name}-${String(i + 1).padStart(6, "0")}`, ...alert })),
    chances: rows.map((x) => x.chance),
  };
}

/** A slice for a slice-scoped alert: one draw, evenly or by the family's weights. */
function sliceChooser(spec: FamilySpec): (r: Rng) => string {
  const weights = spec.sliceWeights;
  if (weights === undefined) return (r) => pick(r, spec.slices);
  if (weights.length !== spec.slices.length)
    throw new Error(`${spec.name}: ${weights.length} slice weights for ${spec.slices.length} slices`);
  const cumulative: number[] = [];
  let total = 0;
  for (const w of weights) cumulative.push((total += w));
  return (r) => {
    const u = r() * total;
    const i = cumulative.findIndex((c) => u < c);
    return spec.slices[i === -1 ? spec.slices.length - 1 : i]!;
  };
}

/** Acted alerts are answered within minutes; the rest are answered otherwise, or left to time out. */
function respond(r: Rng, time: number, acted: boolean, unanswered: number): { action: AlertAction | null; action_time: number | null } {
  if (acted) return { action: "acted", action_time: time + Math.round(lognormal(r, 20 * MINUTE, 0.8)) };
  const u = r();
  if (u < unanswered) return { action: null, action_time: null };
  const v = r();
  const action: AlertAction = v < 0.6 ? "ignored" : v < 0.85 ? "false_positive" : "snoozed";
  return { action, action_time: time + Math.round(lognormal(r, 2 * HOUR, 1)) };
}

/** A fixed draw per key, in [0, 1): the family's hidden per-type parameters, stable across days. */
export function hiddenDraws(seed: number): (key: string) => number {
  const cache = new Map<string, number>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      let h = seed >>> 0;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
      v = seededRandom(h)();
      cache.set(key, v);
    }
    return v;
  };
}
