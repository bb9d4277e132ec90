/**
 * The alert rules file (YAML or JSON), validated with zod. `hindsight rules apply FILE` and
 * `PUT /v1/rules` both take this shape; every applied change becomes a new rule version.
 */
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const DURATION = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** "90s", "5m", "1h", "1d" → milliseconds. */
export function durationMs(text: string): number {
  const m = DURATION.exec(text);
  if (!m) throw new Error(`invalid duration '${text}': use a number and s, m, h or d, like 5m`);
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
}

const Duration = z.string().regex(DURATION, "a duration like 30s, 5m, 1h or 1d");

/** Metrics computed from labels: judged only once a window's label coverage is high enough. */
export const LABEL_METRICS = [
  "accuracy",
  "precision",
  "recall",
  "f1",
  "log_loss",
  "brier",
  "roc_auc",
  "pr_auc",
  "ece",
  "mae",
  "rmse",
  "mape",
  "r2",
  "selection_rate_ratio",
  // A candidate's accuracy − production's on the same requests (shadow, canary), per window.
  "paired_accuracy_difference",
] as const;
/** Metrics known without labels. */
/**
 * Metrics known without labels. `estimated_*` are the label-free estimates of binary models
 * (calibrated confidence) and, `estimated_mae` and `estimated_rmse`, of regression models (error
 * models, DLE); GET /v1/models/:id/estimates, blended with the labels already in.
 */
export const LABEL_FREE_METRICS = [
  "predictions",
  "label_coverage",
  "estimated_accuracy",
  "estimated_precision",
  "estimated_recall",
  "estimated_f1",
  "estimated_roc_auc",
  "estimated_mae",
  "estimated_rmse",
  "delay_p50_s",
  "delay_p90_s",
] as const;
export const PERFORMANCE_METRICS = [...LABEL_METRICS, ...LABEL_FREE_METRICS] as const;
export type PerformanceMetric = (typeof PERFORMANCE_METRICS)[number];
/** Higher is better for these; an SLO on them is "value ≥ objective". */
export const HIGHER_IS_BETTER: ReadonlySet<string> = new Set([
  "accuracy",
  "precision",
  "recall",
  "f1",
  "roc_auc",
  "pr_auc",
  "r2",
  "selection_rate_ratio",
  "paired_accuracy_difference",
  "label_coverage",
  "estimated_accuracy",
  "estimated_precision",
  "estimated_recall",
  "estimated_f1",
  "estimated_roc_auc",
]);
/** Proportions of a count, so a Wilson interval is their confidence interval. */
export const PROPORTION_METRICS: ReadonlySet<string> = new Set(["accuracy", "precision", "recall", "label_coverage"]);
/** Metrics whose windows come with their own interval (the estimates'). */
export const ESTIMATED_METRICS: ReadonlySet<string> = new Set([
  "estimated_accuracy",
  "estimated_precision",
  "estimated_recall",
  "estimated_f1",
  "estimated_roc_auc",
  "estimated_mae",
  "estimated_rmse",
]);
/** The estimated metrics of regression models (the others are binary models'). */
export const ESTIMATED_ERROR_METRICS: ReadonlySet<string> = new Set(["estimated_mae", "estimated_rmse"]);
/** Metrics a rule may judge by a confidence interval (`confidence`). */
export const INTERVAL_METRICS: ReadonlySet<string> = new Set([...PROPORTION_METRICS, ...ESTIMATED_METRICS]);

const METRIC = new RegExp(`^(${PERFORMANCE_METRICS.join("|")}|drift(\\.[^\\s]+)?|quality(\\.[a-z_]+)?)$`);

const Target = z
  .object({
    model: z.string().min(1).default("*"),
    version: z.string().min(1).optional(),
    stage: z.string().min(1).optional(),
    /** Omitted: the whole population only. "*": every slice and the whole population. "country=*": every value of country. "country=BR": that slice. */
    // The value is any segment value (segments take any text, line breaks too), hence [\s\S] rather than `.`.
    slice: z
      .string()
      .regex(/^(\*|[A-Za-z0-9_.-]+=(\*|[\s\S]+))$/, "'*', 'key=*' or 'key=value'")
      .optional(),
  })
  .strict();

const Direction = z.enum(["down", "up", "both"]);

