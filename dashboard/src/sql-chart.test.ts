import { describe, expect, it } from "vitest";
import { sqlChart } from "./sql-chart.js";

const S1 = Date.UTC(2024, 0, 1) / 1000;

describe("SQL results as charts", () => {
  it("draws each numeric column over the time column", () => {
    const c = sqlChart(
      [
        { name: "window_start", type: "DateTime" },
        { name: "accuracy", type: "Nullable(Float64)" },
        { name: "n", type: "UInt64" },
      ],
      [
        ["2024-01-01 01:00:00", 0.8, "20"],
        ["2024-01-01 00:00:00", null, "10"],
      ],
    );
    expect(c).toEqual({
      xs: [S1, S1 + 3600],
      series: [
        { label: "accuracy", values: [null, 0.8] },
        { label: "n", values: [10, 20] },
      ],
    });
  });

  it("pivots the first numeric column by a string column", () => {
    const c = sqlChart(
      [
        { name: "window_start", type: "DateTime" },
        { name: "model_version", type: "String" },
        { name: "accuracy", type: "Float64" },
      ],
      [
        ["2024-01-01 00:00:00", "v3", 0.9],
        ["2024-01-01 00:00:00", "v4", 0.8],
        ["2024-01-01 01:00:00", "v3", 0.7],
      ],
    );
    expect(c!.series).toEqual([
      { label: "accuracy · v3", values: [0.9, 0.7] },
      { label: "accuracy · v4", values: [0.8, null] },
    ]);
  });

  it("does not chart results without time, without numbers, or with a single instant", () => {
    expect(
      sqlChart(
        [
          { name: "a", type: "String" },
          { name: "b", type: "UInt8" },
        ],
        [
          ["x", 1],
          ["y", 2],
        ],
      ),
    ).toBeNull();
    expect(
      sqlChart(
        [
          { name: "t", type: "DateTime" },
          { name: "s", type: "String" },
        ],
        [
          ["2024-01-01 00:00:00", "x"],
          ["2024-01-01 01:00:00", "y"],
        ],
      ),
    ).toBeNull();
    expect(
      sqlChart(
        [
          { name: "t", type: "Date" },
          { name: "n", type: "UInt8" },
        ],
        [
          ["2024-01-01", 1],
          ["2024-01-01", 2],
        ],
      ),
    ).toBeNull();
  });

  it("stops adding series at the limit", () => {
    const rows = Array.from({ length: 20 }, (_, i) => [i % 2 ? "2024-01-01 00:00:00" : "2024-01-01 01:00:00", `v${i}`, i]);
    expect(
      sqlChart(
        [
          { name: "t", type: "DateTime" },
          { name: "v", type: "String" },
          { name: "x", type: "Int32" },
        ],
        rows,
        3,
      )!.series,
    ).toHaveLength(3);
  });
});
