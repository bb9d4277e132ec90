/**
 * The first, friendly check of an analyst's SQL before it reaches ClickHouse: one SELECT (or
 * WITH … SELECT), no FORMAT / SETTINGS / INTO OUTFILE, no system tables. It exists to give a clear
 * 400; the security boundary is the ClickHouse user (readonly=1, one database, limits pinned) and
 * the subquery the statement is wrapped in, which makes any clause that escaped this check a
 * syntax error.
 */

export type GuardCode =
  | "empty_query"
  | "not_a_select"
  | "multiple_statements"
  | "forbidden_clause"
  | "forbidden_table"
  | "forbidden_function"
  | "forbidden_identifier"
  | "sql_error";

/** Databases that describe the server rather than hold Hindsight's data. */
const SYSTEM_DATABASES = new Set(["system", "information_schema", "INFORMATION_SCHEMA"]);

export type GuardResult = { ok: true; query: string } | { ok: false; code: GuardCode; message: string };

type Token = { kind: "word" | "quoted" | "string" | "number" | "punct"; text: string; value: string; end: number };

/** Functions that take a database or table name as a string, reaching past the FROM clause. */
const TABLE_NAME_FUNCTIONS = new Set(["hascolumnintable", "joinget"]);

const BACKSLASH_ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0", b: "\b", f: "\f", a: "\x07", v: "\v", e: "\x1b" };

class LexError extends Error {}

/** Reads a quoted token starting at `start`; ClickHouse allows backslash escapes and a doubled quote. */
function readQuoted(text: string, start: number): { end: number; value: string } {
  const quote = text[start]!;
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\\") {
      const next = text[i + 1];
      if (next === undefined) break;
      const hex = next === "x" ? /^[0-9A-Fa-f]{2}/.exec(text.slice(i + 2, i + 4)) : null;
      if (hex) {
        value += String.fromCharCode(parseInt(hex[0], 16));
        i += 3;
      } else {
        value += BACKSLASH_ESCAPES[next] ?? next;
        i++;
      }
    } else if (c === quote) {
      if (text[i + 1] === quote) {
        value += quote;
        i++;
      } else return { end: i + 1, value };
    } else value += c;
  }
  throw new LexError(`unterminated ${quote === "'" ? "string" : "quoted identifier"} starting at character ${start + 1}`);
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) i++;
    else if (c === "-" && text[i + 1] === "-") {
      const nl = text.indexOf("\n", i);
      i = nl === -1 ? text.length : nl + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      if (close === -1) throw new LexError(`unterminated /* comment starting at character ${i + 1}`);
      i = close + 2;
    } else if (c === "'" || c === "`" || c === '"') {
      const { end, value } = readQuoted(text, i);
      tokens.push({ kind: c === "'" ? "string" : "quoted", text: text.slice(i, end), value, end });
      i = end;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(i, i + 256))!;
      tokens.push({ kind: "word", text: m[0], value: m[0], end: i + m[0].length });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^(?:0[xX][0-9A-Fa-f]+|[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)/.exec(text.slice(i, i + 400))!;
      tokens.push({ kind: "number", text: m[0], value: m[0], end: i + m[0].length });
      i += m[0].length;
    } else {
      tokens.push({ kind: "punct", text: c, value: c, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

const fail = (code: GuardCode, message: string): GuardResult => ({ ok: false, code, message });
const isWord = (t: Token | undefined, word: string) => t?.kind === "word" && t.value.toUpperCase() === word;
const isName = (t: Token | undefined) => t?.kind === "word" || t?.kind === "quoted";

export function checkAnalystSql(input: string): GuardResult {
  let tokens: Token[];
  try {
    tokens = tokenize(input);
  } catch (err) {
    if (err instanceof LexError) return fail("sql_error", `syntax error: ${err.message}`);
    throw err;
  }
  // One trailing semicolon (or several) is how people end a statement; anything after one is a second statement.
  let last = tokens.length;
  while (last > 0 && tokens[last - 1]!.text === ";") last--;
  if (last === 0) return fail("empty_query", "the query is empty: send one SELECT statement");
  const body = tokens.slice(0, last);
  if (body.some((t) => t.kind === "punct" && t.text === ";"))
    return fail("multiple_statements", "send one statement at a time: only a single SELECT is allowed, and ';' may only end it");
  const first = body[0]!;
  if (!isWord(first, "SELECT") && !isWord(first, "WITH")) {
    return fail(
      "not_a_select",
      `only a single SELECT (or WITH … SELECT) is allowed here, not ${first.kind === "word" ? first.value.toUpperCase() : JSON.stringify(first.text)}; this endpoint is read-only`,
    );
  }
  let depth = 0;
  for (let i = 0; i < body.length; i++) {
    const t = body[i]!;
    const next = body[i + 1];
    if (t.text === "(" && t.kind === "punct") depth++;
    if (t.text === ")" && t.kind === "punct" && --depth < 0)
      return fail("sql_error", `syntax error: unbalanced ')' at '${t.text}' (token ${i + 1})`);
    if (isWord(t, "FORMAT") && depth === 0 && isName(next) && i + 2 === body.length) {
      return fail("forbidden_clause", "remove the FORMAT clause: answers are always JSON ({columns, rows})");
    }
    if (isWord(t, "SETTINGS") && isName(next) && body[i + 2]?.text === "=") {
      return fail("forbidden_clause", "remove the SETTINGS clause: the analysts' limits are fixed and cannot be changed by a query");
    }
    if (isWord(t, "INTO") && isWord(next, "OUTFILE"))
      return fail("forbidden_clause", "INTO OUTFILE is not allowed: the answer comes back over HTTP");
    // The server's escape rules for quoted names differ between releases (`sys\Ntem` reads as
    // `system` on some); a name that needs a backslash is never one of ours, so none is guessed at.
    if (t.kind === "quoted" && t.text.includes("\\")) {
      return fail(
        "forbidden_identifier",
        `backslash escapes are not allowed in quoted names (${t.text.slice(0, 60)}); write the name without them`,
      );
    }
    if (isName(t) && SYSTEM_DATABASES.has(t.value) && next?.text === ".")
      return fail("forbidden_table", "system tables are not available to analysts; query the documented views of this database");
    if (t.kind === "word" && TABLE_NAME_FUNCTIONS.has(t.value.toLowerCase()) && next?.text === "(") {
      return fail("forbidden_function", `${t.value}() is not available to analysts: query tables in the FROM clause`);
    }
  }
  if (depth !== 0) return fail("sql_error", "syntax error: unbalanced '(' (a parenthesis is never closed)");
  // The statement as written, without the trailing semicolons and anything after them.
  return { ok: true, query: input.slice(0, body.at(-1)!.end) };
}
