/**
 * Which column of a file means what, for `hindsight import`: from a small mapping file (YAML or
 * JSON), from flags, or both (a flag wins over the file). Pure: no file system, no network.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const column = z.string().min(1, "must name a column").max(256);
const columns = z.array(column).max(1000);
const constant = z.string().min(1).max(128);

/** The mapping file's shape; every key is optional here, `resolveMapping` checks what a run needs. */
export const MappingFile = z
  .object({
    model: constant.optional(),
    model_column: column.optional(),
    version: constant.optional(),
    version_column: column.optional(),
    stage: z.string().min(1).max(64).optional(),
    stage_column: column.optional(),
    id: column.optional(),
    time: column.optional(),
    prediction: column.optional(),
    score: column.optional(),
    label: column.optional(),
    labeled_at: column.optional(),
    /** The prediction and label columns hold numbers: a regression model's output and target. */
    regression: z.boolean().optional(),
    /** Feature columns; left out: every column that no other key names (and not in `exclude`). */
    features: columns.optional(),
    exclude: columns.optional(),
    segments: columns.max(32, "at most 32 segment columns").optional(),
    /** The label events' `source`. */
    source: z.string().min(1).max(128).optional(),
  })
  .strict();
export type MappingInput = z.infer<typeof MappingFile>;

export interface Mapping {
  model: { constant: string } | { column: string };
  version: { constant: string } | { column: string } | undefined;
  stage: { constant: string } | { column: string };
  id: string | undefined;
  time: string | undefined;
  prediction: string | undefined;
  score: string | undefined;
  label: string | undefined;
  labeledAt: string | undefined;
  regression: boolean;
  /** Explicit feature columns, or every column no other key names, less `exclude`. */
  features: { columns: string[] } | { allBut: Set<string> };
  segments: string[];
  source: string;
  /** What a row yields: a prediction when an output column is mapped, a label when the label column is. */
  sends: { predictions: boolean; labels: boolean };
}

export class MappingError extends Error {}

/** A mapping file's text (YAML, of which JSON is a subset). */
export function parseMappingFile(text: string): MappingInput {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new MappingError(`not YAML or JSON: ${(err as Error).message}`);
  }
  const parsed = MappingFile.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new MappingError(`${issue.path.join(".") || "mapping"}: ${issue.message}`);
  }
  return parsed.data;
}

/** Comma-separated flag values: "a,b , c" → ["a", "b", "c"]. */
export const splitList = (text: string): string[] =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");

/**
 * The mapping a run uses: `flags` (same keys as the file) over `file`. `reference` runs load
 * features (and the model's output, for prediction drift) into a drift reference instead of events.
 */
export function resolveMapping(file: MappingInput, flags: MappingInput, opts: { reference: boolean }): Mapping {
  const m: MappingInput = { ...file };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) (m as Record<string, unknown>)[k] = v;
  const checked = MappingFile.safeParse(m);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new MappingError(`${issue.path.join(".")}: ${issue.message}`);
  }
  const oneOf = (key: string, constantValue: string | undefined, columnName: string | undefined) => {
    if (constantValue !== undefined && columnName !== undefined) throw new MappingError(`give either ${key} or ${key}_column, not both`);
    if (constantValue !== undefined) return { constant: constantValue };
    if (columnName !== undefined) return { column: columnName };
    return undefined;
  };
  const model = oneOf("model", m.model, m.model_column);
  if (!model) throw new MappingError("which model? give --model ID (or --model-column COLUMN)");
  if (opts.reference && "column" in model) throw new MappingError("a reference belongs to one model: give --model ID");
  const version = oneOf("version", m.version, m.version_column);
  const stage = oneOf("stage", m.stage, m.stage_column) ?? { constant: "production" };
  const outputs = [m.prediction, m.score].filter((c) => c !== undefined);
  const sends = opts.reference ? { predictions: false, labels: false } : { predictions: outputs.length > 0, labels: m.label !== undefined };
  if (!opts.reference) {
    if (!sends.predictions && !sends.labels)
      throw new MappingError("nothing to load: map a prediction or score column (predictions), a label column (labels), or both");
    if (sends.predictions && !version) throw new MappingError("predictions need a model version: give --version V (or --version-column)");
    // Without an id column each row's prediction gets an id made from its line, which only a label on the same row can know.
    if (sends.labels && !sends.predictions && !m.id)
      throw new MappingError("labels need the id of the prediction they answer: give --id COLUMN");
    if (m.regression && m.score !== undefined) throw new MappingError("a regression model has no score column");
  }
  if (opts.reference && version && "column" in version) throw new MappingError("a reference belongs to one version: give --version V");
  const named = [
    m.model_column,
    m.version_column,
    m.stage_column,
    m.id,
    m.time,
    m.prediction,
    m.score,
    m.label,
    m.labeled_at,
    ...(m.segments ?? []),
  ].filter((c): c is string => c !== undefined);
  const features: Mapping["features"] = m.features
    ? { columns: m.features.filter((c) => !(m.exclude ?? []).includes(c)) }
    : { allBut: new Set([...named, ...(m.exclude ?? [])]) };
  if ("columns" in features) {
    // A segment may also be a feature (country: sliced by, and watched for drift); nothing else may.
    const segments = new Set(m.segments ?? []);
    const clash = features.columns.find((c) => named.includes(c) && !segments.has(c));
    if (clash !== undefined) throw new MappingError(`column '${clash}' is mapped twice: as a feature and as something else`);
  }
  return {
    model,
    version,
    stage,
    id: m.id,
    time: m.time,
    prediction: m.prediction,
    score: m.score,
    label: m.label,
    labeledAt: m.labeled_at,
    regression: m.regression ?? false,
    features,
    segments: m.segments ?? [],
    source: m.source ?? "import",
    sends,
  };
}