export const RuleSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "lower-case letters, digits, '.', '_' or '-', up to 64"),
    name: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    kind: z.enum(["threshold", "slo", "relative_change", "adaptive"]),
    metric: z.string().regex(METRIC, `one of ${PERFORMANCE_METRICS.join(", ")}, drift, drift.<feature>, quality or quality.<check>`),
    op: z.enum(["<", "<=", ">", ">="]).optional(),
    threshold: z.number().finite().optional(),
    objective: z.number().finite().optional(),
    direction: Direction.optional(),
    change: z.number().positive().optional(),
    baseline_windows: z.number().int().min(1).max(1000).default(12),
    history_windows: z.number().int().min(4).max(2000).default(48),
    min_history: z.number().int().min(3).default(12),
    k: z.number().positive().default(4),
    /** relative_change and adaptive: compare with the same time of day, or of the week, in past periods. */
    seasonality: z.enum(["none", "daily", "weekly"]).default("none"),
    window: Duration.default("5m"),
    for: Duration.default("0s"),
    severity: z.enum(["info", "warning", "critical"]).default("warning"),
    target: Target.default({ model: "*" }),
    min_samples: z.number().int().min(0).default(30),
    // The interval's z is tabulated for these levels only (domain/intervals.ts); any other would fail at evaluation.
    confidence: z
      .number()
      .refine((c) => c === 0.9 || c === 0.95 || c === 0.99, "0.9, 0.95 or 0.99")
      .optional(),
    min_coverage: z.number().min(0).max(1).default(0.8),
    receivers: z.array(z.string().min(1)).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const isSignal = r.metric.startsWith("drift") || r.metric.startsWith("quality");
    if (r.kind === "threshold" && !isSignal && (r.op === undefined || r.threshold === undefined))
      issue("threshold", "a threshold rule needs 'op' and 'threshold'");
    if (r.kind === "threshold" && (r.op === undefined) !== (r.threshold === undefined)) issue("op", "give 'op' and 'threshold' together");
    if (r.kind === "slo" && r.objective === undefined) issue("objective", "an SLO needs an 'objective', e.g. 0.95");
    if (r.kind === "relative_change" && r.change === undefined) issue("change", "a relative_change rule needs 'change', e.g. 0.1 for 10 %");
    if (r.kind !== "threshold" && isSignal) issue("kind", "drift and quality rules are of kind 'threshold'");
    if (r.seasonality !== "none" && r.kind !== "adaptive" && r.kind !== "relative_change")
      issue("seasonality", "only adaptive and relative_change rules compare with past periods");
    if (r.seasonality !== "none" && (r.seasonality === "daily" ? 86_400_000 : 604_800_000) % durationMs(r.window) !== 0)
      issue("seasonality", `a ${r.seasonality} season must be a whole number of ${r.window} windows`);
    if (r.metric.startsWith("quality") && r.threshold !== undefined)
      issue("threshold", "quality rules fire on violated checks; the checks' bounds are declared with the model");
    if (r.metric === "selection_rate_ratio" && !/^[^=]+=\*$/.test(r.target.slice ?? ""))
      issue("target", "a fairness rule compares the groups of one key: give target.slice as 'key=*', e.g. 'gender=*'");
    if (r.confidence !== undefined && !INTERVAL_METRICS.has(r.metric))
      issue("confidence", `a confidence interval is available for ${[...INTERVAL_METRICS].join(", ")}`);
  });

export type Rule = z.output<typeof RuleSchema>;

export const ReceiverSchema = z.discriminatedUnion("type", [
  z
    .object({ name: z.string().min(1), type: z.literal("webhook"), url: z.url(), headers: z.record(z.string(), z.string()).optional() })
    .strict(),
  z.object({ name: z.string().min(1), type: z.literal("slack"), url: z.url(), channel: z.string().optional() }).strict(),
  z
    .object({
      name: z.string().min(1),
      type: z.literal("alertmanager"),
      url: z.url(),
      /**
       * An alert stays firing in Alertmanager at least this long before its resolution is sent:
       * Alertmanager notifies only groups that still hold a firing alert when their group_wait
       * ends (30 s by default), so an alert found already resolved would otherwise reach nobody.
       */
      min_firing: Duration.default("1m"),
    })
    .strict(),
]);
export type Receiver = z.output<typeof ReceiverSchema>;

export const RuleFileSchema = z
  .object({
    rules: z.array(RuleSchema).max(1000),
    receivers: z.array(ReceiverSchema).default([]),
    settings: z
      .object({
        /** A firing alert is notified again after this long. */
        repeat_interval: Duration.default("4h"),
        /** An alert that clears and breaches again within this time stays one alert (flap damping). */
        hold: Duration.default("15m"),
        /** The digest of the last 24 hours is delivered at this UTC hour. */
        digest_hour_utc: z.number().int().min(0).max(23).default(8),
      })
      .strict()
      .default({ repeat_interval: "4h", hold: "15m", digest_hour_utc: 8 }),
  })
  .strict()
  .superRefine((f, ctx) => {
    const ids = new Set<string>();
    f.rules.forEach((r, i) => {
      if (ids.has(r.id)) ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id '${r.id}'` });
      ids.add(r.id);
    });
    const names = new Set(f.receivers.map((r) => r.name));
    if (names.size !== f.receivers.length) ctx.addIssue({ code: "custom", path: ["receivers"], message: "receiver names must be unique" });
    f.rules.forEach((r, i) =>
      r.receivers?.forEach((name) => {
        if (!names.has(name)) ctx.addIssue({ code: "custom", path: ["rules", i, "receivers"], message: `unknown receiver '${name}'` });
      }),
    );
  });

export type RuleFile = z.output<typeof RuleFileSchema>;

export class RuleFileError extends Error {
  override readonly name = "RuleFileError";
  constructor(readonly issues: string[]) {
    super(`invalid rules file:\n${issues.map((i) => `  ${i}`).join("\n")}`);
  }
}

/** Parses YAML (a superset of JSON) and validates; errors name the path of each problem. */
export function parseRuleFile(text: string): RuleFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new RuleFileError([`not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`]);
  }
  return validateRuleFile(doc);
}

export function validateRuleFile(doc: unknown): RuleFile {
  const parsed = RuleFileSchema.safeParse(doc);
  if (!parsed.success) throw new RuleFileError(parsed.error.issues.map((i) => `${i.path.join(".") || "(file)"}: ${i.message}`));
  for (const r of parsed.data.rules) {
    if (durationMs(r.window) < 60_000) throw new RuleFileError([`rules.${r.id}.window: windows are at least 1m`]);
  }
  return parsed.data;
}
