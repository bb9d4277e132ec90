/** Reads what landed in a topic, for assertions (a throwaway consumer group from the beginning). */
import { randomBytes } from "node:crypto";
import type { Kafka } from "kafkajs";

export interface ReadMessage {
  key: Buffer | null;
  value: Buffer;
  partition: number;
  headers: Record<string, string>;
}

export async function readTopic(kafka: Kafka, topic: string, atLeast: number, timeoutMs = 20_000): Promise<ReadMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomBytes(4).toString("hex")}`, maxWaitTimeInMs: 100 });
  const out: ReadMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`read ${out.length} of ${atLeast} messages from ${topic} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          out.push({ key: message.key, value: message.value ?? Buffer.alloc(0), partition, headers });
          if (out.length >= atLeast) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}
