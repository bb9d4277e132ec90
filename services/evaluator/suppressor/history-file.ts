/**
 * The alert history JSON Lines format: one alert per line (see README, "Alert history file").
 * Times are epoch milliseconds or ISO 8601 strings; blank lines are skipped; every error names its
 * line and field, and all of a file's errors (up to a limit) are reported at once.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { ALERT_ACTIONS, type AlertRecord } from "../../common/domain/suppressor/types.js";

export class HistoryFileError extends Error {
  override name = "HistoryFileError";
}

const epochMs = z.union([
  z.number().int().nonnegative(),
  z.string().transform((s, ctx) => {
    const t = Date.parse(s);
    if (Number.isNaN(t)) {
      ctx.addIssue({ code: "custom", message: `not an ISO 8601 time or epoch milliseconds: '${s}'` });
      return z.NEVER;
    }
    return t;
  }),
]);

export const alertRecordSchema = z
  .object({
    id: z.string().min(1).optional(),
    time: epochMs,
    rule_kind: z.string().min(1),
    metric: z.string().min(1),
    severity: z.enum(["info", "warning", "critical"]),
    scope: z.enum(["global", "slice"]),
    model: z.string(),
    slice: z.string().default(""),
    deviation: z.number().nonnegative(),
    sample_size: z.number().nonnegative(),
    action: z.enum(ALERT_ACTIONS).nullable().optional(),
    action_time: epochMs.nullable().optional(),
    suppressed: z.boolean().optional(),
    surface_probability: z
      .number()
      .gt(0, "must be above 0: an alert that could not surface has no answer to weigh")
      .max(1)
      .nullable()
      .optional(),
  })
  .strict();

const MAX_ERRORS = 10;

/** Parses the text of a history file; `source` names it in errors. */
export function parseHistory(text: string, source = "history"): AlertRecord[] {
  const records: AlertRecord[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const lines = text.split("\n");
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === "") return;
    const where = `${source}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      errorCount++;
      if (errors.length < MAX_ERRORS) errors.push(`${where}: not valid JSON (${(err as Error).message})`);
      return;
    }
    const parsed = alertRecordSchema.safeParse(value);
    if (!parsed.success) {
      errorCount++;
      if (errors.length < MAX_ERRORS) {
        const issue = parsed.error.issues[0]!;
        const field = issue.path.length > 0 ? `field '${issue.path.join(".")}'` : "the line";
        errors.push(`${where}: ${field}: ${issue.message}`);
      }
      return;
    }
    records.push(parsed.data as AlertRecord);
  });
  if (errorCount > 0) {
    const more = errorCount > errors.length ? `\n... and ${errorCount - errors.length} more` : "";
    throw new HistoryFileError(`${errorCount} invalid line${errorCount === 1 ? "" : "s"} in ${source}:\n${errors.join("\n")}${more}`);
  }
  if (records.length === 0) throw new HistoryFileError(`${source} holds no alerts`);
  return records;
}

export async function readHistoryFile(path: string): Promise<AlertRecord[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new HistoryFileError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseHistory(text, path);
}
