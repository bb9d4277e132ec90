/**
 * Label-free estimation benchmark: Hindsight's calibrated CBPE (services/common/domain/estimation)
 * beside NannyML's CBPE on the same data, both against the realised metrics of each daily chunk.
 *
 *   npm run bench:estimate -- [--seeds 6,7,8,9,10,11,12,13] [--rows-per-day 1500] [--skip-peers]
 *
 * The data is shaped like NannyML's synthetic car-loan benchmark: a binary model with decision
 * threshold 0.65, a labelled reference period (30 days) to calibrate on, then 60 analysis days
 * whose second half carries covariate shift (P(y | x) unchanged, the features' distribution moved,
 * so P(y | score) moves too because the model misses an interaction and a feature). Each seed is run
 * twice: with that shift and without it. No analysis label reaches either estimator in the head-to-head
 * columns; a last column shows Hindsight with labels arriving late, as the product would see them.
 *
 * Seeds 1–5 served the design: seed 1 shaped the data and the estimator; seeds 2–5, first set aside,
 * judged that version and showed its ROC AUC behind NannyML's, which led to one change (end blocks
 * of the calibration no longer shrunk towards the base rate). The figures printed by default are
 * seeds 6–13, set aside before that change and run once after it. Pure and in-process (no
 * ClickHouse): what is measured is the estimate, not storage.
 * NannyML runs in .cache/bench-venv (created when missing).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CACHE_DIR, ROOT } from "../infra/local/paths.js";
import { fitCalibration } from "../services/common/domain/estimation/calibration.js";
import { estimateWindow, estimateWithProbabilities, groupRows, type WindowEstimate } from "../services/common/domain/estimation/cbpe.js";
import { seededRandom } from "../test/helpers/seeded-random.js";
import { benchPython } from "./python-env.js";
import { log } from "./stack.js";

const { values: args } = parseArgs({
  options: {
    seeds: { type: "string", default: "6,7,8,9,10,11,12,13" },
    "rows-per-day": { type: "string", default: "1500" },
    "skip-peers": { type: "boolean", default: false },
  },
});
const SEEDS = args.seeds.split(",").map(Number);
const ROWS_PER_DAY = Number(args["rows-per-day"]);
if (!SEEDS.every(Number.isInteger) || !(Number.isInteger(ROWS_PER_DAY) && ROWS_PER_DAY > 0))
  throw new Error("--seeds takes integers separated by commas, --rows-per-day a positive integer");

const THRESHOLD = 0.65;
const REFERENCE_DAYS = 30;
const ANALYSIS_DAYS = 60;
/** Analysis days from this one on carry the covariate shift. */
const DRIFT_FROM = 30;
const START = Date.UTC(2026, 0, 1);
const DAY_MS = 86_400_000;
const METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"] as const;
type Metric = (typeof METRICS)[number];
const METRIC_KEY = { accuracy: "accuracy", precision: "precision", recall: "recall", f1: "f1", roc_auc: "rocAuc" } as const;
/** The shifted tenure is u^0.4 (mean 0.71 instead of 0.5) and moves the true log-odds by 2.5 per unit. */
const TENURE_SHIFT = 0.4;
const TENURE_EFFECT = 2.5;
/** The refreshed calibration uses the latest labelled rows, as many as the reference holds. */
const CALIBRATION_ROWS = REFERENCE_DAYS * ROWS_PER_DAY;
const DATA_DIR = join(CACHE_DIR, "estimate-bench");

interface Row {
  day: number;
  score: number;
  label: 0 | 1;
  /** The true probability of the positive class, known only to the generator (for the oracle). */
  truth: number;
}

