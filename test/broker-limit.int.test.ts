/**
 * Batches that fit the broker, on the real Kafka broker (its default message.max.bytes, about
 * 1 MB per partition's record batch): the gateway produces a full 5,000-event batch of 40
 * features each (7 MB of JSON) in chunks under the limit instead of one refused call; an event too
 * large for any chunk gets 413 naming the limit, and nothing of its batch is sent; the processor's
 * dead-letter publisher gets 2 MiB of undecodable messages into a one-partition dead-letter topic,
 * and a letter whose source filled the broker's limit is truncated visibly instead of stalling.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decode } from "../services/common/kafka/avro-codec.js";
import { createProducer, withAdmin } from "../services/common/kafka/client.js";
import type { Processor } from "../services/processor/processor.js";
import { createTestStack, postJson, prediction, startGateway, startProcessor, type TestStack } from "./helpers/harness.js";
import { readTopic } from "./helpers/kafka.js";

/** A valid prediction with 40 numeric features under realistic names. */
function wide(i: number): Record<string, unknown> {
  const features: Record<string, number | string> = {};
  for (let f = 0; f < 40; f++)
    features[`feature_${String(f).padStart(2, "0")}_${f % 2 ? "ratio" : "amount"}`] =
      f % 5 === 0 ? `category_${(i + f) % 13}` : Math.round((i * 31 + f * 7) % 10_000) / 7;
  return { ...prediction(i), features };
}

async function messagesIn(stack: TestStack, topic: string): Promise<number> {
  return withAdmin(stack.kafka, async (admin) =>
    (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0),
  );
}

describe("gateway batches that fit the broker", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    stack = await createTestStack();
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.cleanup();
  });

  it("accepts 5,000 events of 40 features (7 MB) in one request, every one of them in the topic", async () => {
    const batch = Array.from({ length: 5000 }, (_, i) => wide(i));
    const body = JSON.stringify(batch);
    expect(body.length).toBeGreaterThan(6_500_000);
    const answer = await postJson(`${gateway.url}/v1/predictions`, body);
    expect(answer).toEqual({ status: 202, body: { accepted: 5000, rejected: [] } });
    expect(await messagesIn(stack, stack.config.topics.predictions)).toBe(5000);
    const read = await readTopic(stack.kafka, stack.config.topics.predictions, 5000, 60_000);
    expect(new Set(read.map((m) => decode("prediction", m.value).prediction_id)).size).toBe(5000);
  });

  it("answers 413 naming the limit for an event too large for any produce call, and sends nothing of its batch", async () => {
    const before = await messagesIn(stack, stack.config.topics.predictions);
    // Within every per-field limit (300 features of 4,000 characters), 1.2 MB once encoded.
    const huge = {
      ...prediction(90_001),
      features: Object.fromEntries(Array.from({ length: 300 }, (_, f) => [`note_${f}`, "x".repeat(4000)])),
    };
    const answer = await postJson(`${gateway.url}/v1/predictions`, [prediction(90_000), huge, prediction(90_002)]);
    expect(answer.status).toBe(413);
    expect(answer.body.error.code).toBe("event_too_large");
    expect(answer.body.error.message).toContain(`limit of ${stack.config.kafka.maxBatchBytes} bytes`);
    expect(answer.body.rejected).toEqual([
      { index: 1, path: "", message: expect.stringMatching(/^this event takes \d+ bytes encoded, over the limit of 900000 bytes/) },
    ]);
    expect(await messagesIn(stack, stack.config.topics.predictions)).toBe(before);
  });
});

describe("dead letters that fit the broker", () => {
  let stack: TestStack;
  let processor: Processor | undefined;

  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_PARTITIONS: "1" });
  });
  afterAll(async () => {
    await processor?.stop();
    await stack?.cleanup();
  });

  it("dead-letters 2 MiB of undecodable messages into one partition, and truncates visibly a letter whose source filled the broker's limit", async () => {
    // A client other than ours may fill the broker's whole limit (1,048,588 bytes per batch).
    const raw = await createProducer(stack.kafka, { maxBatchBytes: 1_048_588 });
    const garbage = Array.from({ length: 20 }, (_, i) => ({ key: `g-${i}`, value: Buffer.alloc(105_000, 65 + i) }));
    for (const g of garbage) await raw.send(stack.config.topics.predictions, [g]);
    const brim = Buffer.alloc(1_048_400, 90);
    await raw.send(stack.config.topics.predictions, [{ key: "brim", value: brim }]);
    await raw.disconnect();

    processor = await startProcessor(stack.config, stack.clickhouse);
    const letters = await readTopic(stack.kafka, stack.config.topics.dlq, 21, 60_000);
    expect(letters).toHaveLength(21);
    const records = letters.map((m) => ({ headers: m.headers, record: decode("deadLetter", m.value) }));
    for (const [i, g] of garbage.entries()) {
      const found = records.find((r) => r.record.key?.toString() === `g-${i}`)!;
      expect(found.record.payload.equals(g.value)).toBe(true);
      expect(found.headers["hindsight-dlq-truncated"]).toBeUndefined();
    }
    const cut = records.find((r) => r.record.key?.toString() === "brim")!;
    expect(cut.record.reason).toBe("undecodable");
    expect(cut.headers["hindsight-dlq-truncated"]).toMatch(/^payload truncated from 1048400 to \d+ bytes/);
    expect(cut.record.message).toContain("payload truncated from 1048400");
    expect(brim.subarray(0, cut.record.payload.length).equals(cut.record.payload)).toBe(true);
    expect(cut.record.payload.length).toBeGreaterThan(800_000);
  });
});
