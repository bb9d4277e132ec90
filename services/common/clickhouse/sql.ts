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

export class Identifier {
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

/**
 * Epoch seconds as a bound on a DateTime64 column (event times). ClickHouse 26.9's primary-key
 * analysis compares such a key with a DateTime constant at whole seconds: `event_time <
 * toDateTime(t)` skipped a part whose rows all lay in the half second before t, so a batch
 * stamped then was missing from its window (test/event-time-bounds.int.test.ts). A DateTime64
 * constant compares exactly.
 */
export function eventSeconds(seconds: number): Sql {
  return sql`toDateTime64(${seconds}, 3)`;
}

/** The ClickHouse type a plain value is sent as. */
export function inferType(value: SqlValue): string {
  if (value === null) return "Nullable(String)";
  if (typeof value === "string") return "String";
  if (typeof value === "boolean") return "UInt8";
  if (typeof value === "bigint") return integerType(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`refusing non-finite number ${value} in SQL`);
    // Beyond 2^53 a number is a float that happens to be whole (1.7e308 included).
    return Number.isSafeInteger(value) ? integerType(BigInt(value)) : "Float64";
  }
  if (value instanceof Date) return "DateTime64(3, 'UTC')";
  if (Array.isArray(value)) {
    const types = new Set(value.map(inferType));
    if (types.size === 0) return "Array(String)";
    if (types.has("Float64") && [...types].every((t) => /^U?Int|^Float64$/.test(t))) return "Array(Float64)";
    // Integers of several widths: the widest signed or unsigned type that holds them all.
    if ([...types].every((t) => /^U?Int/.test(t))) return `Array(${widestInteger([...types])})`;
    if (types.size > 1) throw new Error(`refusing an array of mixed types (${[...types].join(", ")}) in SQL; use typed()`);
    return `Array(${[...types][0]})`;
  }
  throw new Error(`unsupported SQL value of type ${typeof value}`);
}

/**
 * The narrowest integer type, as ClickHouse types an integer literal: `least(x, {p:UInt8})` works
 * with a Float64 x, where Int64 (which has no common type with Float64) would be refused.
 */
function integerType(n: bigint): string {
  for (const bits of [8, 16, 32, 64]) {
    if (n >= 0n && n < 1n << BigInt(bits)) return `UInt${bits}`;
    if (n < 0n && n >= -(1n << BigInt(bits - 1))) return `Int${bits}`;
  }
  throw new Error(`refusing integer ${n} outside 64 bits in SQL`);
}

function widestInteger(types: string[]): string {
  const bits = Math.max(...types.map((t) => Number(/\d+$/.exec(t)![0])));
  if (types.every((t) => t.startsWith("UInt"))) return `UInt${bits}`;
  // A signed type must also hold the largest unsigned one: UInt32 needs Int64.
  const signedBits = Math.max(...types.map((t) => Number(/\d+$/.exec(t)![0]) * (t.startsWith("UInt") ? 2 : 1)));
  if (signedBits > 64) throw new Error("refusing an array mixing negative integers with integers beyond Int64 in SQL");
  return `Int${signedBits}`;
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
    else if (hole instanceof Identifier)
      parts.push(
        hole.name
          .split(".")
          .map((p) => `\`${p}\``)
          .join("."),
      );
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

/**
 * Parameters travel in the request's URL, and ClickHouse refuses a field over 128 KiB
 * (`http_max_field_value_size`) with "Field value too long", whatever the statement. Percent-encoding
 * can triple a value, so a list's strings are sent in slices of at most this many characters.
 */
export const MAX_LIST_CHARS = 40_000;

/** Consecutive slices of `values`, each of at most `maxCount` values and `maxChars` characters (plus quotes and commas). */
export function listSlices(values: readonly string[], maxCount: number, maxChars = MAX_LIST_CHARS): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let chars = 0;
  for (const v of values) {
    if (current.length > 0 && (current.length >= maxCount || chars + v.length + 3 > maxChars)) {
      out.push(current);
      current = [];
      chars = 0;
    }
    current.push(v);
    chars += v.length + 3;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** A list for `IN`, sent as one Array parameter, e.g. `prediction_id IN ${list(ids)}`; never empty. */
export function list(values: readonly SqlValue[], type?: string): Sql {
  if (values.length === 0) throw new Error("refusing an empty IN list");
  return new Sql([type ? typed(values, `Array(${type})`) : new Param(toParamValue(values), inferType(values))]);
}
