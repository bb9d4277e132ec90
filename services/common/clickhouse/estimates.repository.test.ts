import type { z } from "zod";
import { describe, expect, it } from "vitest";
import type { ClickHouse } from "./client.js";
import { estimatesRepository } from "./estimates.repository.js";
import type { Sql } from "./sql.js";

const HOUR_S = 3600;
const T0_S = 1_795_428_000;

/** A ClickHouse that answers the three reads the repository makes, from fixed rows, and counts the calibration reads. */
function fakeClickHouse(versions: string[]) {
  const calls = { calibration: 0, versionsAsked: [] as string[][] };
  const ch: ClickHouse = {
    database: "hindsight",
    command: async () => {},
    insertJsonEachRow: async () => {},
    insertRowBinary: async () => {},
    ping: async () => true,
    close: async () => {},
    async rows<S extends z.ZodType>(shape: S, query: Sql): Promise<z.output<S>[]> {
      const text = query.text;
      let raw: unknown[];
      if (text.includes("argMax(task")) {
        raw = [
          { model_id: "fraud", task: "binary", positive_class: "1", threshold: 0.5, slice_keys: [], declared: 1 },
          { model_id: "eta", task: "regression", positive_class: "", threshold: 0.5, slice_keys: [], declared: 1 },
        ];
      } else if (text.includes("labelled_rows")) {
        calls.calibration++;
        const asked = Object.values(query.params).find(Array.isArray) as string[];
        calls.versionsAsked.push(asked);
        // Every labelled row of history at score 0.25 is positive: calibration maps everything to 1.
        raw = asked.map((v) => ({ model_version: v, labelled_rows: "4", bins: [2500], positives: ["4"], negatives: ["0"] }));
      } else {
        raw = versions.map((v, i) => ({
          model_id: "fraud",
          model_version: v,
          stage: "production",
          window_start_s: T0_S + i * HOUR_S,
          slice_key: "",
          slice_value: "",
          predictions: "2",
          score_bins: [2500, 7500],
          score_counts: ["1", "1"],
          labeled: "0",
          labeled_bins: [],
          labeled_positives: [],
          labeled_negatives: [],
        }));
      }
      return raw.map((r) => shape.parse(r));
    },
  };
  return { ch, calls };
}

describe("estimatesRepository", () => {
  const query = { windowSeconds: HOUR_S, slices: { kind: "population" as const }, limit: 100 };

  it("estimates binary models' windows under their version's calibration, leaving other tasks out", async () => {
    const { ch } = fakeClickHouse(["v1"]);
    const repo = estimatesRepository(ch, { horizonMs: 30 * 86_400_000, clock: () => T0_S * 1000 });
    const { rows, truncated } = await repo.windows(query);
    expect(truncated).toBe(false);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model_id: "fraud", model_version: "v1", calibration_rows: 4, threshold: 0.5 });
    // Calibrated to 1: the row at 0.25 (predicted negative) is surely wrong, the one at 0.75 surely right.
    expect(rows[0]!.estimate.accuracy).toEqual({ value: 0.5, low: 0.5, high: 0.5 });
    expect(await repo.windows({ ...query, models: ["eta"] })).toMatchObject({ rows: [] });
  });

  it("refits a version's calibration at most once per refresh period, and keeps at most maxCached fits", async () => {
    let now = T0_S * 1000;
    const { ch, calls } = fakeClickHouse(["v1", "v2", "v3"]);
    const repo = estimatesRepository(ch, { horizonMs: 86_400_000, refreshMs: 60_000, maxCached: 2, clock: () => now });
    await repo.windows(query);
    expect(calls.versionsAsked).toEqual([["v1", "v2", "v3"]]);
    // Two of the three fits stay cached (the oldest went); within the minute only the evicted one is read again.
    now += 30_000;
    await repo.windows(query);
    expect(calls.versionsAsked[1]).toEqual(["v1"]);
    now += 60_000;
    await repo.windows(query);
    // A minute on, every fit is due again: one read for all three.
    expect(calls.calibration).toBe(3);
    expect(calls.versionsAsked[2]).toEqual(["v1", "v2", "v3"]);
  });

  it("says when more windows matched than the limit", async () => {
    const { ch } = fakeClickHouse(["v1", "v1", "v1"]);
    const repo = estimatesRepository(ch, { horizonMs: 86_400_000, clock: () => T0_S * 1000 });
    const { rows, truncated } = await repo.windows({ ...query, limit: 2 });
    expect(rows).toHaveLength(2);
    expect(truncated).toBe(true);
  });
});
