import { describe, expect, it } from "vitest";
import { cellShade, classSeries, confusionGrid, confusionSeries, type ClassesAnswer } from "./classes-view.js";

const counts = (klass: string, tp: number, fp: number, fn: number) => ({
  class: klass,
  tp,
  fp,
  fn,
  support: tp + fn,
  precision: null,
  recall: null,
  f1: null,
});

// Two windows; the first split over two versions. Truth → predicted counts:
//   10:00 v1: a→a 8, a→b 2, b→b 5          10:00 v2: a→a 2, b→a 5
//   11:00 v1: a→a 4, b→b 6
const windows: ClassesAnswer["windows"] = [
  {
    window_start: "2026-12-01T10:00:00.000Z",
    model_version: "v1",
    stage: "production",
    classes: [counts("a", 8, 0, 2), counts("b", 5, 2, 0)],
    confusion: [
      { truth: "a", predicted: "a", count: 8 },
      { truth: "a", predicted: "b", count: 2 },
      { truth: "b", predicted: "b", count: 5 },
    ],
  },
  {
    window_start: "2026-12-01T10:00:00.000Z",
    model_version: "v2",
    stage: "canary",
    classes: [counts("a", 2, 5, 0), counts("b", 0, 0, 5)],
    confusion: [
      { truth: "a", predicted: "a", count: 2 },
      { truth: "b", predicted: "a", count: 5 },
    ],
  },
  {
    window_start: "2026-12-01T11:00:00.000Z",
    model_version: "v1",
    stage: "production",
    classes: [counts("a", 4, 0, 0), counts("b", 6, 0, 0)],
    confusion: [
      { truth: "a", predicted: "a", count: 4 },
      { truth: "b", predicted: "b", count: 6 },
    ],
  },
];
const T10 = Date.UTC(2026, 11, 1, 10) / 1000;

describe("the classes page's shaping", () => {
  it("lays the confusion matrix out as truth rows and predicted columns, with each row's shares", () => {
    const grid = confusionGrid([
      { truth: "b", predicted: "a", count: 5 },
      { truth: "a", predicted: "a", count: 14 },
      { truth: "a", predicted: "b", count: 2 },
      { truth: "c", predicted: "c", count: 0 },
    ]);
    expect(grid.classes).toEqual(["a", "b", "c"]);
    expect(grid.rows[0]).toEqual({ truth: "a", total: 16, counts: [14, 2, 0], shares: [14 / 16, 2 / 16, 0] });
    expect(grid.rows[1]!.shares).toEqual([1, 0, 0]);
    expect(grid.rows[2]!.shares).toEqual([null, null, null]);
    expect(grid.total).toBe(21);
  });

  it("pools each class's counts over versions per window before scoring", () => {
    const recall = classSeries(windows, "recall");
    expect(recall.xs).toEqual([T10, T10 + 3600]);
    // a at 10:00: tp 10, fn 2 → 10/12; b: tp 5, fn 5 → 0.5.
    expect(recall.series).toEqual([
      { label: "a", values: [10 / 12, 1] },
      { label: "b", values: [0.5, 1] },
    ]);
    // a's precision at 10:00: tp 10, fp 5.
    expect(classSeries(windows, "precision").series[0]!.values[0]).toBe(10 / 15);
    // b's F1 at 10:00: 2·5 / (2·5 + 2 + 5).
    expect(classSeries(windows, "f1").series[1]!.values[0]).toBe(10 / 17);
  });

  it("follows the most frequent confusions over time, as shares of their true class", () => {
    const s = confusionSeries(windows);
    expect(s.series.map((x) => x.label)).toEqual(["b → a", "a → b"]);
    // b → a at 10:00: 5 of b's 10; at 11:00 none of b's 6.
    expect(s.series[0]!.values).toEqual([0.5, 0]);
    expect(s.series[1]!.values).toEqual([2 / 12, 0]);
    expect(confusionSeries(windows, 1).series).toHaveLength(1);
  });

  it("shades a cell by its share of the row", () => {
    expect(cellShade(null)).toBe("#ffffff");
    expect(cellShade(0)).toBe("#ffffff");
    expect(cellShade(1)).toBe("rgba(37, 99, 235, 1.00)");
    expect(cellShade(0.5)).toBe("rgba(37, 99, 235, 0.54)");
  });
});
