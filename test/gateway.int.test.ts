/**
 * The gateway's HTTP contract on the real Kafka broker: tokens and scopes, size limits, NDJSON,
 * readiness, metrics, and the keying that puts a prediction and its labels on one partition.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode } from "../services/common/kafka/avro-codec.js";
import {
  createTestStack,
  INGEST_ONLY_TOKEN,
  label,
  postJson,
  prediction,
  startGateway,
  TEST_TOKEN,
  type TestStack,
} from "./helpers/harness.js";
import { readTopic } from "./helpers/kafka.js";

describe("gateway", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_MAX_BATCH_ITEMS: "50", HINDSIGHT_MAX_BODY_BYTES: "65536" });
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.cleanup();
  });

  it("requires a known bearer token with the right scope", async () => {
    const noToken = await fetch(`${gateway.url}/v1/predictions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[]",
    });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get("www-authenticate")).toContain("Bearer");
    expect((await postJson(`${gateway.url}/v1/predictions`, [], "an-unknown-token-123456")).status).toBe(401);
    const wrongScope = await postJson(`${gateway.url}/v1/labels`, [label(1)], INGEST_ONLY_TOKEN);
    expect(wrongScope).toEqual({ status: 403, body: { error: { code: "forbidden", message: "this token lacks the 'label' scope" } } });
    expect((await postJson(`${gateway.url}/v1/predictions`, [prediction(1)], INGEST_ONLY_TOKEN)).status).toBe(202);
  });

  it("answers 413 for too many items or too many bytes, and 400 for a body that is not a batch", async () => {
    const tooMany = await postJson(
      `${gateway.url}/v1/predictions`,
      Array.from({ length: 51 }, (_, i) => prediction(i)),
    );
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.message).toContain("at most 50 items");
    const big = [{ ...prediction(1), features: { blob: "x".repeat(70_000) } }];
    const tooBig = await postJson(`${gateway.url}/v1/predictions`, big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.message).toContain("65536 bytes");
    const notBatch = await postJson(`${gateway.url}/v1/predictions`, "42");
    expect(notBatch.status).toBe(400);
    expect(notBatch.body.error.message).toMatch(/JSON array/);
    const broken = await postJson(`${gateway.url}/v1/predictions`, "[{");
    expect(broken.status).toBe(400);
  });

  it("takes NDJSON and reports a broken line by its index", async () => {
    const body = [JSON.stringify(prediction(100)), "{not json", "", JSON.stringify(prediction(101))].join("\n");
    const answer = await postJson(`${gateway.url}/v1/predictions`, body, TEST_TOKEN, "application/x-ndjson");
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe(2);
    expect(answer.body.rejected).toEqual([{ index: 1, path: "", message: expect.stringMatching(/^invalid JSON/) }]);
  });

  it("produces Avro keyed by prediction_id, so a prediction and its label share a partition", async () => {
    const ids = Array.from({ length: 20 }, (_, i) => 200 + i);
    await postJson(
      `${gateway.url}/v1/predictions`,
      ids.map((i) => prediction(i)),
    );
    await postJson(
      `${gateway.url}/v1/labels`,
      ids.map((i) => label(i)),
    );
    const predictions = await readTopic(stack.kafka, stack.config.topics.predictions, 20 + 3);
    const labels = await readTopic(stack.kafka, stack.config.topics.labels, 20);
    const partitionOf = new Map(predictions.map((m) => [m.key!.toString(), m.partition]));
    expect(new Set(predictions.map((m) => m.partition)).size).toBeGreaterThan(1);
    for (const m of labels) {
      const record = decode("label", m.value);
      expect(m.key!.toString()).toBe(record.prediction_id);
      expect(m.partition).toBe(partitionOf.get(record.prediction_id));
      expect(m.headers["hindsight-schema"]).toBe("label.v1");
      expect(record.received_at).toBeGreaterThan(Date.now() - 60_000);
    }
  });

  it("reports readiness and Prometheus metrics", async () => {
    const ready = await fetch(`${gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ready", kafka: true, clickhouse: true });
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(/hindsight_events_accepted_total\{kind="prediction",service="gateway"\} \d+/);
    expect(metrics).toMatch(/hindsight_http_requests_total\{route="\/v1\/predictions",method="POST",status="413",service="gateway"\} 2/);
    expect(metrics).toContain("hindsight_consumer_lag_messages");
  });
});
