/**
 * R² for targets near 1.7e9 (epoch-second ETAs) through the real pipeline, per 5-minute and
 * 1-hour window, against a two-pass computation in this file over the same events. The one-pass
 * Σy² − (Σy)²/n formula the product used before missed here by whole percents, or gave NULL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { postJson, startPipeline, stopPipeline, waitForProcessor, waitUntil, type Pipeline } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const T0 = Date.UTC(2026, 9, 1, 0, 0, 0);
const N = 1200;

function events() {
  const r = seededRandom(17);
  const rows = Array.from({ length: N }, (_, i) => {
    const t = T0 + Math.floor(r() * 2 * 3_600_000);
    // Arrival times in epoch seconds, spread over minutes; the model is off by up to a minute or so.
    const y = 1_700_000_000 + Math.round(r() * 120);
    const p = y + Math.round((r() - 0.5) * 90);
    return { i, t, y, p };
  });
  return rows;
}

/** What the product computed before: Σy² − (Σy)²/n in doubles. */
function onePassR2(rows: Array<{ y: number; p: number }>): number | null {
  const n = rows.length;
  const s = rows.reduce((a, r) => a + r.y, 0);
  const sst = rows.reduce((a, r) => a + r.y * r.y, 0) - (s * s) / n;
  return n < 2 || sst <= 0 ? null : 1 - rows.reduce((a, r) => a + (r.y - r.p) ** 2, 0) / sst;
}

function twoPassR2(rows: Array<{ y: number; p: number }>): number | null {
  if (rows.length < 2) return null;
  const mean = rows.reduce((a, r) => a + r.y, 0) / rows.length;
  const sst = rows.reduce((a, r) => a + (r.y - mean) ** 2, 0);
  return sst > 0 ? 1 - rows.reduce((a, r) => a + (r.y - r.p) ** 2, 0) / sst : null;
}

describe("R² exact for large offsets", () => {
  let p: Pipeline;
  const rows = events();

  beforeAll(async () => {
    p = await startPipeline({ HINDSIGHT_WINDOWS: "300,3600" });
    const preds = rows.map((e) => ({
      prediction_id: `e-${e.i}`,
      model_id: "eta",
      model_version: "v1",
      stage: "production",
      timestamp: e.t,
      features: {},
      prediction: { value: e.p },
      segments: {},
    }));
    const labels = rows.map((e) => ({
      prediction_id: `e-${e.i}`,
      model_id: "eta",
      value: e.y,
      labeled_at: e.t + 600_000,
      source: "arrivals",
    }));
    expect((await postJson(`${p.gateway.url}/v1/predictions`, preds)).status).toBe(202);
    expect((await postJson(`${p.gateway.url}/v1/labels`, labels)).status).toBe(202);
    await waitForProcessor(p.stack);
  }, 120_000);

  afterAll(async () => {
    await stopPipeline(p ?? {});
  });

  it.each([300, 3600])("matches a two-pass computation per %i s window to 1e-9", async (size) => {
    const db = p.stack.config.clickhouse.database;
    const got = await waitUntil(
      "every label in the metrics",
      () =>
        p.stack.clickhouse.rows(
          anyRow<{ ws: string; labeled: string; r2: number | null }>(),
          sql`SELECT toUInt32(window_start) AS ws, labeled, r2 FROM ${ident(`${db}.slice_metrics`)} WHERE model_id = 'eta' AND window_seconds = ${size} AND slice_key = '' ORDER BY ws`,
        ),
      (r) => r.reduce((a, w) => a + Number(w.labeled), 0) === N,
      30_000,
    );
    expect(got.length).toBeGreaterThan(1);
    let oldMiss = 0;
    for (const w of got) {
      const inWindow = rows.filter((e) => Math.floor(e.t / 1000 / size) * size === Number(w.ws));
      const expected = twoPassR2(inWindow);
      if (expected === null) expect(w.r2).toBeNull();
      else expect(Math.abs(w.r2! - expected), `window ${w.ws}: ${w.r2} vs ${expected}`).toBeLessThan(1e-9);
      const old = onePassR2(inWindow);
      oldMiss = Math.max(oldMiss, old === null || expected === null ? Infinity : Math.abs(old - expected));
    }
    // The data is one where the old formula failed.
    expect(oldMiss).toBeGreaterThan(1e-3);
  });
});
