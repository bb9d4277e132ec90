import { describe, expect, it } from "vitest";
import type { StoredErrorModelHead } from "../common/clickhouse/error-models.repository.js";
import type { PredictionRow } from "../common/domain/event-rows.js";
import type { VersionErrorModel } from "../common/domain/estimation/version-error-model.js";
import { createLogger } from "../common/observability/logger.js";
import { ErrorModelCache } from "./error-models.js";

/** A model of one stump per target: E|e| = 1 below x = 5 and 3 above, E[e²] = 2 and 10. */
const stump = (low: number, high: number) => ({
  base: 0,
  trees: [{ column: [1, -1, -1], threshold: [5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], value: [0, low, high] }],
});
const MODEL: VersionErrorModel = {
  columns: [{ key: "x" }],
  model: { kind: "trees", abs: stump(1, 3), sq: stump(2, 10), kurtosis: 3, rows: 500 },
};

const prediction = (version: string, x: number, value: number | null = 1): PredictionRow => ({
  prediction_id: `${version}-${x}`,
  model_id: "eta",
  model_version: version,
  stage: "production",
  event_time_ms: 0,
  feature_keys: ["x"],
  feature_types: ["number"],
  feature_numbers: [x],
  feature_strings: [null],
  pred_label: null,
  pred_score: null,
  pred_class_keys: [],
  pred_class_scores: [],
  pred_value: value,
  segment_keys: [],
  segment_values: [],
  request_id: "",
  received_at_ms: null,
  schema_id: 1,
  kafka_partition: 0,
  kafka_offset: 0,
  ingested_at: 0,
});

function fakeRepo() {
  const state = { heads: [] as StoredErrorModelHead[], reads: 0, loaded: [] as string[][], fail: false };
  const repo = {
    heads: async () => {
      state.reads++;
      if (state.fail) throw new Error("ClickHouse away");
      return state.heads;
    },
    load: async (keys: readonly { model_id: string; model_version: string }[]) => {
      state.loaded.push(keys.map((k) => k.model_version));
      return state.heads
        .filter((h) => keys.some((k) => k.model_version === h.model_version))
        .map((h) => ({ model_id: h.model_id, model_version: h.model_version, fitted_at_ms: h.fitted_at_ms, model: JSON.stringify(MODEL) }));
    },
  };
  return { repo, state };
}

describe("the processor's error models", () => {
  it("re-reads the stored models at most once per interval, fetching only changed fits", async () => {
    let now = 0;
    const { repo, state } = fakeRepo();
    const cache = new ErrorModelCache(repo, { reloadMs: 60_000, logger: createLogger("test", "silent"), clock: () => now });
    await cache.refresh();
    expect(cache.size).toBe(0);
    state.heads = [{ model_id: "eta", model_version: "v1", fitted_at_ms: 1, rows: 500 }];
    now = 59_999;
    await cache.refresh();
    expect([state.reads, cache.size]).toEqual([1, 0]);
    now = 60_000;
    await Promise.all([cache.refresh(), cache.refresh()]);
    expect([state.reads, cache.size]).toEqual([2, 1]);
    now = 120_000;
    await cache.refresh();
    expect(state.loaded).toEqual([[], ["v1"], []]);
    // A failed read keeps what is held.
    state.fail = true;
    now = 180_000;
    await cache.refresh();
    expect(cache.size).toBe(1);
  });

  it("stamps predictions of versions with a model, and leaves the others and those without a value unset", async () => {
    const { repo, state } = fakeRepo();
    state.heads = [{ model_id: "eta", model_version: "v1", fitted_at_ms: 1, rows: 500 }];
    const cache = new ErrorModelCache(repo, { reloadMs: 60_000, logger: createLogger("test", "silent") });
    await cache.refresh();
    const rows = [prediction("v1", 2), prediction("v1", 8), prediction("v2", 2), prediction("v1", 8, null)];
    cache.stamp(rows);
    expect(rows.map((r) => [r.exp_abs_err, r.exp_sq_err])).toEqual([
      [1, 2],
      [3, 10],
      [undefined, undefined],
      [undefined, undefined],
    ]);
  });
});
