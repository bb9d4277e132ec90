/**
 * A regression model version's error model as the product keeps it: the DLE trees of dle.ts with
 * the columns they read, so that the evaluator (which fits it on a sample of labelled rows) and
 * every processor (which stamps each new prediction with its expected |e| and e²) encode a
 * prediction's features the same way. Pure; stored as JSON (error_models, migration 020).
 *
 * Columns are the fitting sample's MAX_COLUMNS most frequent feature keys, in alphabetical order.
 * A number or boolean feature is its number; a feature mostly sent as text is coded by its values
 * in the sample, the MAX_CODES most frequent in alphabetical order (a value not among them, or a
 * missing feature, is NaN: it goes right at every split).
 */
import { z } from "zod";
import type { FeatureType } from "../event-rows.js";
import { type BoostingOptions, type CompiledTrees, compileBoostedTrees, DEFAULT_BOOSTING, predictCompiled } from "./boosted-trees.js";
import { type ErrorModel, type ExpectedError, fitTreeErrorModelSteps, type RegressionRow } from "./dle.js";

export const MAX_COLUMNS = 50;
export const MAX_CODES = 64;

/** What encoding needs of a prediction (a raw row, or one read back from ClickHouse). */
export interface FeatureRow {
  feature_keys: readonly string[];
  feature_types: readonly FeatureType[];
  feature_numbers: readonly (number | null)[];
  feature_strings: readonly (string | null)[];
}

export interface SampleRow extends FeatureRow {
  pred_value: number;
  value: number;
}

/** A column: a numeric feature, or a string feature with its codes (the value at index k has code k). */
export interface FeatureColumn {
  key: string;
  codes?: string[];
}

export interface VersionErrorModel {
  columns: FeatureColumn[];
  model: Extract<ErrorModel, { kind: "trees" }>;
}

/** The columns of a sample: its most frequent feature keys, strings with their most frequent values. */
export function featureColumns(sample: readonly FeatureRow[]): FeatureColumn[] {
  const seen = new Map<string, { n: number; strings: number; values: Map<string, number> }>();
  for (const r of sample) {
    r.feature_keys.forEach((key, i) => {
      let s = seen.get(key);
      if (!s) seen.set(key, (s = { n: 0, strings: 0, values: new Map() }));
      s.n++;
      const v = r.feature_strings[i];
      if (r.feature_types[i] === "string" && v !== null && v !== undefined) {
        s.strings++;
        s.values.set(v, (s.values.get(v) ?? 0) + 1);
      }
    });
  }
  const byFrequency = <K>(a: [K, number], b: [K, number], name: (k: K) => string) =>
    b[1] - a[1] || (name(a[0]) < name(b[0]) ? -1 : name(a[0]) > name(b[0]) ? 1 : 0);
  return [...seen.entries()]
    .map(([key, s]): [string, number] => [key, s.n])
    .sort((a, b) => byFrequency(a, b, (k) => k))
    .slice(0, MAX_COLUMNS)
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([key]) => {
      const s = seen.get(key)!;
      // A feature mostly sent as text is categorical.
      if (s.strings * 2 <= s.n) return { key };
      const codes = [...s.values.entries()]
        .sort((a, b) => byFrequency(a, b, (k) => k))
        .slice(0, MAX_CODES)
        .map(([v]) => v)
        .sort();
      return { key, codes };
    });
}

/** A row's features as the trees read them, in the columns' order. */
export function encodeFeatures(columns: readonly FeatureColumn[], row: FeatureRow): number[] {
  const out = new Array<number>(columns.length);
  encodeInto(columns, row, out, 0);
  return out;
}

/** Writes the encoded features into `out` from `offset` (no map per row: a row has few keys, found by scanning). */
function encodeInto(columns: readonly FeatureColumn[], row: FeatureRow, out: number[] | Float64Array, offset: number): void {
  for (let k = 0; k < columns.length; k++) {
    const c = columns[k] as FeatureColumn;
    const i = row.feature_keys.indexOf(c.key);
    let x = Number.NaN;
    if (i >= 0) {
      if (c.codes) {
        const v = row.feature_strings[i];
        const code = v === null || v === undefined ? -1 : c.codes.indexOf(v);
        if (code >= 0) x = code;
      } else {
        const v = row.feature_numbers[i];
        if (typeof v === "number" && Number.isFinite(v)) x = v;
      }
    }
    out[offset + k] = x;
  }
}

/** The rows dle.ts fits on and estimates from, features encoded by `columns`. */
export function regressionRow(
  columns: readonly FeatureColumn[],
  row: FeatureRow & { pred_value: number; value?: number | null },
): RegressionRow {
  return { prediction: row.pred_value, features: encodeFeatures(columns, row), actual: row.value ?? null };
}

/** The fit, pausing after each boosting round (the caller decides how to yield). */
export function* fitVersionErrorModelSteps(
  sample: readonly SampleRow[],
  options: BoostingOptions = DEFAULT_BOOSTING,
): Generator<void, VersionErrorModel> {
  const columns = featureColumns(sample);
  const model = yield* fitTreeErrorModelSteps(
    sample.map((r) => regressionRow(columns, r)),
    options,
  );
  if (model.kind !== "trees") throw new Error("expected a tree error model");
  return { columns, model };
}

const compiled = new WeakMap<VersionErrorModel, { abs: CompiledTrees; sq: CompiledTrees }>();

/**
 * A prediction's expected |e| and e² under the version's model (dle.ts's `expectedError`, on the
 * trees compiled once per model); null without a predicted value.
 */
export function stampExpectedError(m: VersionErrorModel, row: FeatureRow & { pred_value: number | null }): ExpectedError | null {
  if (row.pred_value === null || !Number.isFinite(row.pred_value)) return null;
  let c = compiled.get(m);
  if (!c) compiled.set(m, (c = { abs: compileBoostedTrees(m.model.abs), sq: compileBoostedTrees(m.model.sq) }));
  const x = new Float64Array(m.columns.length + 1);
  x[0] = row.pred_value;
  encodeInto(m.columns, row, x, 1);
  const abs = Math.max(0, predictCompiled(c.abs, x));
  return { abs, sq: Math.max(abs * abs, predictCompiled(c.sq, x)) };
}

/** The version's mean |e| and e² over its fitting sample (the trees' base values): the fallback for unstamped rows. */
export function sampleMeans(m: VersionErrorModel): { abs: number; sq: number } {
  const abs = Math.max(0, m.model.abs.base);
  return { abs, sq: Math.max(abs * abs, m.model.sq.base) };
}

const Tree = z.object({
  column: z.array(z.number()),
  threshold: z.array(z.number()),
  left: z.array(z.number()),
  right: z.array(z.number()),
  value: z.array(z.number()),
});
const Trees = z.object({ base: z.number(), trees: z.array(Tree) });

/** The stored JSON, checked when read back (a model written by another version of the code fails here, not in a tree walk). */
export const StoredVersionErrorModel = z.object({
  columns: z.array(z.object({ key: z.string(), codes: z.array(z.string()).optional() })),
  model: z.object({ kind: z.literal("trees"), abs: Trees, sq: Trees, kurtosis: z.number(), rows: z.number() }),
}) satisfies z.ZodType<VersionErrorModel>;

export const parseVersionErrorModel = (json: string): VersionErrorModel => StoredVersionErrorModel.parse(JSON.parse(json));
