/**
 * The alert-history families the suppressor is judged on, each with its oracle (every alert's true
 * chance of being acted on). They differ in what a type is and how many there are, in what the
 * responders' answers depend on, in how behaviour changes, in noise and in class balance.
 *
 * Which families the suppressor may be designed on was decided before any result was seen, and is
 * written down here: DESIGN_FAMILIES. The others are held out: their figures are only looked at
 * in the final benchmark run, never while choosing features, thresholds or settings.
 */
import { generateWithChances } from "../alert-history.js";
import { DAY, generateFamily, hiddenDraws, rising, type Context, type FamilyHistory, type FamilySpec, type TypeSpec } from "./generator.js";

export interface Family {
  name: string;
  summary: string;
  heldOut: boolean;
  generate(): FamilyHistory;
}

/** Designed on: the original generator, and the per-model structure the held-out history showed. */
export const DESIGN_FAMILIES = ["classic", "per-model"] as const;

const slices8 = ["country=BR", "country=US", "country=DE", "country=IN", "country=MX", "device=ios", "device=android", "device=web"];

/**
 * per-model: a type (rule kind, metric, scope) is treated differently on each model: on some models
 * it matters, on others it is noise. Each (type, model) has its own cut-off on the breach size.
 * Three (type, model) pairs change behaviour abruptly part-way through.
 */
function perModel(): FamilySpec {
  const seed = 1601;
  const hidden = hiddenDraws(seed);
  const models = ["fraud", "churn", "ranker", "pricing"];
  const types: TypeSpec[] = [
    {
      rule_kind: "threshold",
      metric: "accuracy",
      scope: "global",
      incidentsPerDay: 2,
      meanBurst: 2,
      deviation: [0.12, 0.6],
      criticalAbove: 0.6,
    },
    { rule_kind: "threshold", metric: "accuracy", scope: "slice", incidentsPerDay: 4, meanBurst: 2, deviation: [0.12, 0.6] },
    { rule_kind: "drift", metric: "drift.amount", scope: "slice", incidentsPerDay: 5, meanBurst: 3, deviation: [0.2, 0.5] },
    { rule_kind: "drift", metric: "drift.prediction", scope: "global", incidentsPerDay: 2, meanBurst: 2, deviation: [0.2, 0.5] },
    { rule_kind: "quality", metric: "quality.null_fraction", scope: "global", incidentsPerDay: 4, meanBurst: 2, deviation: [0.1, 0.7] },
    { rule_kind: "quality", metric: "quality.null_fraction", scope: "slice", incidentsPerDay: 6, meanBurst: 2, deviation: [0.1, 0.7] },
    { rule_kind: "adaptive", metric: "latency_p99", scope: "global", incidentsPerDay: 4, meanBurst: 2, deviation: [0.3, 0.6] },
    { rule_kind: "relative_change", metric: "volume", scope: "global", incidentsPerDay: 3, meanBurst: 3, deviation: [0.3, 0.5] },
  ];
  const changing = new Set(["2|churn", "4|pricing", "6|fraud"]);
  return {
    name: "per-model",
    seed,
    days: 90,
    models,
    slices: slices8,
    types,
    utcOffsetHours: -5,
    floor: 0.002,
    miss: 0.02,
    unanswered: 0.4,
    summary: "treatment of a type depends on its model; per-(type, model) breach cut-offs; 3 pairs flip part-way",
    acted: (c) => {
      const key = `${c.typeIndex}|${c.model}`;
      // A pair matters (high ceiling) or is noise (tiny ceiling); its cut-off sits around the type's median breach.
      let matters = hidden(`matters|${key}`) < 0.5;
      const changeDay = 25 + 50 * hidden(`change|${key}`);
      if (changing.has(key) && c.day >= changeDay) matters = !matters;
      const cut = c.type.deviation[0] * Math.exp(1.2 * (hidden(`cut|${key}`) - 0.5));
      return matters ? rising(Math.log(c.deviation), Math.log(cut), 0.12, 0.01, 0.9) : 0.002;
    },
  };
}

