/**
 * The one place where values become SQL text. ClickHouse 18.16 has no server-side query
 * parameters, so values are escaped here, and identifiers come only from a whitelist pattern.
 * Build statements with the `sql` tag: every `${hole}` is a value unless wrapped in `ident()`
 * or is itself a fragment made by `sql`/`raw`.
 */

export class Sql {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

class Identifier {
  constructor(readonly name: string) {}
}

export type SqlValue = string | number | bigint | boolean | null | Date | readonly SqlValue[];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

/** A database, table or column name; anything outside [A-Za-z_][A-Za-z0-9_]* (optionally db.table) is refused. */
export function ident(name: string): Identifier {
  if (!IDENTIFIER.test(name)) throw new Error(`refusing SQL identifier ${JSON.stringify(name)}`);
  return new Identifier(name);
}

/** Trusted SQL text written by us (never user input). */
export function raw(text: string): Sql {
  return new Sql(text);
}

const ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "'": "\\'",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\0": "\\0",
  "\b": "\\b",
  "\f": "\\f",
};

export function quoteString(s: string): string {
  return `'${s.replace(/[\\'\n\r\t\0\b\f]/g, (c) => ESCAPES[c] ?? c)}'`;
}

export function literal(value: SqlValue): string {
  if (value === null) return "NULL";
  if (typeof value === "string") return quoteString(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  // A negative number gets a leading space: `a-${n}` must not become the comment `a--1`.
  if (typeof value === "bigint") return value < 0n ? ` ${value}` : value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`refusing non-finite number ${value} in SQL`);
    return value < 0 ? ` ${value}` : String(value);
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new Error("refusing invalid Date in SQL");
    // Whole seconds as a DateTime; milliseconds are kept in separate UInt64 columns.
    return `toDateTime(${Math.floor(ms / 1000)})`;
  }
  if (Array.isArray(value)) return `[${value.map(literal).join(", ")}]`;
  throw new Error(`unsupported SQL value of type ${typeof value}`);
}

export function sql(strings: TemplateStringsArray, ...holes: Array<SqlValue | Sql | Identifier>): Sql {
  let text = strings[0] ?? "";
  holes.forEach((hole, i) => {
    if (hole instanceof Sql) text += hole.text;
    else if (hole instanceof Identifier) text += hole.name.split(".").map((p) => `\`${p}\``).join(".");
    else text += literal(hole);
    text += strings[i + 1] ?? "";
  });
  return new Sql(text);
}

/** Joins fragments, e.g. optional WHERE conditions, without gluing strings by hand. */
export function join(parts: readonly Sql[], separator: string): Sql {
  return new Sql(parts.map((p) => p.text).join(separator));
}

/** A parenthesised list of values for `IN`, e.g. `prediction_id IN ${list(ids)}`; never empty. */
export function list(values: readonly SqlValue[]): Sql {
  if (values.length === 0) throw new Error("refusing an empty IN list");
  return new Sql(`(${values.map(literal).join(", ")})`);
}
