/**
 * The zod twins of the Avro schemas in this folder.
 *
 * Two layers: `*Wire` describes the record exactly as it travels in Avro (epoch-ms numbers,
 * string labels, defaults filled in) and holds every semantic rule; `*Http` accepts the friendlier
 * JSON forms (ISO or epoch timestamps, numeric labels, omitted defaults) and pipes into the wire
 * schema. The gateway validates with `*Http`; the processor validates decoded Avro with `*Wire`,
 * so both paths apply the same rules (proved by contract.test.ts).
 */
import { z } from "zod";

export const LIMITS = {
  idLength: 256,
  features: 1000,
  featureKeyLength: 256,
  stringValueLength: 4096,
  segments: 32,
  segmentValueLength: 256,
  classes: 1000,
} as const;

// Timestamps before 2000 are almost always seconds-vs-milliseconds mistakes. The end is 2100: a
// window's start is a ClickHouse DateTime, which ends in February 2106, and an event past it made
// the statements over its window overflow (test/faults/time-edges.fault.test.ts).
const MIN_TIME_MS = Date.UTC(2000, 0, 1);
const MAX_TIME_MS = Date.UTC(2100, 0, 1);

const id = z.string().min(1, "must not be empty").max(LIMITS.idLength);
const modelId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "must be 1-128 characters of letters, digits, '.', '_', ':' or '-'");
const epochMs = z
  .number()
  .int("must be whole epoch milliseconds")
  .min(MIN_TIME_MS, "must be epoch milliseconds after 2000-01-01 (seconds given?)")
  .max(MAX_TIME_MS, "must be epoch milliseconds before 2100-01-01");
// zod 4's number() already refuses NaN and ±Infinity.
const probability = z.number().min(0, "must be a probability in [0, 1]").max(1, "must be a probability in [0, 1]");

/**
 * A string-keyed map checked in one pass over its entries. z.record() with per-key and per-value
 * schemas costs several microseconds per event on the processor's hot path; this costs a fraction,
 * and still reports each bad entry under its own path (features.amount).
 */
function flatRecord<V>(what: string, maxKeys: number, valueOk: (v: unknown) => v is V, valueMessage: string) {
  return z
    .custom<Record<string, V>>((v) => typeof v === "object" && v !== null && !Array.isArray(v), { message: `must be an object of ${what}` })
    .superRefine((record, ctx) => {
      let n = 0;
      for (const k in record) {
        n++;
        if (k.length === 0 || k.length > LIMITS.featureKeyLength)
          ctx.addIssue({ code: "custom", path: [k], message: `keys must be 1 to ${LIMITS.featureKeyLength} characters` });
        if (!valueOk(record[k])) ctx.addIssue({ code: "custom", path: [k], message: valueMessage });
      }
      if (n > maxKeys) ctx.addIssue({ code: "custom", message: `at most ${maxKeys} ${what}` });
    });
}

// Numbers are summed (squared errors, drift bins' sums): beyond ±1e100 a window's sum of squares
// could reach infinity, which ClickHouse returns as null, and /slices failed on that model.
const MAX_MAGNITUDE = 1e100;
const WITHIN = "a number within ±1e100";
const withinMagnitude = (v: number) => Number.isFinite(v) && Math.abs(v) <= MAX_MAGNITUDE;
const measurement = z.number().refine(withinMagnitude, `must be ${WITHIN}`);

const isFeatureValue = (v: unknown): v is number | string | boolean | null =>
  v === null ||
  typeof v === "boolean" ||
  (typeof v === "number" && withinMagnitude(v)) ||
  (typeof v === "string" && v.length <= LIMITS.stringValueLength);
const isSegmentValue = (v: unknown): v is string => typeof v === "string" && v.length <= LIMITS.segmentValueLength;

