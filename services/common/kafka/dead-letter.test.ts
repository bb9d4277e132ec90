import { describe, expect, it } from "vitest";
import { decode } from "./avro-codec.js";
import { chunkByBytes, maxMessageBytes, messageBytes, type KafkaProducer, type OutgoingMessage } from "./client.js";
import { createDeadLetterPublisher, deadLetterMessage, type DeadLetter } from "./dead-letter.js";

const letter = (payloadBytes: number, keyBytes = 8, offset = 7): DeadLetter => ({
  source: {
    topic: "hs.predictions",
    partition: 0,
    offset: String(offset),
    key: Buffer.alloc(keyBytes, 107),
    value: Buffer.alloc(payloadBytes, 120),
    headers: undefined,
  },
  reason: "undecodable",
  message: "unknown magic byte 120, expected 0",
  step: "decode",
});

describe("deadLetterMessage", () => {
  it("keeps a letter that fits whole, payload byte for byte, without a truncation header", () => {
    const m = deadLetterMessage(letter(1_000), "processor", 1, 100_000);
    const record = decode("deadLetter", m.value);
    expect(record.payload).toEqual(Buffer.alloc(1_000, 120));
    expect(record.message).toBe("unknown magic byte 120, expected 0");
    expect(m.headers?.["hindsight-dlq-truncated"]).toBeUndefined();
  });

  it("cuts the payload of a letter too large for any produce call, and says so in its message and a header", () => {
    const m = deadLetterMessage(letter(150_000), "processor", 1, 100_000);
    expect(messageBytes(m)).toBeLessThanOrEqual(maxMessageBytes(100_000));
    const record = decode("deadLetter", m.value);
    expect(record.payload.length).toBeGreaterThan(95_000);
    expect(record.payload).toEqual(Buffer.alloc(record.payload.length, 120));
    expect(record.message).toContain(
      `[payload truncated from 150000 to ${record.payload.length} bytes to fit the dead-letter topic's limit of 100000 bytes per produce]`,
    );
    expect(m.headers?.["hindsight-dlq-truncated"]).toMatch(/^payload truncated from 150000/);
    expect(record.source_offset).toBe(7);
  });

  it("cuts an enormous key too, so every letter fits whatever its source held", () => {
    const m = deadLetterMessage(letter(10, 200_000), "processor", 1, 100_000);
    expect(messageBytes(m)).toBeLessThanOrEqual(maxMessageBytes(100_000));
    expect(decode("deadLetter", m.value).message).toContain("key from 200000 to 1024 bytes");
  });

  it("fits at every size around the limit", () => {
    for (let size = 99_000; size < 101_000; size += 37)
      expect(messageBytes(deadLetterMessage(letter(size), "processor", 1, 100_000))).toBeLessThanOrEqual(maxMessageBytes(100_000));
  });
});

describe("createDeadLetterPublisher", () => {
  it("hands the producer letters that its chunking accepts, 2 MiB of them included", async () => {
    const sent: OutgoingMessage[][] = [];
    const producer: KafkaProducer = {
      maxBatchBytes: 100_000,
      disconnect: async () => {},
      send: async (_t, messages) => void sent.push(...chunkByBytes(messages, 100_000)),
    };
    await createDeadLetterPublisher(producer, "hs.dlq", "processor").publish([
      ...Array.from({ length: 20 }, (_, i) => letter(100_000, 8, i)),
      letter(30_000),
    ]);
    expect(sent.flat()).toHaveLength(21);
    expect(sent.length).toBeGreaterThan(20);
  });
});
