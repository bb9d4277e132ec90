import { describe, expect, it } from "vitest";
import { seededRandom } from "../../test/helpers/seeded-random.js";
import type { ErrorModelsRepository, StoredErrorModelHead } from "../common/clickhouse/error-models.repository.js";
import { parseVersionErrorModel, type SampleRow } from "../common/domain/estimation/version-error-model.js";
import type { ModelSpec } from "../common/domain/model-spec.js";
import { createLogger } from "../common/observability/logger.js";
import { createErrorModelFitter, fitDue, runYielding } from "./error-model-fitter.js";

const HOUR = 3_600_000;
const o = { minRows: 500, maxRows: 20_000, refitMs: HOUR };

describe("when a version's error model is due", () => {
  it("needs the minimum of labelled rows, then fits once, again after the refit period or when its rows doubled", () => {
    expect(fitDue(undefined, 499, 0, o)).toBe(false);
    expect(fitDue(undefined, 500, 0, o)).toBe(true);
    const head = { fitted_at_ms: 10 * HOUR, rows: 600 };
    expect(fitDue(head, 1_199, 10.5 * HOUR, o)).toBe(false);
    expect(fitDue(head, 1_200, 10.5 * HOUR, o)).toBe(true);
    expect(fitDue(head, 600, 11 * HOUR, o)).toBe(true);
    // A fit on the whole sample waits for the period, however many rows arrive.
    expect(fitDue({ fitted_at_ms: 10 * HOUR, rows: 20_000 }, 90_000, 10.5 * HOUR, o)).toBe(false);
  });
});

describe("a stepwise computation run with pauses", () => {
  it("pauses once a slice of time has passed, and returns the result", async () => {
    let t = 0;
    function* steps(): Generator<void, string> {
      for (let i = 0; i < 10; i++) {
        t += 7;
        yield;
      }
      return "done";
    }
    let immediates = 0;
    const counting = new Promise<void>((resolve) => {
      const tick = () => {
        immediates++;
        if (immediates < 100) setImmediate(tick);
        else resolve();
      };
      setImmediate(tick);
    });
    expect(await runYielding(steps(), 20, () => t)).toBe("done");
    // 70 ms of steps in slices of ≥ 20 ms: three pauses, in which other callbacks ran.
    expect(immediates).toBeGreaterThanOrEqual(3);
    await counting;
    // Stopping: abandoned at the first pause.
    expect(
      await runYielding(
        steps(),
        20,
        () => t,
        () => true,
      ),
    ).toBeUndefined();
  });
});

describe("the fitter", () => {
  const r = seededRandom(3);
  const sample = (n: number): SampleRow[] =>
    Array.from({ length: n }, () => {
      const x = r() * 10;
      return {
        feature_keys: ["x"],
        feature_types: ["number"],
        feature_numbers: [x],
        feature_strings: [null],
        pred_value: x,
        value: x + r() - 0.5,
      };
    });
  const specs = async () =>
    new Map<string, ModelSpec>([
      ["eta", { modelId: "eta", task: "regression", positiveClass: "", threshold: 0.5, sliceKeys: [], declared: true }],
      ["risk", { modelId: "risk", task: "binary", positiveClass: "1", threshold: 0.5, sliceKeys: [], declared: true }],
    ]);

  function fakeRepo(heads: StoredErrorModelHead[], counts: { model_id: string; model_version: string; labelled: number }[]) {
    const saved: { modelId: string; version: string; at: number; rows: number; json: string }[] = [];
    const asked: string[][] = [];
    const repo = {
      heads: async () => heads,
      labelledCounts: async (models: readonly string[]) => {
        asked.push([...models]);
        return counts;
      },
      sample: async (_m: string, _v: string, _from: number, limit: number) => sample(Math.min(limit, 600)),
      save: async (modelId: string, version: string, at: number, rows: number, json: string) => {
        saved.push({ modelId, version, at, rows, json });
      },
    } as unknown as ErrorModelsRepository;
    return { repo, saved, asked };
  }

  it("fits one version per pass, never-fitted first, on the regression models only, and stores it as JSON", async () => {
    const { repo, saved, asked } = fakeRepo(
      [{ model_id: "eta", model_version: "v1", fitted_at_ms: 0, rows: 600 }],
      [
        { model_id: "eta", model_version: "v1", labelled: 5_000 },
        { model_id: "eta", model_version: "v2", labelled: 700 },
        { model_id: "eta", model_version: "v3", labelled: 10 },
      ],
    );
    const fitter = createErrorModelFitter(
      { repo, specs },
      { ...o, horizonMs: 30 * 24 * HOUR, logger: createLogger("test", "silent"), clock: () => 2 * HOUR },
    );
    expect(await fitter.fitDue()).toEqual({ model_id: "eta", model_version: "v2", rows: 600 });
    expect(asked).toEqual([["eta"]]);
    expect(saved.map((s) => [s.modelId, s.version, s.at, s.rows])).toEqual([["eta", "v2", 2 * HOUR, 600]]);
    expect(parseVersionErrorModel(saved[0]!.json).columns).toEqual([{ key: "x" }]);
    // The next pass takes v1 (its fit is two hours old); v3 has too few rows.
    expect(await fitter.fitDue()).toEqual({ model_id: "eta", model_version: "v1", rows: 600 });
  });
});
