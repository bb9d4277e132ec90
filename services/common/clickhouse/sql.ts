/**
 * The one place where statements are built. Values never become SQL text: every `${hole}` of the
 * `sql` tag is sent as a typed server-side query parameter (`{p0:String}`, lists as
 * `{p1:Array(String)}`), so no statement's text depends on, or grows with, the data. Identifiers
 * (which parameters cannot carry in DDL or FROM) come only from a whitelist pattern through
 * `ident()`. A hole is a value unless it is an identifier or a fragment made by `sql`/`raw`.
 */

/** A value with the ClickHouse type it is sent as; `typed()` makes one, plain values are inferred. */
export class Param {
  constructor(
    readonly value: ParamValue,
    readonly type: string,
  ) {}
}

type ParamValue = string | number | bigint | null | readonly ParamValue[];
type Part = string | Param;

export class Sql {
  constructor(readonly parts: readonly Part[]) {}

  /** The statement with a `{pN:Type}` placeholder per value, numbered in order. */
  get text(): string {
    let n = 0;
    return this.parts.map((p) => (typeof p === "string" ? p : `{p${n++}:${p.type}}`)).join("");
  }

  /** The values of the placeholders, by name, as @clickhouse/client's `query_params`. */
  get params(): Record<string, ParamValue> {
    const out: Record<string, ParamValue> = {};
    let n = 0;
    for (const p of this.parts) if (typeof p !== "string") out[`p${n++}`] = p.value;
    return out;
  }

  toString(): string {
    return this.text;
  }
}

class Identifier {
  constructor(readonly name: string) {}
}

export type SqlValue = string | number | bigint | boolean | null | Date | readonly SqlValue[];

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
// Types a caller may name with typed(): ClickHouse type syntax only, nothing that could close the brace.
const TYPE = /^[A-Za-z][A-Za-z0-9_]*(\([A-Za-z0-9_, ()'=-]*\))?$/;

/** A database, table or column name; anything outside [A-Za-z_][A-Za-z0-9_]* (optionally db.table) is refused. */
export function ident(name: string): Identifier {
  if (!IDENTIFIER.test(name)) throw new Error(`refusing SQL identifier ${JSON.stringify(name)}`);
  return new Identifier(name);
}

/** Trusted SQL text written by us (never user input). */
export function raw(text: string): Sql {
  return new Sql([text]);
}

/** A value sent as the given ClickHouse type, e.g. typed(null, "Nullable(Float64)") or typed(ms, "UInt64"). */
export function typed(value: SqlValue, type: string): Param {
  if (!TYPE.test(type)) throw new Error(`refusing query parameter type ${JSON.stringify(type)}`);
  return new Param(toParamValue(value), type);
}

/** The ClickHouse type a plain value is sent as. */
export function inferType(value: SqlValue): string {
  if (value === null) return "Nullable(String)";
  if (typeof value === "string") return "String";
  if (typeof value === "boolean") return "UInt8";
  if (typeof value === "bigint") return value < 0n || value <= 9223372036854775807n ? "Int64" : "UInt64";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`refusing non-finite number ${value} in SQL`);
    return Number.isInteger(value) ? "Int64" : "Float64";
  }
  if (value instanceof Date) return "DateTime64(3, 'UTC')";
  if (Array.isArray(value)) {
    const types = new Set(value.map(inferType));
    if (types.size === 0) return "Array(String)";
    if (types.size === 2 && types.has("Int64") && types.has("Float64")) return "Array(Float64)";
    if (types.size > 1) throw new Error(`refusing an array of mixed types (${[...types].join(", ")}) in SQL; use typed()`);
    return `Array(${[...types][0]})`;
  }
  throw new Error(`unsupported SQL value of type ${typeof value}`);
}

function toParamValue(value: SqlValue): ParamValue {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && !Number.isFinite(value)) throw new Error(`refusing non-finite number ${value} in SQL`);
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new Error("refusing invalid Date in SQL");
    return (ms / 1000).toFixed(3);
  }
  if (Array.isArray(value)) return value.map(toParamValue);
  return value as ParamValue;
}

export function sql(strings: TemplateStringsArray, ...holes: Array<SqlValue | Sql | Identifier | Param>): Sql {
  const parts: Part[] = [strings[0] ?? ""];
  holes.forEach((hole, i) => {
    if (hole instanceof Sql) parts.push(...hole.parts);
    else if (hole instanceof Identifier) parts.push(hole.name.split(".").map((p) => `\`${p}\``).join("."));
    else if (hole instanceof Param) parts.push(hole);
    else parts.push(new Param(toParamValue(hole), inferType(hole)));
    parts.push(strings[i + 1] ?? "");
  });
  return new Sql(parts);
}

/** Joins fragments, e.g. optional WHERE conditions, without gluing strings by hand. */
export function join(fragments: readonly Sql[], separator: string): Sql {
  const parts: Part[] = [];
  fragments.forEach((f, i) => {
    if (i > 0) parts.push(separator);
    parts.push(...f.parts);
  });
  return new Sql(parts);
}

/** A list for `IN`, sent as one Array parameter, e.g. `prediction_id IN ${list(ids)}`; never empty. */
export function list(values: readonly SqlValue[], type?: string): Sql {
  if (values.length === 0) throw new Error("refusing an empty IN list");
  return new Sql([type ? typed(values, `Array(${type})`) : new Param(toParamValue(values), inferType(values))]);
}
