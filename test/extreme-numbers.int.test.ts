/**
 * Numbers at the edge of what the contract takes, through the real pipeline: regression values and
 * numeric features of ±1e100 are stored and summed into finite metrics that every read serves;
 * beyond that, an item is refused with its field and reason. Before the bound, a value of 1.7e308
 * summed to infinity, which ClickHouse returns as null, and `/slices` answered 500 for that model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postAll, postJson, requestJson, startPipeline, stopPipeline, waitForProcessor, type Pipeline } from "./helpers/harness.js";

describe("extreme numbers", () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline();
  }, 600_000);
  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it("sums values of ±1e100 into finite metrics served by every read, and refuses larger ones per item", async () => {
    expect((await requestJson("PUT", `${p.gateway.url}/v1/models/big`, { task: "regression" })).status).toBe(200);
    const t0 = Date.UTC(2026, 10, 1, 10);
    const truths = [1e100, -1e100, 3];
    const items = truths.map((v, i) => ({
      prediction_id: `b${i}`,
      model_id: "big",
      model_version: "v1",
      timestamp: t0 + i * 1000,
      prediction: { value: -v },
      features: { x: v },
    }));
    await postAll(p.gateway.url, "/v1/predictions", items);
    await postAll(
      p.gateway.url,
      "/v1/labels",
      items.map((it, i) => ({ prediction_id: it.prediction_id, model_id: "big", value: truths[i], labeled_at: t0 + 5000 })),
    );
    const refused = await postJson(`${p.gateway.url}/v1/predictions`, [
      { ...items[0], prediction_id: "huge", prediction: { value: 1.7e308 } },
    ]);
    expect(refused.body).toEqual({
      accepted: 0,
      rejected: [{ index: 0, path: "prediction.value", message: "must be a number within ±1e100" }],
    });
    await waitForProcessor(p.stack);

    const metrics = await requestJson("GET", `${p.gateway.url}/v1/models/big/metrics?window=1h`);
    expect(metrics.status).toBe(200);
    const [w] = metrics.body.windows;
    // Errors 2e100, −2e100 and 6, counted here.
    expect(w.labeled).toBe(3);
    expect(w.mae / ((2e100 + 2e100 + 6) / 3)).toBeCloseTo(1, 12);
    expect(w.rmse / Math.sqrt((4e200 + 4e200 + 36) / 3)).toBeCloseTo(1, 12);
    const slices = await requestJson("GET", `${p.gateway.url}/v1/models/big/slices?window=1h`);
    expect(slices.status).toBe(200);
    expect(slices.body.population.labeled).toBe(3);
  });
});
