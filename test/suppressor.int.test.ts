/**
 * The learned suppressor against the real store: feedback posted through the API changes what
 * the next training run learns (a new version, other scores), and the evaluator records the
 * version that scored each new alert on the alert itself.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alertsRepository, type AlertRow } from "../services/common/clickhouse/alerts.repository.js";
import { metricsRepository } from "../services/common/clickhouse/metrics.repository.js";
import { createLogger } from "../services/common/observability/logger.js";
import { validateRuleFile } from "../schemas/rules.js";
import { runSuppressorCommand } from "../services/cli/suppressor.js";
import { clickHouseSuppressorStore } from "../services/evaluator/suppressor-store.js";
import { createSuppression, toAlertRecord } from "../services/evaluator/suppression.js";
import { loadOnnxModel } from "../services/evaluator/suppressor/onnx-scorer.js";
import { SuppressorHistory } from "../services/common/domain/suppressor/features.js";
import { createAlerting } from "../services/evaluator/service.js";
import { createProducer } from "../services/common/kafka/client.js";
import { seededRandom } from "./helpers/seeded-random.js";
import { createTestStack, startGateway, postJson, type TestStack } from "./helpers/harness.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function alertRow(id: string, kind: "drift" | "threshold", at: number, deviation: number): AlertRow {
  const drift = kind === "drift";
  return {
    alert_id: id,
    fingerprint: `fp-${kind}`,
    rule_id: drift ? "amount-drift" : "segment-accuracy",
    rule_version: 1,
    rule_kind: kind,
    rule_name: kind,
    severity: "warning",
    model_id: "fraud",
    model_version: "v3",
    stage: "production",
    slice: drift ? "" : "country=BR",
    metric: drift ? "drift.amount" : "accuracy",
    feature: drift ? "amount" : "",
    window_seconds: 300,
    started_ms: at,
    fired_ms: at,
    last_breach_ms: at + 600_000,
    resolved_ms: at + 1_800_000,
    value: 0.5,
    threshold: 0.7,
    deviation,
    sample_size: 500,
    worst_value: 0.5,
    summary: `${kind} alert`,
    disposition: "surfaced",
    parent_id: "",
    group_reason: "",
    suppress_score: null,
    suppressor_version: "",
    suppress_reason: "no_model",
    first_seen_wall_ms: at,
    updated_wall_ms: at,
  };
}

describe("the suppressor learns from feedback posted through the API", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
  const random = seededRandom(5);

  /** Alerts of both kinds over `days` ending at `end`, each answered through the API. */
  async function history(prefix: string, end: number, days: number, actedRate: { drift: number; threshold: number }): Promise<void> {
    const rows: AlertRow[] = [];
    for (let i = 0; i < days * 8; i++) {
      const kind = i % 2 === 0 ? "drift" : "threshold";
      rows.push(alertRow(`${prefix}${i.toString(16).padStart(6, "0")}`, kind, end - days * DAY + i * 3 * HOUR, 0.1 + random()));
    }
    const repo = alertsRepository(stack.clickhouse);
    await repo.writeAlerts(rows);
    for (const r of rows) {
      const acted = random() < actedRate[r.rule_kind as "drift" | "threshold"];
      const res = await postJson(`${gateway.url}/v1/alerts/${r.alert_id}/feedback`, { action: acted ? "acted" : "ignored" });
      expect(res.status).toBe(201);
    }
  }

  const foldThresholds: number[][] = [];
  async function train(): Promise<string> {
    const store = clickHouseSuppressorStore(alertsRepository(stack.clickhouse), 0.05);
    expect(await runSuppressorCommand(["train", "--algorithm", "logistic"], io, store), out.join("")).toBe(0);
    const saved = (await store.latestModel())!;
    foldThresholds.push(saved.foldThresholds ?? []);
    return saved.version;
  }

  /** The chance of action the stored model gives a new drift alert. */
  async function driftScore(): Promise<number> {
    const repo = alertsRepository(stack.clickhouse);
    const model = (await repo.latestSuppressorModel())!;
    const scorer = await loadOnnxModel(model.model);
    const h = new SuppressorHistory();
    const now = Date.now();
    for (const r of await repo.history(0)) h.add(toAlertRecord(r, { action: r.action, actionMs: r.action_ms }));
    const [score] = await scorer.score([h.features(toAlertRecord(alertRow("probe", "drift", now, 0.5)))]);
    return score!;
  }

  beforeAll(async () => {
    stack = await createTestStack();
    gateway = await startGateway(stack.config);
  }, 120_000);
  afterAll(async () => {
    await gateway?.close();
    await stack?.cleanup();
  });

  let first = "";
  let firstScore = 0;

  it("trains a first version on the feedback so far", async () => {
    const now = Date.now();
    // Drift alerts are almost never acted on, accuracy alerts almost always.
    await history("a", now - 16 * DAY, 20, { drift: 0.05, threshold: 0.95 });
    first = await train();
    expect(first).toMatch(/^lr-\d{8}T\d{4}-[0-9a-f]{8}$/);
    firstScore = await driftScore();
    expect(firstScore).toBeLessThan(0.3);
  }, 180_000);

  it("trains another version once the team starts acting on drift alerts", async () => {
    await history("b", Date.now() - HOUR, 15, { drift: 0.95, threshold: 0.95 });
    const second = await train();
    expect(second).not.toBe(first);
    const secondScore = await driftScore();
    expect(secondScore).toBeGreaterThan(firstScore + 0.3);
    // The stored model's fold thresholds came back from ClickHouse and were carried into the second training.
    expect(foldThresholds[0]!.length).toBeGreaterThan(0);
    expect(foldThresholds[1]!.slice(0, foldThresholds[0]!.length)).toEqual(foldThresholds[0]);
  }, 180_000);

  it("records the scoring version on the alerts the evaluator creates", async () => {
    const repo = alertsRepository(stack.clickhouse);
    const latest = (await repo.latestSuppressorModel())!;
    // A window of 500 predictions and a rule on volume make one alert on real tables.
    await metricsRepository(stack.clickhouse).writeWindowSizes([300]);
    const windowStart = Math.floor((Date.now() - HOUR) / 300_000) * 300;
    await stack.clickhouse.insertJsonEachRow(`${stack.config.clickhouse.database}.window_volume`, [
      JSON.stringify({
        model_id: "fraud",
        model_version: "v3",
        stage: "production",
        window_start: windowStart,
        slice_key: "",
        slice_value: "",
        predictions: 500,
        expected_correct: 450,
        expected_n: 500,
        computed_at_ms: Date.now(),
      }),
    ]);
    await repo.applyRuleFile(
      validateRuleFile({
        rules: [
          { id: "volume", kind: "threshold", metric: "predictions", op: ">", threshold: 100, window: "5m", target: { model: "fraud" } },
        ],
      }),
      "test",
      Date.now(),
    );
    const suppression = createSuppression(
      { ackTimeoutMs: DAY, exploreRate: 0, minFeedback: 20 },
      {
        alerts: repo,
        logger: createLogger("test", "warn"),
        load: async (m) => ({ score: async (rows) => [...(await (await loadOnnxModel(m.model)).score(rows))] }),
      },
    );
    const producer = await createProducer(stack.kafka);
    try {
      const alerting = createAlerting(stack.config, {
        clickhouse: stack.clickhouse,
        producer,
        logger: createLogger("test", "warn"),
        suppression,
      });
      const report = await alerting.evaluator.evaluateOnce(true);
      expect(report.created).toBe(1);
    } finally {
      await producer.disconnect();
    }
    const [alert] = await repo.alerts({ status: "all" }).then((rows) => rows.filter((r) => r.rule_id === "volume"));
    expect(alert!.suppressor_version).toBe(latest.version);
    expect(alert!.suppress_score).toBeGreaterThan(0);
    // A type with no feedback yet is never suppressed.
    expect(alert!.suppress_reason).toBe("insufficient_feedback");
    expect(alert!.disposition).toBe("surfaced");
  }, 120_000);
});
