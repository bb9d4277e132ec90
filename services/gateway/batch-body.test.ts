import { describe, expect, it } from "vitest";
import { PredictionHttp } from "../../schemas/events.js";
import { batchItems, exceedsDepth, MAX_JSON_DEPTH, parseNdjson, UnparsableLine } from "./batch-body.js";
import { validateBatch } from "./routes/v1/ingest.js";

describe("parseNdjson", () => {
  it("parses one value per line and skips blank lines", () => {
    expect(parseNdjson('{"a":1}\n\n   \n{"b":2}\n[3]\n')).toEqual([{ a: 1 }, { b: 2 }, [3]]);
    expect(parseNdjson("")).toEqual([]);
  });

  it("accepts CRLF line endings", () => {
    expect(parseNdjson('{"a":1}\r\n{"b":2}\r\n\r\n')).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("turns a broken line into an UnparsableLine at its item index, parsing the others", () => {
    const items = parseNdjson('{"a":1}\n\n{oops\n{"c":3}');
    expect(items).toHaveLength(3);
    expect(items[0]).toEqual({ a: 1 });
    // Index 1, not line 2: blank lines are not items.
    expect(items[1]).toBeInstanceOf(UnparsableLine);
    expect((items[1] as UnparsableLine).message).toMatch(/^invalid JSON: /);
    expect(items[2]).toEqual({ c: 3 });
  });
});

describe("batchItems", () => {
  it("takes an array as the items", () => {
    expect(batchItems([{ a: 1 }, { b: 2 }])).toEqual({ ok: true, items: [{ a: 1 }, { b: 2 }] });
    expect(batchItems([])).toEqual({ ok: true, items: [] });
  });

  it("wraps a single object", () => {
    expect(batchItems({ a: 1 })).toEqual({ ok: true, items: [{ a: 1 }] });
  });

  it.each([
    ["a string", "x"],
    ["a number", 42],
    ["null", null],
    ["a boolean", true],
    ["nothing", undefined],
  ])("refuses %s", (_n, body) => {
    const result = batchItems(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/JSON array/);
  });
});

describe("validateBatch", () => {
  const good = (id: string) => ({
    prediction_id: id,
    model_id: "m",
    model_version: "1",
    timestamp: 1763892000000,
    prediction: { score: 0.5 },
  });

  it("keeps valid items in order and reports each rejection by index and dotted path", () => {
    const items = [
      good("a"),
      { ...good("x"), prediction: { score: 1.5 } },
      good("b"),
      new UnparsableLine("invalid JSON: Unexpected token"),
      { ...good("y"), features: { geo: { lat: 1 } } },
      good("c"),
    ];
    const { valid, rejected } = validateBatch(items, PredictionHttp);
    expect(valid.map((v) => v.prediction_id)).toEqual(["a", "b", "c"]);
    expect(valid[0]).toMatchObject({ stage: "production", features: {}, received_at: null });
    expect(rejected.map(({ index, path }) => ({ index, path }))).toEqual([
      { index: 1, path: "prediction.score" },
      { index: 3, path: "" },
      { index: 4, path: "features.geo" },
    ]);
    expect(rejected[0]!.message).toMatch(/probability/);
    expect(rejected[1]!.message).toBe("invalid JSON: Unexpected token");
  });

  it("reports at most 5 issues per item, the first ones in field order", () => {
    const awful = { prediction_id: 1, model_id: 2, model_version: 3, stage: 4, timestamp: {}, features: "x", prediction: "y", segments: 5 };
    const { valid, rejected } = validateBatch([awful, { ...good("z"), model_id: "" }], PredictionHttp);
    expect(valid).toEqual([]);
    expect(rejected.filter((r) => r.index === 0).map((r) => r.path)).toEqual([
      "prediction_id",
      "model_id",
      "model_version",
      "stage",
      "timestamp",
    ]);
    expect(rejected.filter((r) => r.index === 1).map((r) => r.path)).toEqual(["model_id"]);
  });
});

describe("prototype poisoning in NDJSON", () => {
  it("refuses a line with a __proto__ key, like fastify does for JSON bodies", () => {
    const items = parseNdjson('{"features": {"__proto__": {"x": 1}, "a": 2}}\n{"ok": 1}');
    expect(items[0]).toBeInstanceOf(UnparsableLine);
    expect((items[0] as UnparsableLine).message).toMatch(/forbidden prototype property/);
    expect(items[1]).toEqual({ ok: 1 });
  });
});

describe("nesting depth", () => {
  const nested = (depth: number) => JSON.parse("[".repeat(depth) + "]".repeat(depth)) as unknown;

  it("counts arrays and objects as levels, scalars as none", () => {
    expect(exceedsDepth(nested(3), 3)).toBe(false);
    expect(exceedsDepth(nested(4), 3)).toBe(true);
    expect(exceedsDepth({ a: { b: [1, "x", null] } }, 3)).toBe(false);
    expect(exceedsDepth({ a: { b: [{}] } }, 3)).toBe(true);
    expect(exceedsDepth(7, 0)).toBe(false);
  });

  it("walks a million levels without overflowing the stack", () => {
    expect(exceedsDepth(nested(1_000_000), MAX_JSON_DEPTH)).toBe(true);
  });

  it("refuses a body nested deeper than the limit, naming it, and takes a real event", () => {
    expect(batchItems(nested(MAX_JSON_DEPTH + 1))).toEqual({
      ok: false,
      message: `body is nested deeper than ${MAX_JSON_DEPTH} levels; events need at most 4`,
    });
    const event = {
      prediction_id: "p",
      model_id: "m",
      model_version: "v",
      timestamp: 1e12 * 1.7,
      prediction: { scores: { a: 0.5, b: 0.5 } },
    };
    expect(batchItems([event])).toEqual({ ok: true, items: [event] });
  });
});
