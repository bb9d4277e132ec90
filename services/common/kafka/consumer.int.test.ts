/**
 * Consumers against the real broker. One stopped while its handler is still waiting (the metrics
 * group waiting for ingestion, a writer stopped mid-retry): the batch is dropped quietly, nothing
 * of it is committed, nothing is logged as an error, and the next start reads it again. One that
 * kafkajs gives up on (an error it does not know as retriable): it is started again, tried again
 * later when that fails, and handles every message.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { useTestStack, waitUntil } from "../../../test/helpers/harness.js";
import { createLogger } from "../observability/logger.js";
import { consumerLag, createKafka, createProducer, ensureTopics, withAdmin } from "./client.js";
import { createBatchConsumer, type PartitionBatch } from "./consumer.js";

/** A logger whose lines the test reads; kafkajs logs through it too when its client is made with it. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; restart?: boolean }> = [];
  const logger = createLogger(
    "consumer-test",
    "info",
    new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    }),
  );
  return { lines, logger };
}

describe("batch consumers", () => {
  const stack = useTestStack();
  const produceTwenty = async (topic: string) => {
    await ensureTopics(stack.kafka, [topic], stack.config.topics.partitions);
    const producer = await createProducer(stack.kafka);
    await producer.send(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`m${i}`) })),
    );
    await producer.disconnect();
  };

  it("leaves the batch uncommitted without an error, and reads it again at the next start", async () => {
    const topic = stack.config.topics.predictions;
    await produceTwenty(topic);

    const { lines, logger } = capturingLogger();
    // kafkajs logs through this client, so its own "Error when calling eachBatch" would show here.
    const kafka = createKafka({ ...stack.config.kafka, logger });
    const stored = await withAdmin(stack.kafka, async (admin) =>
      (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0),
    );
    expect(stored).toBeGreaterThanOrEqual(20);
    const groupId = `${stack.config.processor.groupId}-stop`;
    let stopping = false;
    let handed = 0;
    const first = createBatchConsumer(kafka, {
      groupId,
      topics: [topic],
      logger,
      stopping: () => stopping,
      // Waits until the stop, then fails as a handler does when the service stops under it.
      handler: async (_batch: PartitionBatch) => {
        handed++;
        while (!stopping) await new Promise((r) => setTimeout(r, 20));
        throw new Error("stopped while waiting for the ingestion group");
      },
    });
    await first.start();
    await waitUntil(
      "a batch handed to the handler",
      async () => handed,
      (n) => n > 0,
    );
    stopping = true;
    await new Promise((r) => setTimeout(r, 500));
    await first.stop();

    expect(lines.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
    expect((await consumerLag(stack.kafka, groupId, [topic]))[topic]).toBe(stored);

    // The next start gets every message again and commits them.
    const seen: string[] = [];
    const second = createBatchConsumer(kafka, {
      groupId,
      topics: [topic],
      logger,
      handler: async (batch) => {
        seen.push(...batch.messages.map((m) => String(m.value)));
      },
    });
    await second.start();
    try {
      await waitUntil(
        "every message read again",
        async () => seen.length,
        (n) => n >= 20,
      );
      await waitUntil(
        "the group's offsets committed",
        async () => (await consumerLag(stack.kafka, groupId, [topic]))[topic],
        (n) => n === 0,
      );
    } finally {
      await second.stop();
    }
    expect(new Set(seen).size).toBe(20);
  }, 120_000);

  it("starts a consumer again that kafkajs gave up on, also when the first try fails, and handles every message", async () => {
    const topic = stack.config.topics.labels;
    await produceTwenty(topic);
    const { lines, logger } = capturingLogger();
    // The first kafkajs consumer fails once outside the handler, as kafkajs's own offset
    // bookkeeping did during a rebalance (a TypeError: not retriable, so kafkajs stops for good).
    // The second cannot connect (the broker away at that moment); the third works.
    const real = createKafka({ ...stack.config.kafka, logger });
    let made = 0;
    const kafka = Object.assign(Object.create(real), {
      consumer: (config: Parameters<typeof real.consumer>[0]) => {
        const c = real.consumer(config);
        made++;
        if (made === 2) c.connect = () => Promise.reject(new Error("Connection timeout"));
        if (made > 1) return c;
        const run = c.run.bind(c);
        let failed = false;
        c.run = (o) =>
          run({
            ...o,
            eachBatch: async (payload) => {
              if (!failed) {
                failed = true;
                // @ts-expect-error reading a property of undefined, as kafkajs did
                return undefined[0];
              }
              return o!.eachBatch!(payload);
            },
          });
        return c;
      },
    }) as typeof real;
    const seen: string[] = [];
    const groupId = `${stack.config.processor.groupId}-crash`;
    const consumer = createBatchConsumer(kafka, {
      groupId,
      topics: [topic],
      logger,
      handler: async (batch) => {
        seen.push(...batch.messages.map((m) => String(m.value)));
      },
    });
    await consumer.start();
    try {
      await waitUntil(
        "every message handled after the restart",
        async () => new Set(seen).size,
        (n) => n === 20,
        60_000,
      );
      await waitUntil(
        "the group's offsets committed",
        async () => (await consumerLag(stack.kafka, groupId, [topic]))[topic],
        (n) => n === 0,
      );
      expect(consumer.isRunning()).toBe(true);
    } finally {
      await consumer.stop();
    }
    expect(made).toBe(3);
    expect(lines.filter((l) => l.msg === "consumer crashed").map((l) => l.restart)).toEqual([false]);
    // Ours only: kafkajs may warn of its own during the rebalances.
    expect(lines.filter((l) => l.level === 40 && l.msg.startsWith("consumer ")).map((l) => l.msg)).toEqual([
      "consumer stopped by kafkajs; starting it again",
      "consumer could not start again (Connection timeout); trying later",
    ]);
  }, 120_000);
});
