/**
 * Producers on Confluent's serializers, end to end: a real schema registry (Apicurio Registry, its
 * Confluent-compatible API), Python's confluent-kafka AvroSerializer writing with two versions of
 * the prediction schema, the processor reading both through the registry into ClickHouse; ids the
 * registry does not have, or whose schema is not ours, are dead-lettered with the reason.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CACHE_DIR, ROOT } from "../infra/local/paths.js";
import { schemaRegistryUrl, startLocalSchemaRegistry, stopLocalSchemaRegistry } from "../infra/local/schema-registry.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { decode } from "../services/common/kafka/avro-codec.js";
import { createProducer } from "../services/common/kafka/client.js";
import { readTopic } from "./helpers/kafka.js";
import {
  count,
  type Pipeline,
  postJson,
  prediction,
  requestJson,
  startPipeline,
  stopPipeline,
  waitForProcessor,
  waitUntil,
} from "./helpers/harness.js";
import { run } from "./helpers/python-client.js";
import { confluentKafkaPython } from "./helpers/registry-python.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const SLOT = Number(process.env.HINDSIGHT_TEST_SLOT ?? 0);
const HOST = "127.0.0.1";
const PORT = 18181 + 10 * SLOT;
const HOME = join(CACHE_DIR, `schema-registry-test-${SLOT}`);
const URL = schemaRegistryUrl(HOST, PORT);
// Fixed event times: the two producer runs must not straddle an hour of the wall clock.
const BASE_MS = Date.UTC(2026, 10, 20, 10);

describe("Kafka producers with a schema registry", () => {
  let pipeline: Pipeline;
  let python: string;
  let startedRegistry = false;

  beforeAll(async () => {
    const log = (line: string) => process.stderr.write(`[schema-registry] ${line}\n`);
    [startedRegistry, python] = await Promise.all([
      startLocalSchemaRegistry({ home: HOME, host: HOST, port: PORT, log }),
      confluentKafkaPython(log),
    ]);
    pipeline = await startPipeline({ HINDSIGHT_SCHEMA_REGISTRY_URL: URL });
  });
  afterAll(async () => {
    await stopPipeline(pipeline ?? {});
    if (startedRegistry) await stopLocalSchemaRegistry(HOME);
  });

  async function produce(args: string[]): Promise<void> {
    const { config } = pipeline.stack;
    const result = await run(python, [
      join(ROOT, "examples/python/produce_with_registry.py"),
      "--brokers",
      config.kafka.brokers.join(","),
      "--registry",
      URL,
      "--topic-prefix",
      config.topics.predictions.replace(/\.predictions$/, ""),
      "--base-ms",
      String(BASE_MS),
      ...args,
    ]);
    // librdkafka may log a retry on stderr (a coordinator still loading); the exit status is what counts.
    expect(result.status, result.stderr).toBe(0);
  }

  it("reads two writer schemas of the prediction subject into the same rows", async () => {
    // Declared, so that both models' windows count the same class as positive (inferring it from
    // whichever prediction comes first is ambiguous on this synthetic stream).
    for (const model of ["reg", "reg-http"])
      expect(
        (
          await requestJson("PUT", `${pipeline.gateway.url}/v1/models/${model}`, {
            task: "binary",
            positive_class: "fraud",
            threshold: 0.5,
          })
        ).status,
      ).toBe(200);
    await produce(["--model-id", "reg", "--count", "30", "--first", "0"]);
    await produce(["--model-id", "reg", "--count", "30", "--first", "30", "--evolved"]);
    const { stack } = pipeline;
    await waitUntil(
      "60 predictions and 60 labels",
      async () => [await count(stack, "predictions"), await count(stack, "labels")],
      ([p, l]) => p === 60 && l === 60,
    );

    const db = stack.config.clickhouse.database;
    const rows = await stack.clickhouse.rows(
      anyRow<Record<string, unknown>>(),
      sql`SELECT prediction_id, model_version, stage, toUnixTimestamp64Milli(event_time) AS event_time_ms, feature_keys, feature_numbers, feature_strings, pred_label, pred_score,
                 segment_keys, segment_values, received_at, schema_id
          FROM ${ident(`${db}.predictions`)} FINAL ORDER BY prediction_id`,
    );
    const byId = new Map(rows.map((r) => [r.prediction_id as string, r]));
    const v1 = byId.get("reg-3")!;
    const v2 = byId.get("reg-33")!;
    expect(v1).toMatchObject({ model_version: "v1", stage: "production", pred_label: "fraud", pred_score: 0.3, received_at: null });
    expect(v2).toMatchObject({ model_version: "v2", stage: "production", pred_label: "fraud", pred_score: 0.3, received_at: null });
    expect(
      Object.fromEntries(
        (v2.feature_keys as string[]).map((k, i) => [k, (v2.feature_numbers as unknown[])[i] ?? (v2.feature_strings as unknown[])[i]]),
      ),
    ).toEqual({
      amount: 33,
      country: "FR",
    });
    expect(Number(v2.event_time_ms) - Number(v1.event_time_ms)).toBe(30_000);
    // Two writer schemas, two registry ids, both recorded with their rows.
    const v1Ids = new Set(rows.filter((r) => r.model_version === "v1").map((r) => Number(r.schema_id)));
    const v2Ids = new Set(rows.filter((r) => r.model_version === "v2").map((r) => Number(r.schema_id)));
    expect(v1Ids.size).toBe(1);
    expect(v2Ids.size).toBe(1);
    expect([...v1Ids][0]).not.toBe([...v2Ids][0]);

    // The labels join their predictions: the same windows as the same events sent over HTTP.
    const overHttp = Array.from({ length: 60 }, (_, i) => ({
      prediction_id: `http-${i}`,
      model_id: "reg-http",
      model_version: i < 30 ? "v1" : "v2",
      stage: "production",
      timestamp: BASE_MS + i * 1000,
      features: { amount: i % 50, country: ["DE", "FR"][i % 2] },
      prediction: { label: i % 3 === 0 ? "fraud" : "legit", score: (i % 10) / 10 },
      segments: { country: ["DE", "FR"][i % 2] },
    }));
    const labelsOverHttp = overHttp.map((p, i) => ({
      prediction_id: p.prediction_id,
      model_id: "reg-http",
      label: i % 4 === 0 ? "fraud" : "legit",
      labeled_at: p.timestamp + 60_000,
      source: "registry-example",
    }));
    expect((await postJson(`${pipeline.gateway.url}/v1/predictions`, overHttp)).body.rejected).toEqual([]);
    expect((await postJson(`${pipeline.gateway.url}/v1/labels`, labelsOverHttp)).body.rejected).toEqual([]);
    await waitForProcessor(stack);
    await waitUntil(
      "the labelled predictions",
      () => count(stack, "labeled_predictions", sql`FINAL`),
      (n) => n === 120,
    );
    const windows = (model: string) =>
      stack.clickhouse.rows(
        anyRow<Record<string, unknown>>(),
        sql`
        SELECT model_version, window_seconds, toUInt32(window_start) AS w, slice_key, slice_value, predictions, labeled, correct, accuracy, roc_auc
        FROM ${ident(`${db}.slice_metrics`)} WHERE model_id = ${model}
        ORDER BY model_version, window_seconds, w, slice_key, slice_value`,
      );
    // Complete once every label counts in the whole population's 5-minute windows.
    const complete = (w: Record<string, unknown>[]) =>
      w.filter((r) => r.slice_key === "" && Number(r.window_seconds) === 300).reduce((s, r) => s + Number(r.labeled), 0) === 60;
    const viaRegistry = await waitUntil("the registry's windows", () => windows("reg"), complete);
    expect(await waitUntil("the HTTP windows", () => windows("reg-http"), complete)).toEqual(viaRegistry);
  });

  it("produces the gateway's events under the ids it registered", async () => {
    const { stack, gateway } = pipeline;
    const res = await postJson(`${gateway.url}/v1/predictions`, [prediction(9001, "gw")]);
    expect(res.status).toBe(202);
    await waitUntil(
      "the gateway's prediction",
      () => count(stack, "predictions", sql`WHERE model_id = 'gw'`),
      (n) => n === 1,
    );
    const subject = await (await fetch(`${URL}/subjects/${stack.config.topics.predictions}-value/versions`)).json();
    expect(Array.isArray(subject) && subject.length >= 1).toBe(true);
  });

  it("dead-letters an id the registry does not have, and one whose schema is not a prediction", async () => {
    const { stack } = pipeline;
    const labelId = ((await (await fetch(`${URL}/subjects/${stack.config.topics.labels}-value/versions/latest`)).json()) as { id: number })
      .id;
    const frame = (id: number) =>
      Buffer.concat([Buffer.from([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]), Buffer.from([2, 120])]);
    const producer = await createProducer(stack.kafka);
    await producer.send(stack.config.topics.predictions, [
      { key: "p-unknown-id", value: frame(2_000_000_000) },
      { key: "p-label-id", value: frame(labelId) },
    ]);
    await producer.disconnect();
    const letters = (await readTopic(stack.kafka, stack.config.topics.dlq, 2)).map((m) => ({
      headers: m.headers,
      record: decode("deadLetter", m.value),
    }));
    const byKey = new Map(letters.map((l) => [l.record.key?.toString(), l]));
    expect(byKey.get("p-unknown-id")!.record).toMatchObject({ reason: "unknown_schema", step: "decode" });
    expect(byKey.get("p-unknown-id")!.record.message).toContain("schema id 2000000000 is not in the schema registry");
    expect(byKey.get("p-unknown-id")!.headers["hindsight-dlq-reason"]).toBe("unknown_schema");
    expect(byKey.get("p-label-id")!.record).toMatchObject({ reason: "unresolvable_schema", step: "decode" });
    expect(byKey.get("p-label-id")!.record.message).toContain("cannot be read as prediction.v2");
  });
});