/** One car-loan-like applicant: features, the true repayment probability, and the model's score. */
function generate(seed: number, drift: boolean): { reference: Row[]; analysis: Row[] } {
  const rand = seededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  const row = (day: number, shifted: boolean): Row => {
    const carValue = normal() + (shifted ? 0.8 : 0);
    const debtRatio = normal() * (shifted ? 1.3 : 1);
    const u = rand();
    const salaryBand = shifted ? (u < 0.15 ? 0 : u < 0.5 ? 1 : 2) : u < 0.3 ? 0 : u < 0.7 ? 1 : 2;
    const tenure = shifted ? rand() ** TENURE_SHIFT : rand();
    const repaidBefore = rand() < 0.5 ? 1 : 0;
    const linear = 0.4 + 1.3 * carValue - 1.1 * debtRatio + 0.5 * (salaryBand - 1) + 0.7 * repaidBefore;
    const truth = sigmoid(linear - 0.6 * carValue * debtRatio + TENURE_EFFECT * (tenure - 0.5));
    // The model misses the interaction and tenure, and is overconfident: calibration is needed.
    const score = Math.round(sigmoid(1.4 * linear + 0.3) * 1e6) / 1e6;
    return { day, score, truth, label: rand() < truth ? 1 : 0 };
  };
  const days = (first: number, count: number, shiftFrom: number) =>
    Array.from({ length: count }, (_, d) => Array.from({ length: ROWS_PER_DAY }, () => row(first + d, drift && d >= shiftFrom))).flat();
  return { reference: days(0, REFERENCE_DAYS, Infinity), analysis: days(REFERENCE_DAYS, ANALYSIS_DAYS, DRIFT_FROM) };
}

/** Realised metrics of one chunk, by definition (ROC AUC by ranks, ties counting one half). */
function realised(rows: Row[]): Record<Metric, number> {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const r of rows) {
    if (r.score >= THRESHOLD) r.label ? tp++ : fp++;
    else r.label ? fn++ : tn++;
  }
  const sorted = rows.slice().sort((a, b) => a.score - b.score);
  let negativesBelow = 0;
  let right = 0;
  for (let i = 0; i < sorted.length; ) {
    const score = sorted[i]?.score;
    let pos = 0;
    let neg = 0;
    for (let r = sorted[i]; r !== undefined && r.score === score; r = sorted[++i]) r.label ? pos++ : neg++;
    right += pos * (negativesBelow + neg / 2);
    negativesBelow += neg;
  }
  return {
    accuracy: (tp + tn) / rows.length,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: (2 * tp) / (2 * tp + fp + fn),
    roc_auc: right / ((tp + fn) * (fp + tn)),
  };
}

type Estimates = (Partial<Record<Metric, number | null>> | undefined)[];

function ours(reference: Row[], chunks: Row[][]): WindowEstimate[] {
  const calibration = fitCalibration(groupRows(reference));
  return chunks.map((chunk) => estimateWindow(groupRows(chunk.map((r) => ({ score: r.score }))), calibration, THRESHOLD));
}

function summary(e: WindowEstimate): Partial<Record<Metric, number | null>> {
  return {
    accuracy: e.accuracy?.value,
    precision: e.precision?.value,
    recall: e.recall?.value,
    f1: e.f1?.value,
    roc_auc: e.rocAuc?.value,
  };
}

/** What CBPE would give if it knew each row's true probability: the floor set by chance alone. */
function oracle(chunks: Row[][]): Estimates {
  return chunks.map((chunk) =>
    summary(
      estimateWithProbabilities(
        chunk.map((r) => ({ score: r.score, probability: r.truth, unlabelled: 1, positives: 0, negatives: 0 })),
        THRESHOLD,
      ),
    ),
  );
}

/**
 * Labels arriving late, as the product sees them: one in ten the same day (a fast feedback path),
 * the rest after two weeks or more (14 days + an exponential of mean 7). Each day's estimate is read
 * the next morning (end of day d + 1). Drawn from their own stream, so the data stays the seed's.
 */
function labelArrivals(seed: number, analysis: Row[]): number[] {
  const rand = seededRandom(seed + 1_000_000);
  return analysis.map((r) => r.day + (rand() < 0.1 ? rand() : 14 - 7 * Math.log(1 - rand())));
}

/**
 * Hindsight with the labels known when each estimate is read: the window's own labels count as
 * certain (the blend), and the calibration is refitted on the latest labelled rows (the reference
 * and the analysis rows whose labels have arrived, by prediction time), as many as the reference
 * holds. NannyML's CBPE is fitted once on the reference and cannot use either.
 */