/**
 * many-types: 120 types from a team's own metrics, each firing on one or two models, few answers
 * each; the rule kind and the metric's family carry most of the signal; 3 % acted on.
 */
function manyTypes(): FamilySpec {
  const seed = 1602;
  const hidden = hiddenDraws(seed);
  const models = ["m1", "m2", "m3", "m4", "m5", "m6"];
  const kinds = ["threshold", "drift", "quality", "team_guard"];
  const groups = ["feature", "label", "latency", "volume", "embedding"];
  const types: TypeSpec[] = [];
  for (let i = 0; i < 120; i++) {
    const kind = kinds[i % kinds.length]!;
    const group = groups[Math.floor(i / kinds.length) % groups.length]!;
    const firstModel = Math.floor(hidden(`model|${i}`) * models.length);
    types.push({
      rule_kind: kind,
      metric: `${group}.m${i}`,
      scope: hidden(`scope|${i}`) < 0.4 ? "slice" : "global",
      incidentsPerDay: 0.3 + 1.2 * hidden(`rate|${i}`),
      meanBurst: 2,
      deviation: [0.15, 0.6],
      models: hidden(`two|${i}`) < 0.3 ? [models[firstModel]!, models[(firstModel + 1) % models.length]!] : [models[firstModel]!],
    });
  }
  return {
    name: "many-types",
    seed,
    days: 90,
    models,
    slices: slices8.slice(0, 5),
    types,
    utcOffsetHours: 1,
    floor: 0.001,
    miss: 0.03,
    unanswered: 0.5,
    summary: "120 sparse types of a team's own metrics; the rule kind and metric family carry the signal; ~3 % acted",
    acted: (c) => {
      const kindLevel = { threshold: 0.05, drift: 0.004, quality: 0.012, team_guard: 0.15 }[c.type.rule_kind] ?? 0.05;
      const group = c.type.metric.split(".")[0]!;
      const groupFactor = group === "label" ? 2 : group === "embedding" ? 0.2 : 1;
      const own = 0.3 + 1.4 * hidden(`own|${c.type.metric}`);
      return Math.min(0.95, kindLevel * groupFactor * own * (c.deviation > 0.3 ? 2 : 0.5));
    },
  };
}

/**
 * slice-hours: whether an alert is acted on depends on its slice (the same slices matter on every
 * model), on business hours and on the weekday; 30 % acted on. The team works at UTC+9.
 */
function sliceHours(): FamilySpec {
  const seed = 1603;
  const hidden = hiddenDraws(seed);
  const models = ["search", "ads", "recs"];
  const types: TypeSpec[] = [
    { rule_kind: "threshold", metric: "ctr", scope: "slice", incidentsPerDay: 10, meanBurst: 2, deviation: [0.1, 0.5] },
    { rule_kind: "drift", metric: "drift.amount", scope: "slice", incidentsPerDay: 10, meanBurst: 2, deviation: [0.2, 0.5] },
    {
      rule_kind: "quality",
      metric: "quality.null_fraction",
      scope: "slice",
      incidentsPerDay: 6,
      meanBurst: 2,
      deviation: [0.1, 0.6],
      nightShare: 0.5,
    },
    { rule_kind: "adaptive", metric: "latency_p99", scope: "global", incidentsPerDay: 5, meanBurst: 2, deviation: [0.3, 0.5] },
    { rule_kind: "slo", metric: "availability", scope: "global", incidentsPerDay: 0.5, meanBurst: 1.5, deviation: [0.05, 0.4] },
  ];
  const slices = ["region=jp", "region=kr", "region=us", "region=eu", "app=ios", "app=android", "app=web", "tier=paid", "tier=free"];
  return {
    name: "slice-hours",
    seed,
    days: 90,
    models,
    slices,
    types,
    utcOffsetHours: 9,
    floor: 0.005,
    miss: 0.03,
    unanswered: 0.3,
    summary: "slices that matter on every model; business hours and weekdays; ~30 % acted",
    acted: (c: Context) => {
      if (c.type.rule_kind === "slo") return 0.85;
      const sliceWeight = c.slice === "" ? 0.6 : hidden(`slice|${c.typeIndex}|${c.slice}`) < 0.6 ? 0.95 : 0.08;
      const working = !c.weekend && c.localHour >= 9 && c.localHour < 19;
      const hours = working ? 1 : c.weekend ? 0.15 : 0.35;
      return sliceWeight * hours * (c.type.rule_kind === "quality" ? (c.localHour < 6 ? 0.1 : 1) : 1);
    },
  };
}

