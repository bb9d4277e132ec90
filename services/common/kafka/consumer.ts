/**
 * A consumer-group loop with at-least-once delivery done right: the handler gets a partition's
 * batch, and only after it resolves (its rows acknowledged by ClickHouse, its dead letters by
 * Kafka) is the last offset resolved and committed. While the handler waits, the loop keeps
 * heartbeating so a slow or absent ClickHouse does not get the member thrown out of its group.
 */
import type { Kafka, Consumer, IHeaders } from "kafkajs";
import type { Logger } from "../observability/logger.js";

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
}

export type BatchHandler = (batch: PartitionBatch) => Promise<void>;

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  logger: Logger;
  /** True once the service stops: a batch failing then is dropped quietly, uncommitted, for the next start to read again. */
  stopping?: () => boolean;
  /** Partitions handled at once; their rows share the ClickHouse writers' batches. */
  partitionsConsumedConcurrently?: number;
  heartbeatEveryMs?: number;
  fromBeginning?: boolean;
  /** Bytes a fetch waits for (up to 250 ms) before it returns: larger batches for fewer lookups (default 1). */
  minBytes?: number;
}

export interface BatchConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the member holds an assignment and its fetch loop runs. */
  isRunning(): boolean;
  /** Whether the member was assigned this partition at its latest join of the group. */
  holds(topic: string, partition: number): boolean;
}

/** Pause before a crashed consumer is started again: doubling from 1 s, at most a minute. */
export const restartDelayMs = (crashesInARow: number) => Math.min(60_000, 1_000 * 2 ** Math.max(0, crashesInARow - 1));

export function createBatchConsumer(kafka: Kafka, options: BatchConsumerOptions): BatchConsumer {
  let consumer: Consumer | undefined;
  let running = false;
  let stopped = false;
  let crashes = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  const log = options.logger;
  const stopping = () => stopped || (options.stopping?.() ?? false);
  let assignment: Record<string, number[]> = {};

  /** Starts a new kafkajs consumer after a pause that grows with each crash in a row; until then the healthcheck fails. */
  function restartLater(why: string): void {
    if (stopping()) return;
    const delay = restartDelayMs(++crashes);
    log.warn({ group: options.groupId, delay, crashes }, why);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      if (stopping()) return;
      launch().catch((err: Error) => {
        void consumer?.disconnect().catch(() => undefined);
        restartLater(`consumer could not start again (${err.message}); trying later`);
      });
    }, delay);
  }

  /** A new kafkajs consumer, joined and fetching: kafkajs cannot run a consumer again once it has given up on it. */
  async function launch(): Promise<void> {
    const c: Consumer = kafka.consumer({
      groupId: options.groupId,
      // A dead member is noticed within 10 s; live ones heartbeat every 3 s, also while waiting.
      sessionTimeout: 10_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxWaitTimeInMs: 250,
      minBytes: options.minBytes ?? 1,
      allowAutoTopicCreation: false,
    });
    consumer = c;
    c.on(c.events.CRASH, (e) => {
      log.error({ err: e.payload.error, restart: e.payload.restart }, "consumer crashed");
      if (e.payload.restart || consumer !== c) return;
      // kafkajs gives up on errors it does not know as retriable, such as a TypeError inside its own
      // offset bookkeeping during a rebalance: the member would stay out of its group for good.
      running = false;
      assignment = {};
      restartLater("consumer stopped by kafkajs; starting it again");
    });
    // Until the group has settled again this member holds nothing (others may be handed its partitions).
    c.on(c.events.REBALANCING, () => {
      assignment = {};
    });
    c.on(c.events.GROUP_JOIN, (e) => {
      assignment = e.payload.memberAssignment;
      log.info({ assignment }, "joined consumer group");
    });
    await c.connect();
    await c.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
    await c.run({
      eachBatchAutoResolve: false,
      autoCommit: true,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        // Stopping: take nothing new, and fetch the partition no more until the member leaves.
        if (stopping()) return void pause();
        const work = options.handler({
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages.map((m) => ({
            topic: batch.topic,
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: m.headers,
          })),
        });
        try {
          await keepAlive(work, heartbeat, options.heartbeatEveryMs ?? 2_000, log);
        } catch (err) {
          // Stopping: leave it uncommitted without an error; the next start reads it again.
          if (stopping()) return void pause();
          throw retriable(err);
        }
        // The handler finished the whole batch: every offset in it is safe to commit.
        resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
        await commitOffsetsIfNecessary();
        crashes = 0;
      },
    });
    running = true;
  }

  return {
    start: launch,
    async stop() {
      running = false;
      stopped = true;
      assignment = {};
      clearTimeout(restartTimer);
      await consumer?.disconnect();
    },
    isRunning: () => running,
    holds: (topic, partition) => running && (assignment[topic] ?? []).includes(partition),
  };
}

/**
 * A failed batch is always worth another try: none of its offsets were committed, and handlers are
 * idempotent. kafkajs retries (and finally restarts the consumer) only for errors it considers
 * retriable, and stops the consumer for good on any other, such as a broker restart surfacing as
 * "Failed to find group coordinator" from a handler's own Kafka call.
 */
export function retriable(err: unknown): Error {
  const cause = err instanceof Error ? err : new Error(String(err));
  return Object.assign(new Error(`batch handler failed: ${cause.message}`, { cause }), { retriable: true });
}

async function keepAlive(work: Promise<void>, heartbeat: () => Promise<void>, everyMs: number, log: Logger): Promise<void> {
  let done = false;
  void (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (done) return;
      // A failed heartbeat (e.g. a rebalance in progress) must not abandon the work in flight.
      await heartbeat().catch((err: Error) => log.warn({ err: err.message }, "heartbeat failed while waiting for the batch"));
    }
  })();
  try {
    await work;
  } finally {
    done = true;
  }
}
