import { describe, expect, it } from "vitest";
import { aucSeries, hasAuc, type AucRow } from "./auc-view.js";

const row = (ws: string, version: string, roc: number | null, pr: number | null) =>
  ({ window_start: ws, model_version: version, stage: version === "v4" ? "canary" : "production", roc_auc: roc, pr_auc: pr }) as AucRow;

describe("ROC and PR AUC per window", () => {
  const rows = [
    row("2026-12-01 10:00:00", "v3", 0.9, 0.41),
    row("2026-12-01 10:00:00", "v4", 0.93, 0.5),
    row("2026-12-01 11:00:00", "v3", 0.88, null),
  ];

  it("gives each version a ROC line and a PR line on the union of windows", () => {
    const s = aucSeries(rows);
    expect(s.xs).toEqual([Date.UTC(2026, 11, 1, 10) / 1000, Date.UTC(2026, 11, 1, 11) / 1000]);
    expect(s.series.map((x) => [x.label, x.kind, x.values])).toEqual([
      ["v3 · production ROC AUC", "roc_auc", [0.9, 0.88]],
      ["v3 · production PR AUC", "pr_auc", [0.41, null]],
      ["v4 · canary ROC AUC", "roc_auc", [0.93, null]],
      ["v4 · canary PR AUC", "pr_auc", [0.5, null]],
    ]);
  });

  it("is there only for a binary model's rows", () => {
    expect(hasAuc(rows)).toBe(true);
    expect(hasAuc([row("2026-12-01 10:00:00", "v3", null, null)])).toBe(false);
  });
});
