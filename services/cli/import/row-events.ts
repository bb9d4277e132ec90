/**
 * One row of a file → the events `hindsight import` sends: a prediction, a label, both, or a
 * reference sample row, in the gateway's JSON form; or every reason the row cannot become them.
 * Pure. The gateway still validates every event (ranges, lengths, model limits) and its
 * per-item rejections come back to the row's line; here only what needs the file's context is
 * checked: a cell's type, a timestamp's format, a missing required cell.
 */
import type { Mapping } from "./mapping.js";

export type Row = Record<string, unknown>;

export interface PredictionJson {
  prediction_id: string;
  model_id: string;
  model_version: string;
  stage: string;
  timestamp: number;
  features: Record<string, FeatureValue>;
  prediction: { label?: string; score?: number; value?: number };
  segments: Record<string, string>;
}
export interface LabelJson {
  prediction_id: string;
  model_id: string;
  label?: string;
  value?: number;
  labeled_at?: number;
  source: string;
}
export interface SampleJson {
  features: Record<string, FeatureValue>;
  prediction: { label?: string; score?: number; value?: number };
}
export type FeatureValue = number | string | boolean | null;

export type RowEvents = { ok: true; prediction?: PredictionJson; label?: LabelJson; sample?: SampleJson } | { ok: false; errors: string[] };

export interface RowContext {
  /** Where the row starts in the file (1-based line; for Parquet, the row number). */
  line: number;
  /** Cells are untyped text (CSV): "" is missing, "12.5" is a number where a feature is. */
  textual: boolean;
  /** A prediction's time when the file maps no time column. */
  nowMs: number;
  /** Ids for predictions when the file maps no id column: `${idPrefix}:${line}`, the same on every run over the same file. */
  idPrefix: string;
}

type Cell<T> = { ok: true; value: T } | { ok: false; error: string };
const ok = <T>(value: T): Cell<T> => ({ ok: true, value });
const bad = (error: string): Cell<never> => ({ ok: false, error });

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
/** A date, or a date and time, without a zone: read as UTC. */
const ZONELESS = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

const show = (v: unknown) => {
  const text = typeof v === "string" ? JSON.stringify(v) : String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

export function isMissing(v: unknown, textual: boolean): boolean {
  return v === undefined || v === null || (typeof v === "number" && Number.isNaN(v)) || (textual && v === "");
}

/** An id, class label, model, version or segment value: text, whatever type the file stored it as. */
export function textCell(v: unknown): Cell<string> {
  if (typeof v === "string") return ok(v);
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "bigint" || typeof v === "boolean") return ok(String(v));
  return bad(`${show(v)} is not text or a number`);
}

export function numberCell(v: unknown): Cell<number> {
  if (typeof v === "number") return Number.isFinite(v) ? ok(v) : bad(`${show(v)} is not a finite number`);
  if (typeof v === "bigint") return ok(Number(v));
  if (typeof v === "string" && NUMBER.test(v.trim())) return ok(Number(v.trim()));
  return bad(`${show(v)} is not a number`);
}

/**
 * Epoch milliseconds from a timestamp cell: a date (Parquet timestamps), ISO-8601 (a time without a
 * zone is UTC), or an epoch number whose unit follows from its size: seconds below 10^11 (until
 * year 5138), milliseconds below 10^14, microseconds below 10^17, nanoseconds above.
 */
export function timeCell(v: unknown): Cell<number> {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? bad("is not a valid date") : ok(v.getTime());
  if (typeof v === "number" || typeof v === "bigint" || (typeof v === "string" && NUMBER.test(v.trim()))) {
    const n = Number(typeof v === "string" ? v.trim() : v);
    if (!Number.isFinite(n) || n < 0) return bad(`${show(v)} is not an epoch time`);
    const a = Math.abs(n);
    return ok(Math.round(a < 1e11 ? n * 1000 : a < 1e14 ? n : a < 1e17 ? n / 1e3 : n / 1e6));
  }
  if (typeof v === "string") {
    const s = v.trim();
    const ms = ZONELESS.test(s) ? Date.parse(`${s.replace(" ", "T")}${s.length === 10 ? "T00:00:00" : ""}Z`) : Date.parse(s);
    if (Number.isFinite(ms) && /^\d{4}-\d{2}-\d{2}/.test(s)) return ok(ms);
  }
  return bad(`${show(v)} is not a timestamp (ISO-8601 or epoch seconds/milliseconds)`);
}

