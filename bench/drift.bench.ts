/**
 * Drift benchmark: current rows per second scored for drift, 20 features, by Hindsight's own code
 * path (reference profiles and the window's summaries computed in ClickHouse, then decideDrift),
 * beside Evidently's DataDriftPreset and a plain scipy baseline on the same data in the same run.
 * Then, per feature, the two tools' methods, scores and decisions side by side, and what drift per
 * slice adds for a model that declares slice keys (country: 5 values; merchant: 200, of which the
 * 20 busiest are kept).
 *
 * Then end to end: the same current rows as prediction events in Kafka, and the processor started
 * on them; the time from its start until every feature's decision for the window is stored with
 * all the rows counted (the processor's own path: ingestion, the metrics consumer's marks, the
 * window workers' recomputations), and whether those decisions equal the summaries path's.
 *
 *   npm run bench:drift -- [--rows 1000000] [--reference-rows 100000] [--skip-peers] [--skip-end-to-end]
 *
 * Starts its own Kafka and ClickHouse on the benchmark ports unless KAFKA_BROKERS and
 * CLICKHOUSE_URL are set. The peers run in .cache/bench-venv (created when missing). Loading is
 * timed but not counted as drift computation for the summaries path and the peers: ClickHouse
 * inserts for us, CSV parsing for the peers; end to end, ingestion is part of the time.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Partitioners } from "kafkajs";
import type { ClickHouse } from "../services/common/clickhouse/client.js";
import { serialize } from "../services/common/clickhouse/batch-writer.js";
import { driftRepository, type DriftRepository } from "../services/common/clickhouse/drift.repository.js";
import { migrate } from "../services/common/clickhouse/migrations.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { decideDrift, type FeatureDrift } from "../services/common/domain/drift/feature-drift.js";
import { emptySummary } from "../services/common/domain/drift/summary.js";
import { sliceDriftRepository } from "../services/common/clickhouse/slice-drift.repository.js";
import { decideSliceDrift, mergeSliceWindows } from "../services/common/domain/drift/slice-drift.js";
import type { FeatureProfile } from "../services/common/domain/drift/profile.js";
import { CACHE_DIR, ROOT } from "../infra/local/paths.js";
import { CATEGORICAL, CSV_HEADER, DRIFTED, NUMERIC, csvLine, featureColumns, sampler, type Row } from "./drift-data.js";
import { log, startBenchStack } from "./stack.js";
import { benchPython } from "./python-env.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import type { BenchStack } from "./stack.js";

const { values: args } = parseArgs({
  options: {
    rows: { type: "string", default: "1000000" },
    "reference-rows": { type: "string", default: "100000" },
    "skip-peers": { type: "boolean", default: false },
    "skip-end-to-end": { type: "boolean", default: false },
  },
});
const ROWS = Number(args.rows);
const REFERENCE_ROWS = Number(args["reference-rows"]);
if (!(Number.isInteger(ROWS) && ROWS > 0 && Number.isInteger(REFERENCE_ROWS) && REFERENCE_ROWS > 0))
  throw new Error("--rows and --reference-rows take positive integers");

const DATA_DIR = join(CACHE_DIR, "drift-bench");
const MODEL = "bench";
/** The end-to-end run's model: its rows come through Kafka, apart from the ones loaded directly. */
const E2E_MODEL = "bench-e2e";
const VERSION = "v1";
const REFERENCE_ID = "bench-ref";
/** One base window of a day holds every current row, so the whole sample is scored as one window. */
const BASE_SECONDS = 86_400;
const DAY = Date.UTC(2026, 0, 1) / 1000;
/** Rows generated, written and inserted at a time, to bound memory. */
const SLICE = 50_000;

interface PeerColumn {
  method: string;
  score: number | null;
  threshold: number;
  drifted: boolean;
}

interface PeerResult {
  load_seconds: number;
  evidently: { version: string; seconds: number; columns: Record<string, PeerColumn> };
  scipy: { seconds: number; columns: Record<string, Record<string, number | null>> };
}

