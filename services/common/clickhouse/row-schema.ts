/**
 * Rows read from ClickHouse are parsed here, at the boundary, into the types the code works with:
 * every `ClickHouse.rows` call names the shape it expects, and a row of another shape is an error
 * that names the column, instead of a value that is wrong further on.
 *
 * ClickHouse's JSON output quotes 64-bit integers (see client.ts), so integer columns arrive as
 * strings or numbers; `int` reads both and refuses anything past 2^53, where a number would round.
 */
import { z } from "zod";

/** Any integer column read as a number: counts, UInt64 times in ms, flags, versions. */
export const int = z.union([z.number().int(), z.string().regex(/^-?\d+$/, "an integer")]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    ctx.addIssue({ code: "custom", message: `integer ${v} is beyond 2^53 and would round` });
    return z.NEVER;
  }
  return n;
});

/** A Float64 column. ClickHouse writes nan and inf as null in JSON, so a float that may be either is `float.nullable()`. */
export const float = z.number();

/** A column that is a float or an integer depending on what it holds (a metric's value: a count, a ratio). */
export const numeric = z.union([z.number(), int]);

/** A UInt8 used as a flag. */
export const flag = int.pipe(z.union([z.literal(0), z.literal(1)])).transform((v) => v === 1);

export const str = z.string();

/** A String column holding JSON written by us: parsed, then checked against `inner`. */
export function jsonText<T extends z.ZodType>(inner: T) {
  return z.string().transform((text, ctx): z.output<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: "custom", message: "not valid JSON" });
      return z.NEVER;
    }
    const parsed = inner.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      ctx.addIssue({ code: "custom", message: `JSON ${issue?.path.join(".") || "value"}: ${issue?.message}` });
      return z.NEVER;
    }
    return parsed.data;
  });
}

/** One row object of the given columns. Extra columns are dropped, so `SELECT *` keeps working as tables grow. */
export const row = <S extends z.ZodRawShape>(shape: S) => z.object(shape);

/**
 * A row taken as it comes, for tests and benchmarks that check the values themselves. Product code
 * names its columns with `row(...)`.
 */
export const anyRow = <T = Record<string, unknown>>() => z.custom<T>(() => true);

export class RowShapeError extends Error {
  override readonly name = "RowShapeError";
}

/** Parses a result's rows; the first bad row throws, naming its index, column and what was found. */
export function parseRows<S extends z.ZodType>(schema: S, rows: readonly unknown[], statement: string): z.output<S>[] {
  const out: z.output<S>[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const parsed = schema.safeParse(rows[i]);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const column = issue?.path.join(".") || "(row)";
      const found = issue?.path.reduce<unknown>((v, key) => (v as Record<PropertyKey, unknown> | undefined)?.[key], rows[i]);
      throw new RowShapeError(
        `row ${i} of "${firstLine(statement)}": column ${column}: ${issue?.message ?? "unexpected shape"} (found ${preview(found)})`,
      );
    }
    out[i] = parsed.data;
  }
  return out;
}

function firstLine(statement: string): string {
  const text = statement.trim().replace(/\s+/g, " ");
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function preview(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
