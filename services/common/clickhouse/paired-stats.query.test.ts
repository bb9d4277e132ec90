import { describe, expect, it } from "vitest";
import type { ModelSpec } from "../domain/model-spec.js";
import { pairedStatsSql } from "./paired-stats.query.js";
import { pairedSeriesSql, pairedTotalsSql, pairedWindowsSql } from "./paired.repository.js";
import { ident } from "./sql.js";

const HOSTILE = "fr'aud\\\u0000\\N`); DROP TABLE x; --é";
const spec = (over: Partial<ModelSpec> = {}): ModelSpec => ({
  modelId: "fraud",
  task: "binary",
  positiveClass: "1",
  threshold: 0.5,
  sliceKeys: ["country"],
  declared: true,
  ...over,
});
const sources = { predictions: ident("hindsight.request_predictions_by_time"), labeled: ident("hindsight.labeled_predictions") };
const target = ident("hindsight.window_paired_stats");
const HOUR = 3600;
const windows = (n: number) => Array.from({ length: n }, (_, i) => 1_700_000_000 - (1_700_000_000 % HOUR) + i * HOUR);

describe("the paired statistics statement", () => {
  it("has the same text for one window and for twenty thousand, and for any model, class or threshold", () => {
    const one = pairedStatsSql(sources, target, spec(), HOUR, windows(1), 1);
    const many = pairedStatsSql(sources, target, spec(), HOUR, windows(20_000), 1);
    expect(many.text).toBe(one.text);
    expect(Object.values(many.params)).toContainEqual(windows(20_000));
    const hostile = pairedStatsSql(
      sources,
      target,
      spec({ modelId: HOSTILE, positiveClass: HOSTILE, threshold: 0.123456789 }),
      HOUR,
      windows(3),
      1,
    );
    expect(hostile.text).toBe(one.text);
    expect(hostile.text).not.toContain("fr'aud");
    expect(Object.values(hostile.params)).toContain(HOSTILE);
  });

  it("reads the windows' event time plus the pair slack on either side (five minutes of an hour)", () => {
    const [w] = windows(1);
    const params = Object.values(pairedStatsSql(sources, target, spec(), HOUR, [w!], 1).params);
    expect(params).toContain(w! - 300);
    expect(params).toContain(w! + HOUR + 300);
  });

  it("reads each task's predicted class and error", () => {
    expect(pairedStatsSql(sources, target, spec(), HOUR, windows(1), 1).text).toContain("pred_score");
    expect(pairedStatsSql(sources, target, spec({ task: "multiclass" }), HOUR, windows(1), 1).text).toContain("pred_class_keys[indexOf");
    expect(pairedStatsSql(sources, target, spec({ task: "regression" }), HOUR, windows(1), 1).text).toContain(
      "ifNull(value, 0) - ifNull(pred_value, 0)",
    );
  });
});

describe("the paired totals query", () => {
  it("keeps its text whatever the model, slice or range, and leaves out the bounds not given", () => {
    const table = ident("hindsight.window_paired_stats");
    const q = { modelId: "fraud", sliceKey: "", sliceValue: "" };
    const bounded = pairedTotalsSql(table, { ...q, fromS: 1, toS: 2 });
    expect(pairedTotalsSql(table, { modelId: HOSTILE, sliceKey: HOSTILE, sliceValue: "x", fromS: 5, toS: 9 }).text).toBe(bounded.text);
    expect(pairedTotalsSql(table, q).text).not.toContain("window_start >=");
  });
});

describe("the paired windows query", () => {
  const table = ident("hindsight.window_paired_stats");
  const q = { modelId: "fraud", sliceKey: "", sliceValue: "", versionA: "v1", stageA: "production", versionB: "v2", stageB: "shadow" };
  it("keeps its text whatever the pair, window size, limit or range, every value a parameter", () => {
    const short = pairedWindowsSql(table, { ...q, fromS: 1, toS: 2, windowSeconds: 300, limit: 10 });
    const long = pairedWindowsSql(table, {
      modelId: HOSTILE,
      sliceKey: HOSTILE,
      sliceValue: HOSTILE,
      versionA: HOSTILE,
      stageA: HOSTILE,
      versionB: "v9",
      stageB: "canary",
      fromS: 0,
      toS: 4_000_000_000,
      windowSeconds: 31 * 86_400,
      limit: 10_000,
    });
    expect(long.text).toBe(short.text);
    expect(long.text).not.toContain("fr'aud");
    expect(short.text).toMatch(/LIMIT \{p\d+:UInt32\}$/);
    expect(short.text).toMatch(/version_a = \{p\d+:String\} AND stage_a = \{p\d+:String\} AND version_b = \{p\d+:String\} AND stage_b/);
    expect(pairedWindowsSql(table, { ...q, windowSeconds: 300, limit: 10 }).text).not.toContain("window_start >=");
  });

  it("asks for one window more than the limit, to tell a truncated answer", () => {
    const s = pairedWindowsSql(table, { ...q, windowSeconds: 3600, limit: 10_000 });
    expect(Object.values(s.params)).toContain(10_001);
  });
});

describe("the paired alert series", () => {
  const table = ident("hindsight.window_paired_stats");
  it("reads only pairs with exactly one production variant, as the candidate's rows, filtering the candidate when targeted", () => {
    const open = pairedSeriesSql(table, { windowSeconds: 3600, fromS: 0, slices: { kind: "population" } });
    expect(open.text).toContain("(stage_a = 'production') != (stage_b = 'production')");
    expect(open.text).not.toContain("model_version = {");
    const targeted = pairedSeriesSql(table, {
      modelId: HOSTILE,
      version: HOSTILE,
      stage: "shadow",
      windowSeconds: 3600,
      fromS: 0,
      slices: { kind: "slice", key: HOSTILE, value: "x" },
    });
    expect(targeted.text).toMatch(/WHERE model_version = \{p\d+:String\} AND stage = \{p\d+:String\}/);
    expect(targeted.text).not.toContain("fr'aud");
  });
});
