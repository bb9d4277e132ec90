import { describe, expect, it } from "vitest";
import {
  chunkByBytes,
  groupOffsets,
  messageBytes,
  MessageTooLargeError,
  waitForLeaders,
  withSendDeadline,
  type KafkaProducer,
  type OutgoingMessage,
} from "./client.js";
import { retriable } from "./consumer.js";

function producer(send: () => Promise<void>): KafkaProducer {
  return { send, disconnect: async () => {}, maxBatchBytes: 1_000 };
}

describe("withSendDeadline", () => {
  it("passes an acknowledged send through", async () => {
    await expect(
      withSendDeadline(
        producer(async () => {}),
        1_000,
      ).send("t", []),
    ).resolves.toBeUndefined();
  });

  it("passes a failed send's error through", async () => {
    await expect(
      withSendDeadline(
        producer(async () => Promise.reject(new Error("broker said no"))),
        1_000,
      ).send("t", []),
    ).rejects.toThrow("broker said no");
  });

  it("fails a send still unacknowledged at the deadline, naming it", async () => {
    await expect(
      withSendDeadline(
        producer(() => new Promise(() => {})),
        20,
      ).send("t", []),
    ).rejects.toThrow("Kafka did not acknowledge within 20 ms");
  });
});

describe("retriable", () => {
  it("marks a handler's failure as retriable for kafkajs, keeping the cause", () => {
    const cause = Object.assign(new Error("Failed to find group coordinator"), { retriable: false });
    const wrapped = retriable(cause);
    expect(wrapped).toMatchObject({ retriable: true, message: "batch handler failed: Failed to find group coordinator" });
    expect(wrapped.cause).toBe(cause);
    expect(retriable("text").message).toBe("batch handler failed: text");
  });
});

describe("chunkByBytes", () => {
  const msg = (i: number, bytes: number): OutgoingMessage => ({
    key: `k-${i}`,
    value: Buffer.alloc(bytes, 1),
    headers: { "hindsight-schema": "prediction.v1" },
  });

  it("keeps every chunk's record batch under the limit, in order, without losing a message", () => {
    const messages = Array.from({ length: 5000 }, (_, i) => msg(i, 900 + (i % 700)));
    const chunks = chunkByBytes(messages, 100_000);
    expect(chunks.length).toBeGreaterThan(50);
    expect(chunks.flat()).toEqual(messages);
    // Batch header (61 bytes) plus the records' upper bounds.
    for (const c of chunks) expect(61 + c.reduce((n, m) => n + messageBytes(m), 0)).toBeLessThanOrEqual(100_000);
  });

  it("sends a batch that fits as one chunk, and nothing for no messages", () => {
    expect(chunkByBytes([msg(1, 10), msg(2, 10)], 100_000)).toHaveLength(1);
    expect(chunkByBytes([], 100_000)).toEqual([]);
  });

  it("counts keys and headers, not only values", () => {
    const big = { key: "k".repeat(600), value: Buffer.alloc(10), headers: { h: "v".repeat(600) } };
    expect(messageBytes(big)).toBeGreaterThan(1_200);
    expect(chunkByBytes([big, big], 2_000)).toHaveLength(2);
  });

  it("refuses, naming its index and the limit, a message that fits in no chunk", () => {
    const err = (() => {
      try {
        chunkByBytes([msg(0, 10), msg(1, 5_000), msg(2, 10)], 4_096);
      } catch (e) {
        return e as MessageTooLargeError;
      }
    })();
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect(err).toMatchObject({ index: 1, limit: 4_096 });
    expect(err!.message).toMatch(/message 1 takes \d+ bytes in a record batch, over the limit of 4096 bytes/);
  });
});

describe("waitForLeaders", () => {
  const unknown = Object.assign(new Error("This server does not host this topic-partition"), { retriable: true });
  const meta = (leader: number) => ({ topics: [{ name: "t", partitions: [{ partitionId: 0, leader, replicas: [1], isr: [1] }] }] });
  const fake = (answers: Array<Error | ReturnType<typeof meta>>) => {
    let calls = 0;
    return {
      calls: () => calls,
      admin: {
        fetchTopicMetadata: async () => {
          const a = answers[Math.min(calls++, answers.length - 1)]!;
          if (a instanceof Error) throw a;
          return a;
        },
      } as never,
    };
  };
  const noSleep = async () => undefined;

  it("waits out a new topic's 'unknown topic' and a partition without a leader", async () => {
    const f = fake([unknown, meta(-1), meta(1)]);
    await waitForLeaders(f.admin, ["t"], { sleep: noSleep });
    expect(f.calls()).toBe(3);
  });

  it("throws at once what is not retriable, and gives up at the deadline with the topics named", async () => {
    await expect(waitForLeaders(fake([new Error("SASL authentication failed")]).admin, ["t"], { sleep: noSleep })).rejects.toThrow("SASL");
    let now = 0;
    const stuck = waitForLeaders(fake([unknown]).admin, ["t"], {
      sleep: async () => void (now += 100),
      clock: () => now,
      timeoutMs: 1_000,
    });
    await expect(stuck).rejects.toThrow("Kafka topics t have no leader 1 s after they were created");
  });
});

describe("groupOffsets", () => {
  const loading = Object.assign(new Error("The coordinator is loading and hence can't process requests for this group"), {
    retriable: true,
  });
  const admin = (failures: Error[]) => {
    let calls = 0;
    return {
      calls: () => calls,
      admin: {
        fetchOffsets: async () => {
          const failure = failures[calls++];
          if (failure) throw failure;
          return [
            {
              topic: "t",
              partitions: [
                { partition: 0, offset: "40" },
                { partition: 1, offset: "-1" },
              ],
            },
          ];
        },
        fetchTopicOffsets: async () => [
          { partition: 0, low: "0", high: "100" },
          { partition: 1, low: "10", high: "30" },
        ],
      } as never,
    };
  };
  const noSleep = async () => undefined;

  it("sums what the group has yet to read, from the start of a partition it never committed", async () => {
    expect(await groupOffsets(admin([]).admin, "g", ["t"], { sleep: noSleep })).toEqual({ t: { committed: 40, lag: 60 + 20 } });
  });

  it("waits out a coordinator that is loading, and throws at once what is not retriable", async () => {
    const f = admin([loading, loading]);
    expect(await groupOffsets(f.admin, "g", ["t"], { sleep: noSleep })).toEqual({ t: { committed: 40, lag: 80 } });
    expect(f.calls()).toBe(3);
    await expect(groupOffsets(admin([new Error("SASL authentication failed")]).admin, "g", ["t"], { sleep: noSleep })).rejects.toThrow(
      "SASL",
    );
    let now = 0;
    const stuck = groupOffsets(admin(Array(100).fill(loading)).admin, "g", ["t"], {
      sleep: async () => void (now += 200),
      clock: () => now,
      timeoutMs: 1_000,
    });
    await expect(stuck).rejects.toThrow("coordinator is loading");
  });
});