async function main(): Promise<void> {
  // One window size, a day: the whole sample is one window end to end too.
  const stack = await startBenchStack({ HINDSIGHT_WINDOWS: String(BASE_SECONDS) });
  const { config, infra, ch } = stack;
  const files = { reference: join(DATA_DIR, "reference.csv"), current: join(DATA_DIR, "current.csv") };
  try {
    await migrate(ch);
    mkdirSync(DATA_DIR, { recursive: true });
    const drift = driftRepository(ch);
    const currentTable = ident(`${ch.database}.features_by_time`).name;
    log(`generating and loading ${REFERENCE_ROWS} reference rows`);
    const referenceLoadS = await writeAndLoad(sampler("reference", 1), REFERENCE_ROWS, files.reference, (rows, first) =>
      drift.insertSample(
        REFERENCE_ID,
        rows.map((r, i) => ({ reference_id: REFERENCE_ID, row_number: first + i, ...featureColumns(r) })),
      ),
    );
    log(`generating and loading ${ROWS} current rows`);
    const currentLoadS = await writeAndLoad(sampler("current", 2), ROWS, files.current, async (rows, first) => {
      const stored = rows.map((r, i) => ({
        model_id: MODEL,
        model_version: VERSION,
        event_time: DAY + Math.floor(((first + i) * BASE_SECONDS) / ROWS),
        prediction_id: String(first + i),
        ...featureColumns(r),
        // Slices for the per-slice step: cat_01 (5 countries) and cat_05 (200 merchants).
        segment_keys: ["country", "merchant"],
        segment_values: [r.strings[1] ?? "none", r.strings[5] ?? "none"],
      }));
      await ch.insertJsonEachRow(currentTable, await serialize(stored, 5_000));
    });
    await settle(ch);

    log("Hindsight: buildProfiles → recomputeSummaries → readSummaries → decideDrift");
    const ours = await hindsight(drift);
    log("Hindsight per slice: recomputeSummaries → readSummaries → decideSliceDrift");
    const sliced = await perSlice(ch, ours.profiles);
    const e2e = args["skip-end-to-end"] ? undefined : await endToEnd(stack, drift, ours);
    const peers = args["skip-peers"] ? undefined : runPeers(files);
    report(ours, { reference: referenceLoadS, current: currentLoadS }, peers, e2e);
    process.stdout.write(
      `\n  drift per slice (keys country and merchant, the ${SLICES_PER_KEY} busiest of each): ${sliced.seconds.toFixed(2)} s more ` +
        `(+${((100 * sliced.seconds) / ours.seconds).toFixed(0)} % for a model that declares slice keys; none for one that does not), ` +
        `${sliced.slices} slices scored, ${sliced.drifted} slice × feature drifts\n  its steps: ${sliced.steps.map(([n, x]) => `${n} ${x.toFixed(2)} s`).join(", ")}\n`,
    );
  } finally {
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(config.clickhouse.database)}`).catch(() => undefined);
    await ch.close();
    await infra.stop();
    for (const file of Object.values(files)) rmSync(file, { force: true });
  }
}

/** Writes `count` rows to a CSV file and hands them to `load` in slices; returns the seconds spent loading. */
async function writeAndLoad(
  next: () => Row,
  count: number,
  file: string,
  load: (rows: Row[], first: number) => Promise<void>,
): Promise<number> {
  const out = createWriteStream(file);
  out.write(CSV_HEADER);
  let loadMs = 0;
  for (let first = 0; first < count; first += SLICE) {
    const rows = Array.from({ length: Math.min(SLICE, count - first) }, next);
    if (!out.write(rows.map(csvLine).join(""))) await once(out, "drain");
    const started = performance.now();
    await load(rows, first);
    loadMs += performance.now() - started;
  }
  out.end();
  await once(out, "finish");
  return loadMs / 1000;
}

/**
 * Waits until ClickHouse has finished merging the freshly inserted parts, so that background
 * merges neither steal CPU from the timed queries nor vary their input from run to run.
 */
async function settle(ch: ClickHouse): Promise<void> {
  const busy = async () =>
    Number(
      (await ch.rows(anyRow<{ n: string }>(), sql`SELECT count() AS n FROM system.merges WHERE database = ${ch.database}`))[0]?.n ?? 0,
    ) > 0;
  let quiet = 0;
  while (quiet < 3) {
    quiet = (await busy()) ? 0 : quiet + 1;
    await new Promise((r) => setTimeout(r, 500));
  }
  const parts = await ch.rows(
    anyRow<{ table: string; n: string }>(),
    sql`
    SELECT table, count() AS n FROM system.parts WHERE database = ${ch.database} AND active AND table IN ('features_by_time', 'reference_samples') GROUP BY table`,
  );
  log(`merges settled; active parts: ${parts.map((p) => `${p.table} ${p.n}`).join(", ")}`);
}

interface HindsightResult {
  seconds: number;
  steps: Array<[string, number]>;
  drift: FeatureDrift[];
  profiles: FeatureProfile[];
}

const SLICES_PER_KEY = 20;

/** The processor's per-slice step for the same window: summaries per slice, read back, decided. */
async function perSlice(ch: ClickHouse, profiles: FeatureProfile[]) {
  const repo = sliceDriftRepository(ch);
  const steps: Array<[string, number]> = [];
  const timed = async <T>(name: string, step: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    const result = await step();
    steps.push([name, (performance.now() - started) / 1000]);
    log(`  ${name}: ${steps.at(-1)![1].toFixed(2)} s`);
    return result;
  };
  await timed("recomputeSummaries", () =>
    repo.recomputeSummaries(MODEL, VERSION, REFERENCE_ID, profiles, {
      baseSeconds: BASE_SECONDS,
      windows: [DAY],
      sliceKeys: ["country", "merchant"],
      perKey: SLICES_PER_KEY,
      nowMs: Date.now(),
    }),
  );
  const byWindow = await timed("readSummaries", () => repo.readSummaries(MODEL, VERSION, REFERENCE_ID, profiles, DAY, DAY + BASE_SECONDS));
  const decided = await timed("decideSliceDrift", () =>
    decideSliceDrift(mergeSliceWindows(byWindow.values()), profiles, {}, SLICES_PER_KEY),
  );
  return {
    seconds: steps.reduce((s, [, x]) => s + x, 0),
    steps,
    slices: decided.length,
    drifted: decided.reduce((n, d) => n + d.drift.filter((f) => f.drifted).length, 0),
  };
}

/** The processor's recompute → read → decide for one window, with an uploaded sample as reference. */
async function hindsight(repo: DriftRepository): Promise<HindsightResult> {
  const steps: Array<[string, number]> = [];
  const timed = async <T>(name: string, step: () => Promise<T> | T): Promise<T> => {
    const started = performance.now();
    const result = await step();
    steps.push([name, (performance.now() - started) / 1000]);
    log(`  ${name}: ${steps.at(-1)![1].toFixed(2)} s`);
    return result;
  };
  const { profiles } = await timed("buildProfiles", () => repo.buildProfiles(MODEL, VERSION, REFERENCE_ID, { kind: "sample" }, {}));
  await timed("recomputeSummaries", () => repo.recomputeSummaries(MODEL, VERSION, REFERENCE_ID, profiles, BASE_SECONDS, [DAY], Date.now()));
  const byWindow = await timed("readSummaries", () => repo.readSummaries(MODEL, VERSION, REFERENCE_ID, profiles, DAY, DAY + BASE_SECONDS));
  const drift = await timed("decideDrift", () => {
    // A single base window is the whole window: nothing to merge.
    const window = new Map((byWindow.get(DAY) ?? []).map((s) => [s.feature, s]));
    return decideDrift(
      profiles.map((p) => ({
        profile: p,
        window: window.get(p.feature) ?? emptySummary(p.feature, p.counts.length, p.kind === "numeric"),
      })),
    );
  });
  return { seconds: steps.reduce((s, [, x]) => s + x, 0), steps, drift, profiles };
}

interface EndToEnd {
  seconds: number;
  ingestedSeconds: number;
  produceSeconds: number;
  sameDecisions: boolean;
  maxScoreDifference: number;
}

/**
 * The current rows as prediction events in Kafka (not timed), the same reference profiles stored as
 * the version's reference, then the processor started; timed from its start until every feature's
 * decision for the day is stored counting the same values as the summaries path's.
 */
async function endToEnd(stack: BenchStack, repo: DriftRepository, ours: HindsightResult): Promise<EndToEnd> {
  const { ch, config, kafka, env } = stack;
  await repo.saveReference(
    {
      reference_id: `${REFERENCE_ID}-e2e`,
      model_id: E2E_MODEL,
      model_version: VERSION,
      source: "upload",
      from_ms: 0,
      to_ms: 0,
      rows: REFERENCE_ROWS,
      created_at_ms: Date.now(),
    },
    ours.profiles,
  );
  log(`end to end: producing ${ROWS} prediction events to Kafka`);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const produceStarted = performance.now();
  const next = sampler("current", 2);
  const keys = [...NUMERIC, ...CATEGORICAL];
  for (let first = 0; first < ROWS; first += SLICE) {
    const messages = Array.from({ length: Math.min(SLICE, ROWS - first) }, (_, i) => {
      const row = next();
      const id = `e2e-${first + i}`;
      const values = [...row.numbers, ...row.strings];
      return {
        key: id,
        value: encode("prediction", {
          prediction_id: id,
          model_id: E2E_MODEL,
          model_version: VERSION,
          stage: "production",
          timestamp: (DAY + Math.floor(((first + i) * BASE_SECONDS) / ROWS)) * 1000,
          features: Object.fromEntries(keys.map((k, j) => [k, values[j] ?? null])),
          prediction: { label: "yes", score: 0.5, scores: null, value: null },
          segments: {},
          received_at: null,
        }),
      };
    });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < messages.length; i += 1_000)
      sends.push(producer.send({ topic: config.topics.predictions, acks: 1, messages: messages.slice(i, i + 1_000) }));
    await Promise.all(sends);
  }
  await producer.disconnect();
  const produceSeconds = (performance.now() - produceStarted) / 1000;

  const expected = new Map(ours.drift.map((d) => [d.feature, d.n]));
  const decided = () =>
    ch.rows(
      anyRow<{ feature: string; n: string; score: number | null; drifted: number }>(),
      sql`SELECT feature, n, score, drifted FROM ${ident(`${ch.database}.window_drift`)} FINAL
          WHERE model_id = ${E2E_MODEL} AND model_version = ${VERSION} AND window_seconds = ${BASE_SECONDS} AND window_start = toDateTime(${DAY})`,
    );
  const stored = async () =>
    Number(
      (
        await ch.rows(
          anyRow<{ n: string }>(),
          sql`SELECT count() AS n FROM ${ident(`${ch.database}.predictions`)} WHERE model_id = ${E2E_MODEL}`,
        )
      )[0]?.n ?? 0,
    );
  log("end to end: starting the processor on them");
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "services/processor/main.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  try {
    let ingestedSeconds = Number.NaN;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the processor exited (code ${child.exitCode})`);
      if (Number.isNaN(ingestedSeconds) && (await stored()) >= ROWS) ingestedSeconds = (performance.now() - started) / 1000;
      const rows = await decided();
      if (rows.length === expected.size && rows.every((r) => Number(r.n) === expected.get(r.feature))) {
        const seconds = (performance.now() - started) / 1000;
        const byFeature = new Map(rows.map((r) => [r.feature, r]));
        let maxScoreDifference = 0;
        let sameDecisions = true;
        for (const d of ours.drift) {
          const theirs = byFeature.get(d.feature)!;
          sameDecisions &&= Boolean(theirs.drifted) === d.drifted;
          if (d.score !== null && theirs.score !== null)
            maxScoreDifference = Math.max(maxScoreDifference, Math.abs(d.score - theirs.score));
          else sameDecisions &&= d.score === theirs.score;
        }
        log(`end to end: every decision stored after ${seconds.toFixed(1)} s (raw rows stored after ${ingestedSeconds.toFixed(1)} s)`);
        return { seconds, ingestedSeconds, produceSeconds, sameDecisions, maxScoreDifference };
      }
      if (performance.now() - started > 1_800_000) throw new Error("end to end: no complete decisions after 30 minutes");
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
  }
}

