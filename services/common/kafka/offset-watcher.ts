/**
 * Waits until a consumer group has committed past an offset. The metrics consumer uses it to
 * follow the ingestion consumer: a batch's windows are recomputed only once its raw rows are
 * known to be in ClickHouse (the ingestion group commits only after they are).
 */
import type { Admin, Kafka } from "kafkajs";

export interface OffsetWatcher {
  /** Resolves once `groupId` has committed an offset ≥ `offset` on the partition. */
  waitFor(topic: string, partition: number, offset: bigint, signal?: { aborted: boolean }): Promise<void>;
  close(): Promise<void>;
}

export function createOffsetWatcher(kafka: Kafka, groupId: string, topics: string[], pollMs = 100): OffsetWatcher {
  let admin: Admin | undefined;
  let committed = new Map<string, bigint>();
  let lastRead = 0;
  let reading: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    if (!admin) {
      admin = kafka.admin();
      await admin.connect();
    }
    const offsets = await admin.fetchOffsets({ groupId, topics });
    const next = new Map<string, bigint>();
    for (const { topic, partitions } of offsets) for (const p of partitions) next.set(`${topic}/${p.partition}`, BigInt(p.offset));
    committed = next;
    lastRead = Date.now();
  }

  return {
    async waitFor(topic, partition, offset, signal) {
      for (;;) {
        if ((committed.get(`${topic}/${partition}`) ?? -1n) >= offset) return;
        if (signal?.aborted) throw new Error("stopped while waiting for the ingestion group");
        if (Date.now() - lastRead >= pollMs) {
          // One request serves every partition waiting at the same moment.
          reading ??= refresh().finally(() => (reading = undefined));
          try {
            await reading;
          } catch {
            // The broker may be restarting: keep waiting (the consumer heartbeats meanwhile) with
            // a fresh admin client, one poll interval later; a stop ends the wait.
            await admin?.disconnect().catch(() => undefined);
            admin = undefined;
            lastRead = Date.now();
          }
        } else await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    async close() {
      await admin?.disconnect();
    },
  };
}