export function featureCell(v: unknown, textual: boolean): Cell<FeatureValue> {
  if (isMissing(v, textual)) return ok(null);
  if (typeof v === "number") return Number.isFinite(v) ? ok(v) : bad(`${show(v)} is not a finite number`);
  if (typeof v === "boolean") return ok(v);
  if (typeof v === "bigint") return ok(Number(v));
  if (v instanceof Date) return ok(v.getTime());
  if (typeof v === "string") return ok(textual && NUMBER.test(v.trim()) ? Number(v.trim()) : v);
  return bad(`${show(Array.isArray(v) ? "[…]" : "{…}")}: nested values are not supported; flatten them into columns`);
}

/** The events one row yields under `m`, or all of its problems, each as "column: reason". */
export function rowEvents(row: Row, m: Mapping, ctx: RowContext, reference = false): RowEvents {
  const errors: string[] = [];
  const cell = <T>(name: string, convert: (v: unknown) => Cell<T>, required: boolean): T | undefined => {
    const v = row[name];
    if (isMissing(v, ctx.textual)) {
      if (required) errors.push(`${name}: ${name in row ? "is empty" : "no such column"}`);
      return undefined;
    }
    const c = convert(v);
    if (c.ok) return c.value;
    errors.push(`${name}: ${c.error}`);
    return undefined;
  };
  const pick = (p: { constant: string } | { column: string }) => ("constant" in p ? p.constant : cell(p.column, textCell, true));

  const features: Record<string, FeatureValue> = {};
  const featureColumns =
    "columns" in m.features ? m.features.columns : Object.keys(row).filter((k) => !(m.features as { allBut: Set<string> }).allBut.has(k));
  for (const name of featureColumns) {
    if (!(name in row)) {
      // Explicit columns must exist (a typo would otherwise load a model without that feature); a missing cell is null.
      if ("columns" in m.features) errors.push(`${name}: no such column`);
      continue;
    }
    const c = featureCell(row[name], ctx.textual);
    if (c.ok) features[name] = c.value;
    else errors.push(`${name}: ${c.error}`);
  }
  const output: SampleJson["prediction"] = {};
  if (m.prediction !== undefined) {
    if (m.regression) output.value = cell(m.prediction, numberCell, false);
    else output.label = cell(m.prediction, textCell, false);
  }
  if (m.score !== undefined) output.score = cell(m.score, numberCell, false);
  for (const k of ["label", "score", "value"] as const) if (output[k] === undefined) delete output[k];

  if (reference) return errors.length ? { ok: false, errors } : { ok: true, sample: { features, prediction: output } };

  const model = pick(m.model);
  const time = m.time === undefined ? ctx.nowMs : cell(m.time, timeCell, m.sends.predictions);
  const id = m.id === undefined ? `${ctx.idPrefix}:${ctx.line}` : cell(m.id, textCell, true);
  let prediction: PredictionJson | undefined;
  if (m.sends.predictions) {
    const version = m.version ? pick(m.version) : undefined;
    const stage = pick(m.stage);
    const segments: Record<string, string> = {};
    for (const name of m.segments) {
      const s = cell(name, textCell, false);
      if (s !== undefined) segments[name] = s;
    }
    if (Object.keys(output).length === 0 && !errors.some((e) => e.startsWith(`${m.prediction}:`) || e.startsWith(`${m.score}:`)))
      errors.push(`${[m.prediction, m.score].filter(Boolean).join(", ")}: no prediction (empty)`);
    if (errors.length === 0)
      prediction = {
        prediction_id: id!,
        model_id: model!,
        model_version: version!,
        stage: stage!,
        timestamp: time!,
        features,
        prediction: output,
        segments,
      };
  }
  let label: LabelJson | undefined;
  if (m.label !== undefined) {
    // An empty label cell is a prediction whose truth is not known yet, not an error.
    const truth = m.regression ? cell(m.label, numberCell, false) : cell(m.label, textCell, false);
    // Labels are stamped with the prediction's time when the file has no label time: a backfill's
    // labels then fall within the label horizon instead of arriving "now", months late.
    const labeledAt =
      (m.labeledAt === undefined ? undefined : cell(m.labeledAt, timeCell, false)) ?? (m.time === undefined ? undefined : time);
    if (truth !== undefined && errors.length === 0)
      label = {
        prediction_id: id!,
        model_id: model!,
        ...(m.regression ? { value: truth as number } : { label: truth as string }),
        ...(labeledAt === undefined ? {} : { labeled_at: labeledAt }),
        source: m.source,
      };
  }
  if (errors.length) return { ok: false, errors };
  return { ok: true, ...(prediction && { prediction }), ...(label && { label }) };
}
