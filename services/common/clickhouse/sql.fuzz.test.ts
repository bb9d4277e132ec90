/**
 * Fuzzes the escaping module against an independent reading of ClickHouse's lexical rules (the
 * tokenizer the analysts' SQL check uses, written from the server's lexer, not from sql.ts): every
 * value, however hostile, must come out as exactly the tokens of one literal, so nothing a caller
 * passes can close a string, open a comment or add a clause. test/sql-escaping.int.test.ts sends
 * the same kind of values through the real ClickHouse and compares the bytes that come back.
 */
import { describe, expect, it } from "vitest";
import { tokenize } from "./analyst-guard.js";
import { ident, list, literal, sql } from "./sql.js";
import { hostileString as randomString } from "../../../test/helpers/hostile-strings.js";
import { seededRandom as seeded } from "../../../test/helpers/seeded-random.js";


const ITERATIONS = 5_000;

describe("sql escaping under fuzzing", () => {
  it("turns every string into exactly one string literal with the same value", () => {
    const r = seeded(1);
    for (let i = 0; i < ITERATIONS; i++) {
      const value = randomString(r);
      const tokens = tokenize(literal(value));
      expect(tokens, JSON.stringify(value)).toHaveLength(1);
      expect(tokens[0]!.kind).toBe("string");
      expect(tokens[0]!.value).toBe(value);
    }
  });

  it("keeps a hole a single value wherever it sits in a statement", () => {
    const r = seeded(2);
    for (let i = 0; i < ITERATIONS; i++) {
      const s = randomString(r);
      const n = (r() - 0.5) * 10 ** Math.floor(r() * 30);
      const statement = sql`SELECT a-${n}, b = ${s}, c IN ${list([s, n])} FROM t WHERE x = ${[s, null]}`;
      const words = tokenize(statement.text).filter((t) => t.kind === "word").map((t) => t.value);
      // Exactly our keywords and names: nothing from a value became SQL, and no comment hid any of it.
      expect(words, statement.text).toEqual(["SELECT", "a", "b", "c", "IN", "FROM", "t", "WHERE", "x", "NULL"]);
      expect(tokenize(statement.text).filter((t) => t.kind === "string").map((t) => t.value)).toEqual([s, s, s]);
    }
  });

  it("writes numbers that read back as the same number", () => {
    const r = seeded(3);
    for (let i = 0; i < ITERATIONS; i++) {
      const n = (r() < 0.5 ? -1 : 1) * r() * 10 ** Math.floor(r() * 40 - 20);
      const tokens = tokenize(literal(n));
      const sign = tokens[0]!.text === "-" ? -1 : 1;
      expect(sign * Number(tokens.at(-1)!.text)).toBe(n);
      expect(tokens.length).toBeLessThanOrEqual(2);
    }
  });

  it("accepts as an identifier only what matches the whitelist, whatever the input", () => {
    const r = seeded(4);
    for (let i = 0; i < ITERATIONS; i++) {
      const name = r() < 0.3 ? `t_${Math.floor(r() * 1000)}` : randomString(r, 12);
      let accepted = true;
      try {
        ident(name);
      } catch {
        accepted = false;
      }
      expect(accepted, JSON.stringify(name)).toBe(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/.test(name));
    }
  });
});
