/**
 * Fuzzes the statement builder: whatever a value holds (quotes, backslashes, NUL, `\N`, control
 * characters, Unicode), the statement's text is the same as for a harmless value, so nothing a
 * caller passes can reach the SQL text; the value travels unchanged as a parameter.
 * test/sql-escaping.int.test.ts sends the same kind of values through the real ClickHouse.
 */
import { describe, expect, it } from "vitest";
import { list, sql, typed } from "./sql.js";
import { hostileString } from "../../../test/helpers/hostile-strings.js";
import { seededRandom } from "../../../test/helpers/seeded-random.js";

const ITERATIONS = 5_000;

describe("sql builder under fuzzing", () => {
  it("keeps the text independent of hostile values, which travel unchanged as parameters", () => {
    const r = seededRandom(1);
    const shape = (v: string, n: number, vs: string[]) =>
      sql`SELECT ${v} AS a, x-${typed(n, "Int64")} AS b FROM t WHERE s IN ${list(vs)} -- ${v}`;
    const reference = shape("plain", 1, ["a"]).text;
    for (let i = 0; i < ITERATIONS; i++) {
      const value = hostileString(r);
      const n = Math.round((r() - 0.5) * 1e6);
      const q = shape(value, n, [value, hostileString(r)]);
      expect(q.text).toBe(reference);
      expect(q.params.p0).toBe(value);
      expect(q.params.p1).toBe(n);
    }
  });
});