function runPeers(files: { reference: string; current: string }): PeerResult {
  const python = benchPython(["evidently", "scipy", "pandas"]);
  log("peers: Evidently DataDriftPreset and scipy on the same CSV files");
  const script = join(ROOT, "bench/python/evidently_drift.py");
  const argv = [
    script,
    "--reference",
    files.reference,
    "--current",
    files.current,
    "--numeric",
    NUMERIC.join(","),
    "--categorical",
    CATEGORICAL.join(","),
  ];
  const result = spawnSync(python, argv, { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`the peer script failed (exit ${result.status})`);
  return JSON.parse(result.stdout) as PeerResult;
}

/** The scipy baseline's statistic matching the method Hindsight decided with. */
const SCIPY_STATISTIC: Record<string, string> = { wasserstein: "wasserstein_normed", jensen_shannon: "js", ks: "ks", chi_square: "chi2" };

/*
 * Scores differ between the tools while decisions should agree: Evidently's Jensen–Shannon distance
 * uses the natural logarithm (its score = the base-2 score × √ln 2 ≈ 0.83 × ours) and bins numeric
 * features its own way, and Hindsight reads the Wasserstein distance from the reference's
 * percentile bins (within the error bound it stores) where scipy and Evidently use every value.
 */
function report(
  ours: HindsightResult,
  loadS: { reference: number; current: number },
  peers: PeerResult | undefined,
  e2e: EndToEnd | undefined,
): void {
  const out = (line = "") => process.stdout.write(`${line}\n`);
  const rate = (s: number) => ROWS / s;
  const fmt = (x: number | null | undefined, digits = 4) => (x === null || x === undefined ? "—" : x.toFixed(digits));
  out(
    `\nDrift, ${ROWS.toLocaleString("en")} current rows × ${NUMERIC.length + CATEGORICAL.length} features against ${REFERENCE_ROWS.toLocaleString("en")} reference rows, same run:`,
  );
  out(`  ${"tool".padEnd(48)} ${"seconds".padStart(8)} ${"rows/s".padStart(11)}   rate vs Hindsight`);
  const tools: Array<[string, number]> = [["Hindsight (ClickHouse summaries + decideDrift)", ours.seconds]];
  if (e2e) tools.push(["Hindsight end to end (Kafka → decisions stored)", e2e.seconds]);
  if (peers)
    tools.push(
      [`Evidently ${peers.evidently.version} DataDriftPreset`, peers.evidently.seconds],
      ["scipy (KS, W1, chi², JS; no decisions)", peers.scipy.seconds],
    );
  for (const [name, s] of tools)
    out(
      `  ${name.padEnd(48)} ${s.toFixed(2).padStart(8)} ${Math.round(rate(s)).toLocaleString("en").padStart(11)}   ${(rate(s) / rate(ours.seconds)).toFixed(2)}×`,
    );
  out(`  Hindsight's steps: ${ours.steps.map(([name, s]) => `${name} ${s.toFixed(2)} s`).join(", ")}`);
  if (e2e) {
    out(
      `  end to end: the processor started on ${ROWS.toLocaleString("en")} events already in Kafka (produced in ${e2e.produceSeconds.toFixed(1)} s, not counted); ` +
        `raw rows stored after ${e2e.ingestedSeconds.toFixed(1)} s, every decision after ${e2e.seconds.toFixed(1)} s; ` +
        `decisions ${e2e.sameDecisions ? "the same as" : "DIFFERENT from"} the summaries path's (scores within ${e2e.maxScoreDifference.toExponential(1)})`,
    );
    if (peers)
      out(`  end to end against Evidently: ${(peers.evidently.seconds / e2e.seconds).toFixed(2)}× its rate (issue 14's goal: ≥ 10×)`);
  }
  out(
    `  loading, not counted: ClickHouse inserts ${(loadS.reference + loadS.current).toFixed(1)} s (Hindsight)${peers ? `, CSV parsing ${peers.load_seconds.toFixed(1)} s (peers)` : ""}`,
  );

  out(
    `\n  ${"feature".padEnd(8)} ${"Hindsight".padEnd(46)} ${peers ? `${"Evidently".padEnd(30)} scipy, same statistic as ours` : ""}`.trimEnd(),
  );
  for (const d of ours.drift) {
    // For Jensen–Shannon the decision's score is bias-corrected; the raw distance is what scipy computes.
    const mine = `${d.method.padEnd(15)} ${fmt(d.score).padStart(8)} ${d.drifted ? "DRIFT" : "ok"}${d.method === "jensen_shannon" ? ` (raw ${fmt(d.jensenShannon)})` : ""}`;
    const theirs = peers?.evidently.columns[d.feature];
    const evidently = theirs ? `${theirs.method.padEnd(15)} ${fmt(theirs.score).padStart(8)} ${theirs.drifted ? "DRIFT" : "ok"}` : "";
    const scipy = peers?.scipy.columns[d.feature]?.[SCIPY_STATISTIC[d.method] ?? ""];
    out(`  ${d.feature.padEnd(8)} ${mine.padEnd(46)} ${evidently.padEnd(30)} ${peers ? fmt(scipy) : ""}`.trimEnd());
  }
  const flagged = (names: string[]) => names.sort().join(", ") || "none";
  const oursFlagged = flagged(ours.drift.filter((d) => d.drifted).map((d) => d.feature));
  out(`\n  drifted by construction: ${flagged([...DRIFTED])}`);
  out(`  Hindsight flags:         ${oursFlagged}`);
  if (peers) {
    const theirs = flagged(
      Object.entries(peers.evidently.columns)
        .filter(([, c]) => c.drifted)
        .map(([name]) => name),
    );
    out(`  Evidently flags:         ${theirs}`);
    out(`  the drifted sets ${theirs === oursFlagged ? "agree" : "DISAGREE"}`);
  }
}

await main();
