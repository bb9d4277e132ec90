/** The model declaration accepted by PUT /v1/models/:id (zod at the HTTP boundary). */
import { z } from "zod";

export const TASKS = ["binary", "multiclass", "regression"] as const;
export type Task = (typeof TASKS)[number];

export const ModelDeclaration = z
  .object({
    task: z.enum(TASKS),
    /** Binary only: the class whose probability `prediction.score` is. */
    positive_class: z.union([z.string().min(1).max(256), z.number(), z.boolean()]).transform(String).optional(),
    /** Binary only: a score at or above it predicts the positive class. */
    threshold: z.number().min(0).max(1).default(0.5),
    /** Segment keys to slice metrics by; empty or omitted: every segment key. */
    slice_keys: z.array(z.string().min(1).max(256)).max(32).default([]),
  })
  .refine((d) => d.task !== "binary" || d.positive_class !== undefined, { message: "a binary model needs positive_class", path: ["positive_class"] });
export type ModelDeclaration = z.infer<typeof ModelDeclaration>;
