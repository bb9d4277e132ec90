import { describe, expect, it } from "vitest";
import type { ModelSpec } from "../domain/model-spec.js";
import { ident } from "./sql.js";
import {
  labelCellsSql,
  labelStatsFromCellsSql,
  volumeCellsSql,
  volumeFromCellsSql,
  windowCellSeconds,
  windowsWithCellsSql,
} from "./window-stats.query.js";

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
const source = ident("hindsight.labeled_predictions");
const target = ident("hindsight.window_label_cells");
const HOUR = 3600;
const windows = (n: number) => Array.from({ length: n }, (_, i) => 1_700_000_000 - (1_700_000_000 % HOUR) + i * HOUR);
const values = (params: Record<string, unknown>) => Object.values(params);

describe("window statistics statements", () => {
  for (const [name, build] of [
    [
      "volume",
      (s: ModelSpec, w: number[]) =>
        volumeCellsSql(ident("hindsight.predictions_by_time"), ident("hindsight.window_volume_cells"), s, HOUR, { windows: w }),
    ],
    ["label cells of whole windows", (s: ModelSpec, w: number[]) => labelCellsSql(source, target, s, HOUR, { windows: w })],
    ["label cells", (s: ModelSpec, w: number[]) => labelCellsSql(source, target, s, HOUR, { cells: w })],
  ] as const) {
    describe(name, () => {
      it("has the same text for one window and for twenty thousand: the windows are one Array parameter", () => {
        const one = build(spec(), windows(1));
        const many = build(spec(), windows(20_000));
        expect(many.text).toBe(one.text);
        expect(values(many.params)).toContainEqual(windows(20_000));
      });

      it("sends the model id, the positive class, the threshold and the slice keys as parameters, never as text", () => {
        const plain = build(spec(), windows(3));
        const hostile = build(
          spec({ modelId: HOSTILE, positiveClass: HOSTILE, threshold: 0.123456789, sliceKeys: [HOSTILE, "b"] }),
          windows(3),
        );
        expect(hostile.text).toBe(plain.text);
        expect(hostile.text).not.toContain("fr'aud");
        expect(hostile.text).not.toContain("0.123456789");
        expect(values(hostile.params)).toContain(HOSTILE);
        expect(values(hostile.params)).toContainEqual([HOSTILE, "b"]);
      });

      it("keeps every slice when none are declared, and filters to the declared keys otherwise", () => {
        expect(build(spec({ sliceKeys: [] }), windows(1)).text).not.toContain("has(");
        expect(build(spec(), windows(1)).text).toMatch(/slice\.1 = '' OR has\(\{p\d+:Array\(String\)\}, slice\.1\)/);
      });

      it("adds the declared intersections of two keys as one Array parameter, only when some are declared", () => {
        const plain = build(spec({ sliceKeys: ["country", "device"] }), windows(1));
        const crossed = build(spec({ sliceKeys: ["country", "country × device", "device × os"] }), windows(1));
        expect(plain.text).not.toContain("arrayFilter");
        expect(crossed.text).toContain("arrayFilter");
        expect(values(crossed.params)).toContainEqual([
          ["country", "device"],
          ["device", "os"],
        ]);
        const more = build(spec({ sliceKeys: ["a × b", "c × d", "e × f", "g × h"] }), windows(1));
        expect(more.text).toBe(crossed.text);
      });
    });
  }

  it("keeps a score histogram of every scored prediction in the volume of binary models only (migration 018)", () => {
    const volume = (task: ModelSpec["task"]) =>
      volumeCellsSql(ident("hindsight.predictions_by_time"), ident("hindsight.window_volume_cells"), spec({ task }), HOUR, {
        windows: windows(2),
      }).text;
    expect(volume("binary")).toContain("[toUInt32(floor(ifNull(pred_score, 0) * 10000))]");
    expect(volume("binary")).toMatch(/score_bins, score_counts, exp_n/);
    for (const task of ["multiclass", "regression"] as const) {
      expect(volume(task)).not.toContain("pred_score");
      expect(volume(task)).toContain("emptyArrayUInt32() AS sb");
    }
  });

  it("sums the stamped expectations of every prediction with the volume, of the labelled regression rows with the labels (migration 020)", () => {
    const volume = volumeCellsSql(
      ident("hindsight.predictions_by_time"),
      ident("hindsight.window_volume_cells"),
      spec({ task: "regression" }),
      HOUR,
      { windows: windows(2) },
    );
    const labels = labelCellsSql(source, target, spec({ task: "regression" }), HOUR, { windows: windows(2) });
    const sums = "sum(has_exp), sum(x_abs), sum(x_sq), sum(x_sq - x_abs * x_abs), sum(x_sq * x_sq)";
    expect(volume.text).toContain(sums);
    expect(volume.text).toContain("toUInt8((1) AND exp_abs_err IS NOT NULL AND exp_sq_err IS NOT NULL) AS has_exp");
    expect(labels.text).toContain(sums);
    expect(labels.text).toContain("toUInt8((is_reg) AND exp_abs_err IS NOT NULL AND exp_sq_err IS NOT NULL) AS has_exp");
  });

  it("writes the task's own terms: a regression statement shifts targets by the windows' smallest value", () => {
    const regression = labelCellsSql(source, target, spec({ task: "regression" }), HOUR, { windows: windows(2) });
    const binary = labelCellsSql(source, target, spec(), HOUR, { windows: windows(2) });
    expect(regression.text).toContain("varPopStableIf(yv - ifNull((SELECT min(value)");
    expect(binary.text).toContain("varPopStableIf(yv - 0");
    expect(regression.text).toContain("AS abs_err");
    expect(labelCellsSql(source, target, spec({ task: "multiclass" }), HOUR, { windows: windows(2) }).text).toContain("cityHash64(truth)");
  });

  it("cuts a base window into cells of a divisor of it, at most a thirtieth of it", () => {
    expect([300, 60, 3600, 86_400, 30, 7, 1].map(windowCellSeconds)).toEqual([10, 2, 120, 2880, 1, 1, 1]);
    for (const base of [300, 600, 900, 1800, 3600, 7200, 86_400, 45, 301]) {
      const cell = windowCellSeconds(base);
      expect(base % cell).toBe(0);
      expect(base / cell).toBeGreaterThanOrEqual(Math.min(30, base));
    }
  });

  it("groups label cells by cell, and reads whole windows or only the chosen cells", () => {
    const whole = labelCellsSql(source, target, spec(), 300, { windows: [600, 900] });
    const cells = labelCellsSql(source, target, spec(), 300, { cells: [610, 620] });
    expect(whole.text).toContain("GROUP BY model_id, model_version, stage, ws, cs, sk, sv");
    expect(values(whole.params)).toContainEqual([600, 900]);
    expect(values(cells.params)).toContainEqual([610, 620]);
    expect(values(cells.params)).toContain(10);
  });

  it("merges cells into windows with a fixed text: sums, histograms by key, the largest delay and Chan's M2", () => {
    const one = labelStatsFromCellsSql(target, ident("hindsight.window_label_stats"), HOSTILE, windows(1));
    const many = labelStatsFromCellsSql(target, ident("hindsight.window_label_stats"), "fraud", windows(20_000));
    expect(many.text).toBe(one.text);
    expect(one.text).not.toContain("fr'aud");
    expect(values(one.params)).toContain(HOSTILE);
    expect(one.text).toContain(
      "sum(y_m2) + arraySum((cn, cy) -> if(cn = 0, 0, cn * pow(cy / cn - ys / n, 2)), groupArray(reg_n), groupArray(y_sum))",
    );
    expect(one.text).toContain("max(delay_max_ms)");
    const volume = volumeFromCellsSql(ident("hindsight.window_volume_cells"), ident("hindsight.window_volume"), "fraud", windows(20_000));
    expect(volume.text).toBe(
      volumeFromCellsSql(ident("hindsight.window_volume_cells"), ident("hindsight.window_volume"), HOSTILE, windows(1)).text,
    );
    expect(volume.text).toContain("sumMap(score_bins, score_counts)");
    const found = windowsWithCellsSql(target, "fraud", windows(20_000));
    expect(found.text).toBe(windowsWithCellsSql(target, HOSTILE, windows(1)).text);
  });
});
