/**
 * `hindsight import` as a user runs it, against the real gateway, Kafka, processor and ClickHouse:
 * a public-shaped credit dataset (an id, an application time over days of history, 10 features
 * of which 2 categorical, a region segment, the model's score and predicted class, the true
 * outcome for 85 % of rows with its resolution time) is generated here and written as CSV, JSON
 * Lines and Parquet, each loaded into its own model. The stored counts and one day's window
 * (predictions, labelled, accuracy) must equal what this file computes from the generated rows
 * with plain loops. Then a CSV with bad rows: each is reported at its line, the rest loads. Then a
 * reference upload from a file.
 *
 * HINDSIGHT_IMPORT_ROWS sets the rows per format and HINDSIGHT_IMPORT_DAYS the days of history:
 * 10,000 rows over 7 days in `npm test` (the three imports and the processor's catching up fit the
 * suite's budget on two shared cores), 100,000 rows over 30 days in `npm run test:import-100k`
 * (the issue's size, and a backfill's shape). Parquet is written with hyparquet-writer (a
 * devDependency; no Python virtualenv to build, and the file is written in-process in about a
 * second); the check does not lean on it agreeing with the reader, because the expectations come
 * from the generated rows, not from reading any file back.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import { sql } from "../services/common/clickhouse/sql.js";
import {
  count,
  createTestStack,
  requestJson,
  startGateway,
  startProcessor,
  stopPipeline,
  TEST_TOKEN,
  waitForProcessor,
  waitUntil,
  type Pipeline,
} from "./helpers/harness.js";
import { seededRandom } from "./helpers/seeded-random.js";

const ROWS = Number(process.env.HINDSIGHT_IMPORT_ROWS ?? 10_000);
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 5, 1);
/** Days of history the rows spread over: the processor's catching up grows with the windows they touch. */
const SPAN_DAYS = Number(process.env.HINDSIGHT_IMPORT_DAYS ?? 7);
/** The longest wait for the processor: it catches up in about a minute at the default size, several at the issue's. */
const WAIT_MS = 120_000 + ROWS * 6;
/** The day whose window is checked. */
const CHECK_DAY = Math.floor(SPAN_DAYS / 2);

interface Loan {
  id: number;
  applied_at: number;
  age: number;
  income: number;
  credit_limit: number;
  debt_ratio: number | null;
  months_employed: number;
  open_accounts: number;
  late_payments: number;
  utilization: number;
  home: string;
  purpose: string;
  region: string;
  p_default: number;
  predicted: number;
  defaulted: number | null;
  resolved_at: number | null;
}

const HOMES = ["rent", "own", "mortgage"];
const PURPOSES = ["car", "debt, consolidation", "home improvement", "education", "medical"];
const REGIONS = ["north", "south", "east", "west"];

function generate(n: number): Loan[] {
  const r = seededRandom(17);
  const loans: Loan[] = [];
  for (let i = 0; i < n; i++) {
    const late = Math.floor(r() ** 3 * 8);
    const utilization = Math.round(r() * 1000) / 1000;
    const logit = -2.2 + 0.45 * late + 2.2 * utilization - 0.6;
    const p = Math.round((1 / (1 + Math.exp(-logit))) * 10_000) / 10_000;
    const labelled = r() < 0.85;
    const applied = T0 + Math.floor(r() * SPAN_DAYS * DAY);
    const outcome = r() < p ? 1 : 0;
    loans.push({
      id: i,
      applied_at: applied,
      age: 19 + Math.floor(r() * 60),
      income: Math.round(15_000 + r() * 150_000) / 1,
      credit_limit: Math.round(r() * 400) * 100,
      debt_ratio: r() < 0.03 ? null : Math.round(r() * 10_000) / 10_000,
      months_employed: Math.floor(r() * 360),
      open_accounts: Math.floor(r() * 20),
      late_payments: late,
      utilization,
      home: HOMES[Math.floor(r() * HOMES.length)]!,
      purpose: PURPOSES[Math.floor(r() * PURPOSES.length)]!,
      region: REGIONS[Math.floor(r() * REGIONS.length)]!,
      p_default: p,
      predicted: p >= 0.5 ? 1 : 0,
      defaulted: labelled ? outcome : null,
      resolved_at: labelled ? applied + Math.floor(r() * 20 * DAY) : null,
    });
  }
  return loans;
}

