/** Parameters shared by the models routes, parsed with zod; a bad one is answered with 400. */
import type { FastifyReply } from "fastify";
import { z } from "zod";

export const modelIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, "not a valid model id") });

const DURATIONS: Record<string, number> = { m: 60, h: 3600, d: 86400 };
/** "5m", "1h", "1d" or plain seconds. */
export const windowParam = z
  .string()
  .regex(/^\d+[mhd]?$/, "a window such as 5m, 1h, 1d or seconds")
  .transform((w) => {
    const unit = w.at(-1)!;
    return unit in DURATIONS ? Number(w.slice(0, -1)) * DURATIONS[unit]! : Number(w);
  });
export const timeParam = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^\d+$/)])
  .transform((t) => (/^\d+$/.test(t) ? Number(t) : Date.parse(t)));

/** A window size, a time range and the filters of a slice, stage and version: the query of the metrics and estimates routes. */
export const windowRangeQuery = z.object({
  window: windowParam.default(3600),
  from: timeParam.optional(),
  to: timeParam.optional(),
  slice_key: z.string().max(256).default(""),
  slice_value: z.string().max(256).default(""),
  stage: z.string().max(64).optional(),
  model_version: z.string().max(128).optional(),
});

/** The parsed value, or undefined after answering 400 with the first issue's field and reason. */
export function parseOr400<T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  void reply.code(400).send({ error: { code: "bad_request", message: `${issue.path.join(".") || "request"}: ${issue.message}` } });
  return undefined;
}

/** Whether `window` is one of the configured sizes; if not, false after answering 400 naming it. */
export async function configuredWindowOr400(
  store: { hasWindow(seconds: number): Promise<boolean> },
  window: number,
  reply: FastifyReply,
): Promise<boolean> {
  if (await store.hasWindow(window)) return true;
  void reply
    .code(400)
    .send({ error: { code: "bad_request", message: `window: ${window} s is not a configured window size (HINDSIGHT_WINDOWS)` } });
  return false;
}