const features = flatRecord(
  "features",
  LIMITS.features,
  isFeatureValue,
  `must be ${WITHIN}, a string of at most ${LIMITS.stringValueLength} characters, a boolean or null`,
);
const segments = flatRecord(
  "segments",
  LIMITS.segments,
  isSegmentValue,
  `must be a string of at most ${LIMITS.segmentValueLength} characters`,
);

export const PredictionOutputWire = z
  .object({
    label: z.string().min(1).max(LIMITS.idLength).nullable(),
    score: probability.nullable(),
    scores: z
      .record(z.string().min(1).max(LIMITS.idLength), probability)
      .refine((s) => Object.keys(s).length > 0 && Object.keys(s).length <= LIMITS.classes, "must hold 1 to 1000 classes")
      .nullable(),
    value: measurement.nullable(),
  })
  .refine((p) => p.label !== null || p.score !== null || p.scores !== null || p.value !== null, {
    message: "needs at least one of label, score, scores or value",
  });

export const PredictionWire = z.object({
  prediction_id: id,
  model_id: modelId,
  model_version: z.string().min(1, "must not be empty").max(128),
  stage: z.string().min(1, "must not be empty").max(64),
  timestamp: epochMs,
  features,
  prediction: PredictionOutputWire,
  segments,
  received_at: epochMs.nullable(),
  // Shared by the variants (shadow, canary) that score one request; absent in events written before it.
  request_id: id.nullish(),
});
export type PredictionEvent = z.infer<typeof PredictionWire>;

export const LabelWire = z
  .object({
    // Empty only in a label for a whole request (request_id), which reaches every variant's prediction.
    prediction_id: z.string().max(LIMITS.idLength),
    model_id: modelId,
    label: z.string().min(1).max(LIMITS.idLength).nullable(),
    value: measurement.nullable(),
    labeled_at: epochMs,
    source: z.string().min(1, "must not be empty").max(128),
    received_at: epochMs.nullable(),
    request_id: id.nullish(),
  })
  .superRefine((l, ctx) => {
    if (l.prediction_id === "" && l.request_id == null)
      ctx.addIssue({ code: "custom", path: ["prediction_id"], message: "must not be empty (or give request_id)" });
  })
  .refine((l) => (l.label === null) !== (l.value === null), { message: "needs exactly one of label or value" });
export type LabelEvent = z.infer<typeof LabelWire>;

/** ISO-8601 with a zone, or epoch milliseconds. */
const timestampInput = z.union([
  z.iso
    .datetime({ offset: true, message: "must be an ISO-8601 timestamp with a zone, or epoch milliseconds" })
    .transform((s) => Date.parse(s)),
  z.number(),
]);
/** Class labels may be sent as numbers or booleans; on the wire they are strings. */
const labelInput = z.union([z.string(), z.number(), z.boolean()]).transform(String);

export const PredictionHttp = z
  .object({
    prediction_id: z.string(),
    model_id: z.string(),
    model_version: z.string(),
    stage: z.string().default("production"),
    timestamp: timestampInput,
    features: z.record(z.string(), z.unknown()).default({}),
    prediction: z.object({
      label: labelInput.nullable().default(null),
      score: z.number().nullable().default(null),
      scores: z.record(z.string(), z.number()).nullable().default(null),
      value: z.number().nullable().default(null),
    }),
    segments: z.record(z.string(), z.unknown()).default({}),
    request_id: z.string().nullish(),
  })
  .transform((p) => ({ ...p, received_at: null as number | null }))
  .pipe(PredictionWire);

export const LabelHttp = z
  .object({
    prediction_id: z.string().default(""),
    model_id: z.string(),
    label: labelInput.nullable().default(null),
    value: z.number().nullable().default(null),
    // Omitted: the time the gateway received it, filled in by the gateway before producing.
    labeled_at: timestampInput.optional(),
    source: z.string().default("unspecified"),
    request_id: z.string().nullish(),
  })
  .transform((l) => ({ ...l, labeled_at: l.labeled_at ?? Date.now(), received_at: null as number | null }))
  .pipe(LabelWire);
