/** The model declaration accepted by PUT /v1/models/:id (zod at the HTTP boundary). */
import { z } from "zod";

export const TASKS = ["binary", "multiclass", "regression"] as const;
export type Task = (typeof TASKS)[number];

export const DRIFT_METHODS = ["psi", "ks", "wasserstein", "jensen_shannon", "chi_square"] as const;
export type DriftMethod = (typeof DRIFT_METHODS)[number];

/**
 * Declared rules for one feature (or the prediction itself, as "prediction.score",
 * "prediction.label" or "prediction.value"). Whatever is left out is proposed from the reference.
 */
export const FeatureRule = z
  .object({
    /** How the feature is binned and tested; default: numeric if most reference values are numbers. */
    type: z.enum(["numeric", "categorical"]).optional(),
    /** Every prediction must carry the feature. */
    required: z.boolean().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    non_negative: z.boolean().optional(),
    /** The only categories allowed. */
    allowed: z.array(z.string().max(256)).max(10_000).optional(),
    max_null_fraction: z.number().min(0).max(1).optional(),
    /** Overrides the default drift test: a distance threshold, or a significance level for ks and chi_square. */
    drift: z
      .object({
        method: z.enum(DRIFT_METHODS).optional(),
        threshold: z.number().positive().optional(),
        min_samples: z.number().int().min(1).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, { message: "min must not exceed max", path: ["min"] })
  .refine(
    (r) =>
      !r.drift?.method ||
      !r.type ||
      (r.type === "numeric" ? r.drift.method !== "chi_square" : !["ks", "wasserstein"].includes(r.drift.method)),
    {
      message: "that drift method does not apply to this feature type",
      path: ["drift", "method"],
    },
  );
export type FeatureRule = z.infer<typeof FeatureRule>;

export const ModelDeclaration = z
  .object({
    task: z.enum(TASKS),
    /** Binary only: the class whose probability `prediction.score` is. */
    positive_class: z
      .union([z.string().min(1).max(256), z.number(), z.boolean()])
      .transform(String)
      .optional(),
    /** Binary only: a score at or above it predicts the positive class. */
    threshold: z.number().min(0).max(1).default(0.5),
    /**
     * Segment keys to slice metrics by; empty or omitted: every segment key. "a × b" declares the
     * intersection of two keys (slices such as "DE × mobile").
     */
    slice_keys: z
      .array(
        z
          .string()
          .min(1)
          .max(256)
          .refine((k) => {
            const parts = k.split(" × ");
            return parts.length === 1 || (parts.length === 2 && parts[0] !== "" && parts[1] !== "" && parts[0] !== parts[1]);
          }, "an intersection is two different keys joined by ' × ', e.g. 'country × device'"),
      )
      .max(32)
      .default([]),
    /** Data-quality rules and drift overrides per feature. */
    features: z
      .record(z.string().min(1).max(256), FeatureRule)
      .refine((f) => Object.keys(f).length <= 1000, "at most 1000 features")
      .default({}),
  })
  .refine((d) => d.task !== "binary" || d.positive_class !== undefined, {
    message: "a binary model needs positive_class",
    path: ["positive_class"],
  });
export type ModelDeclaration = z.infer<typeof ModelDeclaration>;