/**
 * bursty-noisy: long incidents of which only the first alert or two are acted on; per-type cut-offs
 * on sample size (small samples distrusted); noisy responders: 1 % floor, 10 % missed, 70 % of the
 * rest never answered.
 */
function burstyNoisy(): FamilySpec {
  const seed = 1604;
  const hidden = hiddenDraws(seed);
  const models = ["eta", "supply", "demand"];
  const types: TypeSpec[] = [
    {
      rule_kind: "relative_change",
      metric: "volume",
      scope: "global",
      incidentsPerDay: 3,
      meanBurst: 6,
      deviation: [0.3, 0.5],
      sampleSize: [800, 1.3],
    },
    {
      rule_kind: "relative_change",
      metric: "volume",
      scope: "slice",
      incidentsPerDay: 5,
      meanBurst: 5,
      deviation: [0.3, 0.5],
      sampleSize: [300, 1.3],
    },
    {
      rule_kind: "threshold",
      metric: "mae",
      scope: "global",
      incidentsPerDay: 2,
      meanBurst: 4,
      deviation: [0.15, 0.5],
      sampleSize: [1500, 1.2],
      criticalAbove: 0.8,
    },
    {
      rule_kind: "threshold",
      metric: "mae",
      scope: "slice",
      incidentsPerDay: 6,
      meanBurst: 4,
      deviation: [0.15, 0.5],
      sampleSize: [200, 1.3],
    },
    {
      rule_kind: "drift",
      metric: "drift.prediction",
      scope: "global",
      incidentsPerDay: 2,
      meanBurst: 5,
      deviation: [0.2, 0.5],
      sampleSize: [2000, 1],
    },
    {
      rule_kind: "quality",
      metric: "quality.out_of_bounds",
      scope: "slice",
      incidentsPerDay: 4,
      meanBurst: 6,
      deviation: [0.1, 0.6],
      sampleSize: [500, 1.3],
    },
  ];
  return {
    name: "bursty-noisy",
    seed,
    days: 75,
    models,
    slices: slices8.slice(0, 6),
    types,
    utcOffsetHours: 0,
    floor: 0.01,
    miss: 0.1,
    unanswered: 0.7,
    summary: "long bursts where only the first alerts count; per-type sample-size cut-offs; noisy, mostly unanswered",
    acted: (c) => {
      const minSamples = 50 * Math.exp(4 * hidden(`samples|${c.typeIndex}`));
      const trusted = c.sampleSize >= minSamples ? 1 : 0.05;
      const burst = c.burstPosition === 0 ? 1 : c.burstPosition === 1 ? 0.3 : 0.02;
      const base = 0.25 + 0.5 * hidden(`base|${c.typeIndex}|${c.model}`);
      return base * trusted * burst;
    },
  };
}

/**
 * drifting: cut-offs on the breach size that slide slowly (each (type, model) its own way), and four
 * (type, model) pairs whose behaviour changes abruptly, some late in the history; about 17 % acted on.
 */