function oursWithLabels(reference: Row[], analysis: Row[], arrivals: number[], chunks: Row[][]): WindowEstimate[] {
  return chunks.map((chunk, d) => {
    const now = REFERENCE_DAYS + d + 2;
    const known = (i: number) => (arrivals[i] as number) <= now;
    const arrived = analysis.filter((_, i) => known(i));
    const history = [...reference, ...arrived].slice(-CALIBRATION_ROWS);
    const first = d * ROWS_PER_DAY;
    const window = chunk.map((r, i) => (known(first + i) ? r : { score: r.score }));
    return estimateWindow(groupRows(window), fitCalibration(groupRows(history)), THRESHOLD);
  });
}

/** Today's product estimate (window-stats.query.ts): the raw confidence of the predicted class. */
function today(chunks: Row[][]): Estimates {
  return chunks.map((chunk) => ({
    accuracy: chunk.reduce((s, r) => s + (r.score >= THRESHOLD ? r.score : 1 - r.score), 0) / chunk.length,
  }));
}

function nannyml(seed: number, drift: boolean, reference: Row[], analysis: Row[]): { version: string; chunks: Estimates } {
  mkdirSync(DATA_DIR, { recursive: true });
  const file = (name: string) => join(DATA_DIR, `seed${seed}-${drift ? "drift" : "nodrift"}-${name}.csv`);
  const write = (path: string, rows: Row[], withLabel: boolean) => {
    const lines = rows.map((r, i) => {
      const ms = START + r.day * DAY_MS + Math.floor(((i % ROWS_PER_DAY) * DAY_MS) / ROWS_PER_DAY);
      const base = `${r.day},${new Date(ms).toISOString()},${r.score},${r.score >= THRESHOLD ? 1 : 0}`;
      return withLabel ? `${base},${r.label}` : base;
    });
    writeFileSync(path, `day,timestamp,score,pred${withLabel ? ",label" : ""}\n${lines.join("\n")}\n`);
  };
  write(file("reference"), reference, true);
  write(file("analysis"), analysis, false);
  const python = benchPython(["nannyml", "pandas"]);
  const result = spawnSync(
    python,
    [join(ROOT, "bench/python/nannyml_cbpe.py"), "--reference", file("reference"), "--analysis", file("analysis")],
    { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`the NannyML script failed (exit ${result.status})`);
  const out = JSON.parse(result.stdout) as { version: string; chunks: ({ date: string } & Record<Metric, number | null>)[] };
  const byDate = new Map(out.chunks.map((c) => [c.date, c]));
  const chunks = Array.from({ length: ANALYSIS_DAYS }, (_, d) =>
    byDate.get(new Date(START + (REFERENCE_DAYS + d) * DAY_MS).toISOString().slice(0, 10)),
  );
  return { version: out.version, chunks };
}

/** Mean absolute error per metric over the given analysis days (chunks where both sides are defined). */
function mae(estimates: Estimates, truth: Record<Metric, number>[], days: number[]): Partial<Record<Metric, number>> {
  const out: Partial<Record<Metric, number>> = {};
  for (const m of METRICS) {
    const errors = days.flatMap((d) => {
      const e = estimates[d]?.[m];
      const t = truth[d]?.[m];
      return typeof e === "number" && Number.isFinite(e) && t !== undefined && Number.isFinite(t) ? [Math.abs(e - t)] : [];
    });
    if (errors.length > 0) out[m] = errors.reduce((s, x) => s + x, 0) / errors.length;
  }
  return out;
}

type Tool = "hindsight" | "nannyml" | "today" | "oracle" | "late labels";
type Period = "whole" | "drifted half";

function main(): void {
  const all = Array.from({ length: ANALYSIS_DAYS }, (_, d) => d);
  const half = all.filter((d) => d >= DRIFT_FROM);
  // scenario → tool → period → metric → per-seed MAE
  const sums = new Map<string, number[]>();
  const add = (key: string, value: number | undefined) => {
    if (value !== undefined) sums.set(key, [...(sums.get(key) ?? []), value]);
  };
  let peerVersion = "";
  // scenario|tool|metric → [days whose realised value lay inside the 95 % interval, days]
  const covered = new Map<string, [number, number]>();
  for (const seed of SEEDS)
    for (const drift of [true, false]) {
      const scenario = drift ? "with drift" : "without drift";
      const { reference, analysis } = generate(seed, drift);
      const chunks = Array.from({ length: ANALYSIS_DAYS }, (_, d) => analysis.filter((r) => r.day === REFERENCE_DAYS + d));
      const truth = chunks.map(realised);
      const plain = ours(reference, chunks);
      const late = oursWithLabels(reference, analysis, labelArrivals(seed, analysis), chunks);
      for (const [tool, windows] of [
        ["hindsight", plain],
        ["late labels", late],
      ] as [Tool, WindowEstimate[]][])
        windows.forEach((w, d) => {
          for (const m of METRICS) {
            const e = w[METRIC_KEY[m]];
            const t = truth[d]?.[m];
            if (!e || t === undefined) continue;
            const key = `${scenario}|${tool}|${m}`;
            const [hits, n] = covered.get(key) ?? [0, 0];
            covered.set(key, [hits + (e.low <= t && t <= e.high ? 1 : 0), n + 1]);
          }
        });
      const tools: [Tool, Estimates][] = [
        ["hindsight", plain.map(summary)],
        ["today", today(chunks)],
        ["oracle", oracle(chunks)],
        ["late labels", late.map(summary)],
      ];
      if (!args["skip-peers"]) {
        log(`seed ${seed}, ${scenario}: NannyML CBPE`);
        const peer = nannyml(seed, drift, reference, analysis);
        peerVersion = peer.version;
        tools.push(["nannyml", peer.chunks]);
      }
      for (const [tool, estimates] of tools)
        for (const [period, days] of [
          ["whole", all],
          ["drifted half", half],
        ] as [Period, number[]][]) {
          const errors = mae(estimates, truth, days);
          for (const m of METRICS) add(`${scenario}|${tool}|${period}|${m}`, errors[m]);
        }
    }
  const mean = (xs: number[] | undefined) => (xs ? xs.reduce((s, x) => s + x, 0) / xs.length : undefined);
  const fmt = (x: number | undefined) => (x === undefined ? "     –" : x.toFixed(4));
  console.log(
    `\nmean absolute error of the daily estimate against the realised metric; ${ROWS_PER_DAY} rows a day, ` +
      `${ANALYSIS_DAYS} analysis days (the last ${ANALYSIS_DAYS - DRIFT_FROM} are "the drifted half" even without drift); ` +
      `mean over seeds ${SEEDS.join(", ")}${peerVersion ? `; NannyML ${peerVersion}` : ""}`,
  );
  for (const scenario of ["with drift", "without drift"]) {
    console.log(`\n${scenario}`);
    console.log(
      `${"metric".padEnd(10)} ${"period".padEnd(13)} ${"Hindsight".padStart(9)} ${"NannyML".padStart(9)} ${"today".padStart(9)} ${"oracle".padStart(9)} ${"late labels".padStart(12)}`,
    );
    for (const m of METRICS)
      for (const period of ["whole", "drifted half"] as Period[]) {
        const cell = (tool: Tool) => fmt(mean(sums.get(`${scenario}|${tool}|${period}|${m}`))).padStart(9);
        console.log(
          `${m.padEnd(10)} ${period.padEnd(13)} ${cell("hindsight")} ${cell("nannyml")} ${cell("today")} ${cell("oracle")} ${cell("late labels").padStart(12)}`,
        );
      }
  }
  const pct = (key: string) => {
    const [hits, n] = covered.get(key) ?? [0, 0];
    return n === 0 ? "–" : `${((100 * hits) / n).toFixed(0)} %`;
  };
  console.log("\ndays whose realised value lay inside Hindsight's 95 % interval");
  for (const scenario of ["with drift", "without drift"])
    for (const tool of ["hindsight", "late labels"] as Tool[])
      console.log(
        `${`${scenario}, ${tool === "hindsight" ? "no labels" : "late labels"}`.padEnd(28)} ` +
          METRICS.map((m) => `${m} ${pct(`${scenario}|${tool}|${m}`)}`).join(", "),
      );
  console.log(
    '\nHindsight and NannyML: calibrated on the reference only, no analysis label. "today": the estimated_accuracy ' +
      'the product serves now (confidence of the predicted class, uncalibrated). "oracle": CBPE with the true ' +
      'probabilities (the floor chance alone sets). "late labels": Hindsight with the labels known the next morning ' +
      "(10 % the same day, the rest after 14 days or more): the window's own labels blended in, the calibration " +
      "refitted on the latest labelled rows.",
  );
}

main();
