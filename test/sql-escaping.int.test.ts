/**
 * The escaping module (services/common/clickhouse/sql.ts) fuzzed against the real ClickHouse: random
 * strings full of quotes, backslashes, NUL, control characters and Unicode, written as literals,
 * must come back byte for byte (compared as the server's hex() of the value with Node's UTF-8 bytes
 * of the input), and numbers must come back equal, also right after a minus sign.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createClickHouse, type ClickHouse } from "../services/common/clickhouse/client.js";
import { sql } from "../services/common/clickhouse/sql.js";
import { hostileString } from "./helpers/hostile-strings.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const randomString = (r: () => number) => hostileString(r, 30);

const ROUNDS = 40;
const PER_ROUND = 50;

describe("sql.ts literals round-tripped through ClickHouse", () => {
  let ch: ClickHouse;
  beforeAll(() => {
    ch = createClickHouse({ url: inject("stack").clickhouseUrl, user: "default", password: "", database: "default" });
  });
  afterAll(async () => ch?.close());

  it(`returns ${ROUNDS * PER_ROUND} random strings byte-equal`, async () => {
    const r = seededRandom(11);
    for (let round = 0; round < ROUNDS; round++) {
      const values = Array.from({ length: PER_ROUND }, () => randomString(r));
      const [row] = await ch.rows(
        anyRow<{ hex: string[]; value: string[] }>(),
        sql`SELECT arrayMap(x -> hex(x), ${values}) AS hex, ${values} AS value`,
      );
      const expected = values.map((v) => Buffer.from(v, "utf8").toString("hex").toUpperCase());
      for (let i = 0; i < PER_ROUND; i++) {
        expect(row!.hex[i], JSON.stringify(values[i])).toBe(expected[i]);
        expect(row!.value[i]).toBe(values[i]);
      }
    }
  });

  it("returns numbers equal, negative ones too, even right after a minus sign", async () => {
    const r = seededRandom(12);
    // `|| 0`: -0 and 0 are one number to SQL.
    const numbers = Array.from({ length: 500 }, () => (r() < 0.5 ? -1 : 1) * Math.round(r() * 10 ** Math.floor(r() * 15)) || 0);
    for (const n of numbers) {
      const [row] = await ch.rows(
        anyRow<{ v: number; back: number; marker: number }>(),
        sql`SELECT toFloat64(${n}) AS v, toFloat64(0-${n}) AS back, 7 AS marker`,
      );
      expect(row, String(n)).toEqual({ v: n, back: -n || 0, marker: 7 });
    }
  });
});