const FEATURES = [
  "age",
  "income",
  "credit_limit",
  "debt_ratio",
  "months_employed",
  "open_accounts",
  "late_payments",
  "utilization",
  "home",
  "purpose",
] as const;
const MAPPING = `# which column is what (hindsight import --mapping)
version: v1
id: loan_id
time: applied_at
prediction: predicted
score: p_default
label: defaulted
labeled_at: resolved_at
segments: [region]
source: servicing
`;

const iso = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());
const idOf = (format: string, l: Loan) => `${format}-${l.id}`;

function writeCsv(path: string, loans: Loan[]): void {
  const header = ["loan_id", "applied_at", ...FEATURES, "region", "p_default", "predicted", "defaulted", "resolved_at"];
  const lines = [header.join(",")];
  for (const l of loans) {
    const cells = [idOf("csv", l), iso(l.applied_at), ...FEATURES.map((f) => l[f] ?? ""), l.region, l.p_default, l.predicted];
    cells.push(l.defaulted ?? "", iso(l.resolved_at));
    lines.push(cells.map((c) => (String(c).includes(",") ? `"${c}"` : String(c))).join(","));
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

function writeJsonl(path: string, loans: Loan[]): void {
  // Epoch milliseconds here (pandas' to_json default), ISO in the CSV.
  const out = loans.map((l) => JSON.stringify({ ...l, loan_id: idOf("jsonl", l), id: undefined }));
  writeFileSync(path, `${out.join("\n")}\n`);
}

function writeParquet(path: string, loans: Loan[]): void {
  const col = <K extends keyof Loan>(name: K, type: "DOUBLE" | "INT32" | "STRING" | "TIMESTAMP") => ({
    name,
    type,
    data: loans.map((l) => (type === "TIMESTAMP" ? (l[name] === null ? null : new Date(l[name] as number)) : l[name])),
  });
  parquetWriteFile({
    filename: path,
    rowGroupSize: 8192,
    columnData: [
      { name: "loan_id", type: "STRING", data: loans.map((l) => idOf("parquet", l)) },
      col("applied_at", "TIMESTAMP"),
      col("age", "INT32"),
      col("income", "DOUBLE"),
      col("credit_limit", "DOUBLE"),
      col("debt_ratio", "DOUBLE"),
      col("months_employed", "INT32"),
      col("open_accounts", "INT32"),
      col("late_payments", "INT32"),
      col("utilization", "DOUBLE"),
      col("home", "STRING"),
      col("purpose", "STRING"),
      col("region", "STRING"),
      col("p_default", "DOUBLE"),
      col("predicted", "INT32"),
      col("defaulted", "INT32"),
      col("resolved_at", "TIMESTAMP"),
    ] as never,
  });
}

/** The check day's window, computed from the generated rows alone. */
function expectedWindow(loans: Loan[]) {
  const from = T0 + CHECK_DAY * DAY;
  let predictions = 0;
  let labeled = 0;
  let correct = 0;
  for (const l of loans) {
    if (l.applied_at < from || l.applied_at >= from + DAY) continue;
    predictions++;
    if (l.defaulted === null) continue;
    labeled++;
    if (l.predicted === l.defaulted) correct++;
  }
  return { from, predictions, labeled, accuracy: correct / labeled };
}

function hindsight(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  // Asynchronous: the gateway it talks to runs in this process.
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(ROOT, "bin/hindsight.mjs"), "import", ...args], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, ms: Date.now() - started }));
  });
}

