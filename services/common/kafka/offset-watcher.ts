/**
 * Waits until a consumer group has stored past an offset. The metrics consumer uses it to follow
 * the ingestion consumer: a batch is joined only once its raw rows are known to be in ClickHouse.
 * Known either from this process's own ingestion (`stored`, at once) or from the group's committed
 * offsets, polled from the broker for partitions another instance ingests (the ingestion group
 * commits only after its rows are stored).
 */
import type { Admin, Kafka } from "kafkajs";

export interface OffsetWatcher {
  /** Resolves once the rows below `offset` on the partition are stored. */
  waitFor(topic: string, partition: number, offset: bigint, signal?: { aborted: boolean }): Promise<void>;
  /** This process's ingestion stored the partition's rows below `offset`. */
  stored(topic: string, partition: number, offset: bigint): void;
  close(): Promise<void>;
}

export function createOffsetWatcher(kafka: Kafka, groupId: string, topics: string[], pollMs = 100): OffsetWatcher {
  let admin: Admin | undefined;
  let committed = new Map<string, bigint>();
  const local = new Map<string, bigint>();
  let lastRead = 0;
  let reading: Promise<void> | undefined;
  let announce: () => void = () => undefined;
  let storedHere = new Promise<void>((resolve) => (announce = resolve));

  async function refresh(): Promise<void> {
    try {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      const offsets = await admin.fetchOffsets({ groupId, topics });
      const next = new Map<string, bigint>();
      for (const { topic, partitions } of offsets) for (const p of partitions) next.set(`${topic}/${p.partition}`, BigInt(p.offset));
      committed = next;
    } catch {
      // The broker may be restarting: keep waiting (the consumer heartbeats meanwhile) with a
      // fresh admin client, one poll interval later; a stop ends the wait.
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
    }
    lastRead = Date.now();
  }

  const reached = (key: string, offset: bigint) => (committed.get(key) ?? -1n) >= offset || (local.get(key) ?? -1n) >= offset;

  return {
    async waitFor(topic, partition, offset, signal) {
      const key = `${topic}/${partition}`;
      for (;;) {
        if (reached(key, offset)) return;
        if (signal?.aborted) throw new Error("stopped while waiting for the ingestion group");
        // A store here ends the wait at once, whether polling the broker or between polls.
        const waiting =
          Date.now() - lastRead >= pollMs
            ? // One request serves every partition waiting at the same moment.
              (reading ??= refresh().finally(() => (reading = undefined)))
            : new Promise((r) => setTimeout(r, pollMs));
        await Promise.race([waiting, storedHere]);
      }
    },
    stored(topic, partition, offset) {
      const key = `${topic}/${partition}`;
      if ((local.get(key) ?? -1n) >= offset) return;
      local.set(key, offset);
      const wake = announce;
      storedHere = new Promise<void>((resolve) => (announce = resolve));
      wake();
    },
    async close() {
      await admin?.disconnect();
    },
  };
}