function drifting(): FamilySpec {
  const seed = 1605;
  const hidden = hiddenDraws(seed);
  const models = ["credit", "kyc", "collections"];
  const types: TypeSpec[] = [
    { rule_kind: "threshold", metric: "auc", scope: "global", incidentsPerDay: 3, meanBurst: 2, deviation: [0.08, 0.6] },
    { rule_kind: "threshold", metric: "auc", scope: "slice", incidentsPerDay: 8, meanBurst: 2, deviation: [0.08, 0.6] },
    { rule_kind: "drift", metric: "drift.amount", scope: "slice", incidentsPerDay: 12, meanBurst: 3, deviation: [0.2, 0.5] },
    { rule_kind: "adaptive", metric: "approval_rate", scope: "global", incidentsPerDay: 4, meanBurst: 2, deviation: [0.1, 0.5] },
    { rule_kind: "quality", metric: "quality.cardinality", scope: "global", incidentsPerDay: 4, meanBurst: 2, deviation: [0.2, 0.6] },
    { rule_kind: "relative_change", metric: "volume", scope: "slice", incidentsPerDay: 6, meanBurst: 3, deviation: [0.3, 0.5] },
  ];
  const abrupt: Record<string, number> = { "1|kyc": 40, "2|credit": 62, "4|collections": 80, "5|kyc": 85 };
  return {
    name: "drifting",
    seed,
    days: 100,
    models,
    slices: slices8.slice(2, 8),
    types,
    utcOffsetHours: 2,
    floor: 0.002,
    miss: 0.03,
    unanswered: 0.45,
    summary: "per-(type, model) cut-offs sliding over time; four pairs change abruptly, two of them late",
    acted: (c) => {
      const key = `${c.typeIndex}|${c.model}`;
      const slope = (hidden(`slope|${key}`) - 0.5) * 0.016; // log-cut-off change per day
      const cut = c.type.deviation[0] * Math.exp(0.8 * (hidden(`cut|${key}`) - 0.3) + slope * c.day);
      let level = 0.05 + 0.6 * hidden(`level|${key}`);
      const change = abrupt[key];
      if (change !== undefined && c.day >= change) level = level > 0.5 ? 0.01 : 0.85;
      return rising(Math.log(c.deviation), Math.log(cut), 0.15, 0.003, level);
    },
  };
}

/**
 * rare-acted: 2 % acted on. Almost everything is noise except a few streams (a model and a slice)
 * the team watches, and very large breaches anywhere.
 */
function rareActed(): FamilySpec {
  const seed = 1606;
  const hidden = hiddenDraws(seed);
  const models = ["a", "b", "c", "d", "e"];
  const types: TypeSpec[] = [
    { rule_kind: "drift", metric: "drift.amount", scope: "slice", incidentsPerDay: 8, meanBurst: 3, deviation: [0.2, 0.6] },
    { rule_kind: "quality", metric: "quality.null_fraction", scope: "slice", incidentsPerDay: 6, meanBurst: 2, deviation: [0.1, 0.7] },
    { rule_kind: "threshold", metric: "precision", scope: "slice", incidentsPerDay: 4, meanBurst: 2, deviation: [0.1, 0.6] },
    { rule_kind: "relative_change", metric: "volume", scope: "global", incidentsPerDay: 2, meanBurst: 3, deviation: [0.3, 0.5] },
  ];
  return {
    name: "rare-acted",
    seed,
    days: 90,
    models,
    slices: slices8,
    types,
    utcOffsetHours: -8,
    floor: 0.0005,
    miss: 0.03,
    unanswered: 0.6,
    summary: "2 % acted: a few watched streams (model and slice) and very large breaches; the rest noise",
    acted: (c) => {
      const watched = hidden(`watch|${c.typeIndex}|${c.model}|${c.slice}`) < 0.025;
      const huge = c.deviation > c.type.deviation[0] * 5 ? 0.3 : 0;
      return Math.max(watched ? 0.6 : 0.003, huge);
    },
  };
}

const classic: Family = {
  name: "classic",
  summary: "the original generator (bench/alert-history.ts, seed 7, 120 days)",
  heldOut: false,
  generate: () => generateWithChances({ days: 120, seed: 7 }),
};

const specs = [perModel(), manyTypes(), sliceHours(), burstyNoisy(), drifting(), rareActed()];

export const FAMILIES: Family[] = [
  classic,
  ...specs.map((spec) => ({
    name: spec.name,
    summary: spec.summary,
    heldOut: !(DESIGN_FAMILIES as readonly string[]).includes(spec.name),
    generate: () => generateFamily(spec),
  })),
];

export { DAY };
