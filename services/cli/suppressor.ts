/**
 * `hindsight suppressor train|evaluate|import`: train the learned alert suppressor, replay a
 * history to see what it would have done (shadow mode), or bring your own ONNX model. With
 * `--history FILE` it needs no running system; otherwise it reads and writes through the store.
 */
import { readFile, writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { FEATURE_NAMES } from "../common/domain/suppressor/features.js";
import { ALGORITHMS, type Algorithm } from "../common/domain/suppressor/model.js";
import {
  DEFAULT_REPLAY_OPTIONS,
  bestBaselineAtRecall,
  replay,
  type ReplayReport,
  type TypeFigures,
} from "../common/domain/suppressor/replay.js";
import type { AlertRecord, Figures } from "../common/domain/suppressor/types.js";
import { HistoryFileError, readHistoryFile } from "../evaluator/suppressor/history-file.js";
import { ModelSignatureError, loadOnnxModel } from "../evaluator/suppressor/onnx-scorer.js";
import { modelVersion, trainSuppressor } from "../evaluator/suppressor/trainer.js";
import type { SuppressorStore } from "../evaluator/suppressor/store.js";

export interface SuppressorIo {
  out(text: string): void;
  err(text: string): void;
  /** The training time; defaults to the wall clock. */
  clock?: () => number;
}

export const SUPPRESSOR_USAGE = `usage: hindsight suppressor <train|evaluate|import> [options]

  train    [--history FILE] [--out FILE.onnx] [--algorithm boosted_trees|logistic] [--threshold X] [--json]
           fit on the feedback history, report held-out figures, save the model (store and/or --out)
  evaluate [--history FILE] [--algorithm A] [--threshold X] [--feedback surfaced|all] [--retrain-days N] [--json]
           replay the history: train on its earlier 80%, score the rest retraining every N days
           (default 7, 0 = once), compare with baselines, and show per type (rule kind, metric,
           scope, model) what would have been held back and which acted-on alerts missed
  import   FILE.onnx [--threshold X]
           check a model of your own against the signature (input 'features' float32 [N, ${FEATURE_NAMES.length}],
           output 'probability' float32 [N] or [N,1]) and make it the active model

Without --history the alert history comes from ClickHouse.`;

class UsageError extends Error {}

export async function runSuppressorCommand(args: string[], io: SuppressorIo, store?: SuppressorStore): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        history: { type: "string" },
        out: { type: "string" },
        threshold: { type: "string" },
        algorithm: { type: "string" },
        feedback: { type: "string" },
        "retrain-days": { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === undefined) {
      io.out(`${SUPPRESSOR_USAGE}\n`);
      return values.help ? 0 : 2;
    }
    const threshold = values.threshold === undefined ? undefined : probability("--threshold", values.threshold);
    const algorithm = values.algorithm === undefined ? undefined : oneOf("--algorithm", values.algorithm, ALGORITHMS);
    const feedback = values.feedback === undefined ? undefined : oneOf("--feedback", values.feedback, ["surfaced", "all"] as const);
    const retrainDays = values["retrain-days"] === undefined ? undefined : days("--retrain-days", values["retrain-days"]);
    switch (command) {
      case "train":
        return await train(io, store, { history: values.history, out: values.out, threshold, algorithm, json: values.json });
      case "evaluate":
        return await evaluate(io, store, { history: values.history, threshold, algorithm, feedback, retrainDays, json: values.json });
      case "import":
        if (rest[0] === undefined) throw new UsageError("import needs the path of an .onnx file");
        return await importModel(io, store, rest[0], threshold);
      default:
        throw new UsageError(`unknown suppressor command '${command}'`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`hindsight suppressor: ${(err as Error).message}\n\n${SUPPRESSOR_USAGE}\n`);
      return 2;
    }
    if (err instanceof HistoryFileError || err instanceof ModelSignatureError || isTrainingError(err)) {
      io.err(`hindsight suppressor: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
}

/** Errors the trainer raises about the data (too little, one class only), as opposed to bugs. */
export const isTrainingError = (err: unknown) =>
  err instanceof Error && /nothing to learn from|no alert with known feedback|cannot split|history is empty/.test(err.message);

function probability(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`${flag} must be a number between 0 and 1, got '${text}'`);
  return n;
}

function days(flag: string, text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new UsageError(`${flag} must be a number of days, 0 or more, got '${text}'`);
  return n;
}

function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`${flag} must be one of ${allowed.join(", ")}, got '${text}'`);
  return text as T;
}

async function loadRecords(io: SuppressorIo, store: SuppressorStore | undefined, history: string | undefined): Promise<AlertRecord[]> {
  if (history !== undefined) {
    const records = await readHistoryFile(history);
    io.err(`read ${records.length} alerts from ${history}\n`);
    return records;
  }
  if (!store) throw new UsageError("no alert store here: pass --history FILE");
  const records = await store.loadHistory();
  io.err(`read ${records.length} alerts from the alert history\n`);
  return records;
}

interface TrainArgs {
  history?: string;
  out?: string;
  threshold?: number;
  algorithm?: Algorithm;
  json: boolean;
}

async function train(io: SuppressorIo, store: SuppressorStore | undefined, a: TrainArgs): Promise<number> {
  const records = await loadRecords(io, store, a.history);
  io.err(`training (${a.algorithm ?? "boosted_trees"}): held-out replay, then the final fit on all ${records.length} alerts\n`);
  const started = performance.now();
  // Training from the store carries the active model's fold thresholds over, as the evaluator's retraining does.
  const previous = a.history === undefined ? await store?.latestModel() : undefined;
  const trained = trainSuppressor(records, {
    ...(a.algorithm && { algorithm: a.algorithm }),
    ...(a.threshold !== undefined && { threshold: a.threshold }),
    ...(io.clock && { clock: io.clock }),
    ...(previous && { previous }),
  });
  const seconds = (performance.now() - started) / 1000;
  if (a.out !== undefined) await writeFile(a.out, trained.bytes);
  const saveToStore = store !== undefined && a.history === undefined;
  if (saveToStore) await store.saveModel(trained);
  if (a.json) {
    const { bytes: _, replay: held, ...rest } = trained;
    io.out(`${JSON.stringify({ ...rest, seconds, heldOut: held ? summary(held) : null }, null, 2)}\n`);
  } else {
    io.out(
      `model ${trained.version}: threshold ${trained.threshold.toPrecision(3)}, trained on ${trained.counts.labelled} alerts with feedback (${trained.counts.acted} acted on) in ${seconds.toFixed(1)} s\n\n`,
    );
    if (trained.replay && trained.report) {
      io.out(`held out: trained on the earlier ${trained.replay.train.alerts} alerts, scored the latest ${trained.replay.test.alerts}\n`);
      io.out(table([["suppressor", trained.report]]));
    } else {
      io.out(`held out: no figures (${trained.heldOutError}: the feedback is too recent to split in time)\n`);
    }
    io.out(a.out !== undefined ? `\nwrote ${a.out}\n` : "");
    io.out(
      saveToStore ? `saved as the active model ${trained.version}\n` : a.out === undefined ? "\nnot saved: pass --out FILE.onnx\n" : "",
    );
  }
  return 0;
}

interface EvaluateArgs {
  history?: string;
  threshold?: number;
  algorithm?: Algorithm;
  feedback?: "surfaced" | "all";
  retrainDays?: number;
  json: boolean;
}

async function evaluate(io: SuppressorIo, store: SuppressorStore | undefined, a: EvaluateArgs): Promise<number> {
  const records = await loadRecords(io, store, a.history);
  const retrainEveryMs = (a.retrainDays ?? DEFAULT_REPLAY_OPTIONS.retrainEveryMs / 86_400_000) * 86_400_000;
  io.err(
    `replaying: training on the earlier 80% in time order, scoring the latest 20%${retrainEveryMs > 0 ? `, retraining every ${retrainEveryMs / 86_400_000} days` : ""}\n`,
  );
  const report = replay(records, {
    ...(a.algorithm && { algorithm: a.algorithm }),
    ...(a.threshold !== undefined && { threshold: a.threshold }),
    ...(a.feedback && { feedback: a.feedback }),
    retrainEveryMs,
  });
  if (a.json) {
    io.out(`${JSON.stringify(summary(report), null, 2)}\n`);
    return 0;
  }
  io.out(replayText(report));
  return 0;
}

async function importModel(
  io: SuppressorIo,
  store: SuppressorStore | undefined,
  path: string,
  threshold: number | undefined,
): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ModelSignatureError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const scorer = await loadOnnxModel(bytes);
  await scorer.close();
  const chosen = threshold ?? scorer.metadata.threshold;
  if (chosen === undefined) throw new UsageError(`${path} carries no threshold in its metadata: pass --threshold X`);
  const trainedAt = (io.clock ?? Date.now)();
  const version = scorer.metadata.version || modelVersion("byo", trainedAt, bytes);
  io.out(`${path}: signature ok (input 'features' float32 [N, ${FEATURE_NAMES.length}], output 'probability'), threshold ${chosen}\n`);
  if (!store) {
    io.out("no alert store here: checked only, not activated\n");
    return 0;
  }
  await store.saveModel({ version, algorithm: "imported", threshold: chosen, featureNames: [...FEATURE_NAMES], trainedAt, bytes });
  io.out(`saved as the active model ${version}\n`);
  return 0;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The figures as a fixed-width table: one row per strategy. */
export function table(rows: Array<[string, Figures]>): string {
  const header = ["", "alerts", "suppressed", "acted kept (recall)", "precision of surfaced"];
  const body = rows.map(([name, f]) => [
    name,
    String(f.alerts),
    pct(f.suppressedShare),
    `${pct(f.recall)} (${f.actedSurfaced}/${f.acted})`,
    pct(f.precision),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return `${[line(header), ...body.map(line)].join("\n")}\n`;
}

/** A cut-off chosen on training data is any rate: three significant digits are enough to read it. */
const rateText = (x: number) => String(Number(x.toPrecision(3)));

export function replayText(report: ReplayReport): string {
  const when = (t: number) => new Date(t).toISOString().slice(0, 16).replace("T", " ");
  const rows: Array<[string, Figures]> = [
    [`suppressor (threshold ${report.fitted.threshold.toPrecision(3)}${report.retrains > 0 ? " at first" : ""})`, report.suppressor],
  ];
  for (const b of report.baselines) rows.push([b.rate === undefined ? b.name : b.name.replace("x", rateText(b.rate)), b.figures]);
  const best = bestBaselineAtRecall(report);
  const verdict = best
    ? `best acted-rate cut-off keeping at least the suppressor's recall: x = ${rateText(best.rate!)}, suppresses ${pct(best.figures.suppressedShare)} (suppressor ${pct(report.suppressor.suppressedShare)})`
    : `no acted-rate cut-off keeps the suppressor's recall (${pct(report.suppressor.recall)}) while suppressing anything`;
  const reasons = Object.entries(report.reasons)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${r} ${n}`)
    .join(", ");
  return (
    `trained on ${report.train.alerts} alerts (${when(report.train.from)} .. ${when(report.train.to)}), scored ${report.test.alerts} (${when(report.test.from)} .. ${when(report.test.to)})` +
    `${report.retrains > 0 ? `, retrained ${report.retrains} times while scoring` : ""}\n\n` +
    table(rows) +
    `\ndecisions: ${reasons}\n${verdict}\n\n` +
    perTypeText(report.perType)
  );
}

/**
 * Shadow mode per type within a model: what would have been held back and which acted-on alerts
 * that would have cost, so a team sees where it would be hurt before turning the suppressor on.
 * Types that would miss acted-on alerts come first, the most missed first; then the busiest.
 */
export function perTypeText(types: readonly TypeFigures[]): string {
  const ordered = [...types].sort((a, b) => b.actedMissed - a.actedMissed || b.alerts - a.alerts);
  const header = ["type (rule kind | metric | scope | model)", "alerts", "held back", "acted", "acted missed", "surfaced: disagreement"];
  const body = ordered.map((t) => [
    `${t.rule_kind} | ${t.metric} | ${t.scope} | ${t.model}`,
    String(t.alerts),
    `${t.heldBack} (${pct(t.alerts === 0 ? 0 : t.heldBack / t.alerts)})`,
    String(t.acted),
    t.acted === 0 ? "0" : `${t.actedMissed} (${pct(t.actedMissed / t.acted)})`,
    String(t.disagreement),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const hurt = ordered.filter((t) => t.actedMissed > 0).length;
  return (
    `per type, in shadow mode (${ordered.length} types; ${hurt} would miss acted-on alerts):\n` +
    `${[line(header), ...body.map(line)].join("\n")}\n`
  );
}

function summary(report: ReplayReport) {
  return {
    train: report.train,
    test: report.test,
    threshold: report.fitted.threshold,
    retrains: report.retrains,
    calibration: report.fitted.calibration,
    suppressor: report.suppressor,
    reasons: report.reasons,
    baselines: report.baselines,
    perType: report.perType,
  };
}