describe("hindsight import", () => {
  // The processor starts after the imports: Kafka keeps the events meanwhile, as it would for a
  // processor that is down, and the import's rate is the gateway's and Kafka's, not shared with it.
  const p: Partial<Pipeline> & Pick<Pipeline, "stack" | "gateway"> = {} as never;
  let dir: string;
  const loans = generate(ROWS);
  const labelled = loans.filter((l) => l.defaulted !== null).length;
  const args = (file: string, model: string) => [
    join(dir, file),
    "--mapping",
    join(dir, "mapping.yaml"),
    "--model",
    model,
    "--url",
    p.gateway.url,
    "--token",
    TEST_TOKEN,
  ];

  beforeAll(async () => {
    // One-day windows by default (the checked window is a day): a backfill's labels land all over its
    // history, and the processor recomputes every base window a batch touches; with hourly base
    // windows 30 days × 3 models kept its metrics group at about 840 events/s (HINDSIGHT_IMPORT_WINDOWS=3600,86400).
    p.stack = await createTestStack({ HINDSIGHT_WINDOWS: process.env.HINDSIGHT_IMPORT_WINDOWS ?? "86400" });
    p.gateway = await startGateway(p.stack.config);
    dir = mkdtempSync(join(tmpdir(), "hindsight-import-"));
    writeFileSync(join(dir, "mapping.yaml"), MAPPING);
    for (const format of ["csv", "jsonl", "parquet"]) {
      const declared = await requestJson("PUT", `${p.gateway.url}/v1/models/credit-${format}`, {
        task: "binary",
        positive_class: "1",
        threshold: 0.5,
      });
      expect(declared.status, declared.text).toBe(200);
    }
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await stopPipeline(p);
  });

  it(
    `loads ${ROWS.toLocaleString("en-US")} rows from each of CSV, JSON Lines and Parquet; counts and a day's window match the data`,
    async () => {
      const t = Date.now();
      writeCsv(join(dir, "loans.csv"), loans);
      writeJsonl(join(dir, "loans.jsonl"), loans);
      writeParquet(join(dir, "loans.parquet"), loans);
      const writeMs = Date.now() - t;

      const rates: string[] = [];
      for (const format of ["csv", "jsonl", "parquet"]) {
        const run = await hindsight(args(`loans.${format}`, `credit-${format}`), p.stack.env);
        expect(run.code, run.stderr).toBe(0);
        expect(run.stdout).toContain(`rows read         ${ROWS.toLocaleString("en-US")}`);
        expect(run.stdout).toContain(`predictions sent  ${ROWS.toLocaleString("en-US")}`);
        expect(run.stdout).toContain(`labels sent       ${labelled.toLocaleString("en-US")}`);
        expect(run.stdout).toContain("rows rejected     0");
        // Not a terminal: progress comes as lines, the last at 100 %.
        expect(run.stderr).toMatch(/import: 100% read/);
        rates.push(`${format} ${/time\s+(.*)/.exec(run.stdout)![1]}, ${run.ms} ms with the process's start`);
      }
      process.stderr.write(`[import] ${ROWS} rows per format, files written in ${writeMs} ms; ${rates.join("; ")}\n`);
      const loaded = Date.now();
      p.processor = await startProcessor(p.stack.config, p.stack.clickhouse);

      const expected = expectedWindow(loans);
      for (const format of ["csv", "jsonl", "parquet"]) {
        const model = sql`WHERE model_id = ${`credit-${format}`}`;
        await waitUntil(
          `credit-${format} in ClickHouse`,
          async () => [await count(p.stack, "prediction_events", model), await count(p.stack, "label_events", model)],
          ([n, l]) => n === ROWS && l === labelled,
          WAIT_MS,
        );
      }
      await waitForProcessor(p.stack, p.stack.config, WAIT_MS);
      const processed = Date.now();
      for (const format of ["csv", "jsonl", "parquet"]) {
        const url = `${p.gateway.url}/v1/models/credit-${format}/metrics?window=1d&from=${expected.from}&to=${expected.from + DAY}`;
        const windows = await waitUntil(
          `credit-${format}'s day ${CHECK_DAY} window`,
          async () => (await requestJson("GET", url)).body.windows as Array<Record<string, number>>,
          (w) => w.length === 1 && w[0]!.predictions === expected.predictions && w[0]!.labeled === expected.labeled,
          WAIT_MS,
        );
        expect(windows[0]!.accuracy, format).toBeCloseTo(expected.accuracy, 12);
      }
      expect(expected.predictions).toBeGreaterThan(ROWS / SPAN_DAYS / 2);
      process.stderr.write(
        `[import] the processor, started after the imports, caught up in ${processed - loaded} ms, windows read ${Date.now() - processed} ms later\n`,
      );
    },
    2 * WAIT_MS,
  );

  it("reports each bad row with its line and loads the rest", async () => {
    const good = loans.slice(0, 200);
    writeCsv(join(dir, "bad.csv"), good);
    const lines = (await import("node:fs")).readFileSync(join(dir, "bad.csv"), "utf8").split("\n");
    // Line 1 is the header, so loan i is on line i + 2.
    const spoil = (i: number, f: (cells: string[]) => string) => {
      lines[i + 1] = f(lines[i + 1]!.split(","));
    };
    spoil(3, (c) => [c[0], "last tuesday", ...c.slice(2)].join(",")); // line 5: not a time
    spoil(10, (c) => [...c.slice(0, -4), "very high", ...c.slice(-3)].join(",")); // line 12: score not a number
    spoil(20, (c) => [...c.slice(0, -4), "1.5", ...c.slice(-3)].join(",")); // line 22: refused by the gateway (not a probability)
    spoil(30, (c) => c.slice(0, 5).join(",")); // line 32: too few fields
    spoil(40, (c) => ["", ...c.slice(1)].join(",")); // line 42: no id
    writeFileSync(join(dir, "bad.csv"), lines.join("\n").replaceAll("csv-", "bad-"));

    const run = await hindsight(args("bad.csv", "credit-bad"), p.stack.env);
    expect(run.code, run.stderr).toBe(3);
    const reported = run.stderr.split("\n").filter((l) => l.startsWith("line "));
    expect(reported).toEqual([
      'line 5: applied_at: "last tuesday" is not a timestamp (ISO-8601 or epoch seconds/milliseconds)',
      'line 12: p_default: "very high" is not a number',
      expect.stringMatching(/^line 32: CSV: Invalid Record Length/),
      "line 42: loan_id: is empty",
      "line 22: prediction refused by the gateway: prediction.score: must be a probability in [0, 1]",
    ]);
    const labelledGood = good.filter((l, i) => l.defaulted !== null && ![3, 10, 30, 40].includes(i)).length;
    expect(run.stdout).toContain("rows read         200");
    expect(run.stdout).toContain("predictions sent  195");
    expect(run.stdout).toContain(`labels sent       ${labelledGood}`);
    expect(run.stdout).toContain("rows rejected     5");
    const model = sql`WHERE model_id = 'credit-bad'`;
    await waitUntil(
      "the good rows",
      () => count(p.stack, "prediction_events", model),
      (n) => n === 195,
      30_000,
    );
  });

  it("loads a reference from a file through the upload in parts", async () => {
    const run = await hindsight(
      [join(dir, "loans.parquet"), "--reference", "--model", "credit-parquet", "--version", "v1", "--score", "p_default"].concat([
        "--features",
        FEATURES.join(","),
        "--batch-items",
        "2000",
        "--url",
        p.gateway.url,
        "--token",
        TEST_TOKEN,
      ]),
      p.stack.env,
    );
    expect(run.code, run.stderr).toBe(0);
    const rows = Math.min(ROWS, 200_000);
    expect(run.stdout).toContain(`reference rows    ${rows.toLocaleString("en-US")}`);
    const ref = await requestJson("GET", `${p.gateway.url}/v1/models/credit-parquet/reference?model_version=v1`);
    expect(ref.body.active.rows).toBe(rows);
    expect(ref.body.active.reference_id).toBe(/reference id\s+(\S+)/.exec(run.stdout)![1]);
  });
});
