import { describe, expect, it } from "vitest";
import { withSendDeadline, type KafkaProducer } from "./client.js";
import { retriable } from "./consumer.js";

function producer(send: () => Promise<void>): KafkaProducer {
  return { send, disconnect: async () => {} };
}

describe("withSendDeadline", () => {
  it("passes an acknowledged send through", async () => {
    await expect(withSendDeadline(producer(async () => {}), 1_000).send("t", [])).resolves.toBeUndefined();
  });

  it("passes a failed send's error through", async () => {
    await expect(withSendDeadline(producer(async () => Promise.reject(new Error("broker said no"))), 1_000).send("t", [])).rejects.toThrow("broker said no");
  });

  it("fails a send still unacknowledged at the deadline, naming it", async () => {
    await expect(withSendDeadline(producer(() => new Promise(() => {})), 20).send("t", [])).rejects.toThrow("Kafka did not acknowledge within 20 ms");
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
