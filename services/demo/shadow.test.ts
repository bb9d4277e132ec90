import { describe, expect, it } from "vitest";
import { createDemoTraffic } from "./generator.js";
import { SHADOW_SHARE, shadowed, withRequest, withShadow } from "./shadow.js";

describe("the demo's shadow deployment", () => {
  const batch = createDemoTraffic({ seed: 7, startMs: Date.UTC(2026, 0, 1), timeScale: 86_400 }).advance(Date.UTC(2026, 0, 1, 0, 10));
  const production = batch.predictions.filter((p) => p.stage === "production");

  it("scores about a quarter of production's requests, on the same request and a few milliseconds later", () => {
    const pairs = production.filter((p) => withShadow(p).length === 2);
    expect(pairs.length / production.length).toBeGreaterThan(SHADOW_SHARE - 0.03);
    expect(pairs.length / production.length).toBeLessThan(SHADOW_SHARE + 0.03);
    const [a, b] = withShadow(pairs[0]!);
    expect(a).toMatchObject({ prediction_id: pairs[0]!.prediction_id, request_id: pairs[0]!.prediction_id, model_version: "v3" });
    expect(b).toMatchObject({
      request_id: pairs[0]!.prediction_id,
      model_version: "v5",
      stage: "shadow",
      timestamp: pairs[0]!.timestamp + 3,
    });
    expect(b!.prediction_id).not.toBe(a!.prediction_id);
    // The canary is never shadowed; a prediction not chosen is left as it is.
    const canary = batch.predictions.find((p) => p.stage === "canary")!;
    expect(withShadow(canary)).toEqual([canary]);
  });

  it("agrees with production on most requests, and names the request in the labels of shadowed ones", () => {
    const pairs = production.filter((p) => shadowed(p.prediction_id)).map((p) => withShadow(p));
    const agree = pairs.filter(([a, b]) => a!.prediction.label === b!.prediction.label).length / pairs.length;
    expect(agree).toBeGreaterThan(0.8);
    expect(agree).toBeLessThan(1);
    for (const l of batch.labels) expect(withRequest(l).request_id).toBe(shadowed(l.prediction_id) ? l.prediction_id : undefined);
    // Deterministic: the same prediction gives the same shadow.
    expect(withShadow(production[0]!)).toEqual(withShadow(production[0]!));
  });
});
