/**
 * A consumer-group loop with at-least-once delivery done right: the handler gets a partition's
 * batch, and only after it resolves (its rows acknowledged by ClickHouse, its dead letters by
 * Kafka) is the last offset resolved and committed. While the handler waits, the loop keeps
 * heartbeating so a slow or absent ClickHouse does not get the member thrown out of its group.
 */
import type { Kafka, Consumer, IHeaders } from "kafkajs";
import type { Logger } from "../observability/logger.js";
import { CommitQueue } from "./commit-queue.js";

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

/** Returned by a pipelined handler once it has taken a batch: `durable` settles when its writes do. */
export interface Taken {
  durable: Promise<void>;
}

export type BatchHandler = (batch: PartitionBatch) => Promise<void>;
export type PipelinedHandler = (batch: PartitionBatch) => Promise<Taken>;

interface ConsumerOptions {
  groupId: string;
  topics: string[];
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

export type BatchConsumerOptions = ConsumerOptions &
  (
    | { handler: BatchHandler }
    | {
        /**
         * A handler that returns once it has taken the batch, so the next fetch is handled while
         * this one is written; offsets are committed once durable (commit-queue.ts), with at most
         * `maxPendingMessages` waiting.
         */
        pipelined: { handler: PipelinedHandler; maxPendingMessages: number };
      }
  );

export interface BatchConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** True while the member holds an assignment and its fetch loop runs. */
  isRunning(): boolean;
  /** Whether the member was assigned this partition at its latest join of the group. */
  holds(topic: string, partition: number): boolean;
}

export function createBatchConsumer(kafka: Kafka, options: BatchConsumerOptions): BatchConsumer {
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    // A dead member is noticed within 10 s; live ones heartbeat every 3 s, also while waiting.
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 2 * 1024 * 1024,
    maxWaitTimeInMs: 250,
    minBytes: options.minBytes ?? 1,
    allowAutoTopicCreation: false,
  });
  let running = false;
  let stopped = false;
  const log = options.logger;
  const stopping = () => stopped || (options.stopping?.() ?? false);
  const pipelined = "pipelined" in options ? options.pipelined : undefined;
  const commits = pipelined
    ? new CommitQueue(
        {
          commit: (topic, partition, offset) => consumer.commitOffsets([{ topic, partition, offset }]),
          pause: (topic, partition) => consumer.pause([{ topic, partitions: [partition] }]),
          seek: (topic, partition, offset) => {
            consumer.seek({ topic, partition, offset });
            consumer.resume([{ topic, partitions: [partition] }]);
          },
          stopping,
          onFailure: (topic, partition, offset, error, retryInMs) =>
            log.warn({ topic, partition, offset, err: error.message, retryInMs }, "batch failed; reading it again"),
          onCommitError: (topic, partition, error) =>
            log.info({ topic, partition, err: error.message }, "offset commit refused; a later commit or the next owner covers it"),
        },
        pipelined.maxPendingMessages,
      )
    : undefined;
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ err: e.payload.error, restart: e.payload.restart }, "consumer crashed");
    // kafkajs will not restart it: say so through the healthcheck rather than idle silently.
    if (!e.payload.restart) running = false;
  });
  let assignment: Record<string, number[]> = {};
  // Until the group has settled again this member holds nothing (others may be handed its partitions).
  consumer.on(consumer.events.REBALANCING, () => {
    assignment = {};
    if (commits) {
      commits.reset();
      consumer.resume(consumer.paused());
    }
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assignment = e.payload.memberAssignment;
    log.info({ assignment }, "joined consumer group");
  });

  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: options.topics, fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        eachBatchAutoResolve: false,
        // A pipelined consumer commits itself, once its batches are durable.
        autoCommit: !commits,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 3,
        eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale, pause }) => {
          if (batch.messages.length === 0 || !isRunning() || isStale()) return;
          // Stopping: take nothing new, and fetch the partition no more until the member leaves.
          if (stopping()) return void pause();
          const first = batch.messages[0]!.offset;
          const last = batch.messages[batch.messages.length - 1]!.offset;
          if (commits && !commits.accepts(batch.topic, batch.partition, first)) return;
          const taken: PartitionBatch = {
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
          };
          try {
            if (commits && pipelined) {
              await keepAlive(commits.room(), heartbeat, options.heartbeatEveryMs ?? 2_000, log);
              const { durable } = await keepAlive(pipelined.handler(taken), heartbeat, options.heartbeatEveryMs ?? 2_000, log);
              commits.add(batch.topic, batch.partition, first, last, taken.messages.length, durable);
              // Fetch on; the commit waits for `durable`.
              resolveOffset(last);
              return;
            }
            await keepAlive((options as { handler: BatchHandler }).handler(taken), heartbeat, options.heartbeatEveryMs ?? 2_000, log);
          } catch (err) {
            // Stopping: leave it uncommitted without an error; the next start reads it again.
            if (stopping()) return void pause();
            throw retriable(err);
          }
          // The handler finished the whole batch: every offset in it is safe to commit.
          resolveOffset(last);
          await commitOffsetsIfNecessary();
        },
      });
      running = true;
    },
    async stop() {
      running = false;
      stopped = true;
      // What was written before the stop is committed before the member leaves.
      await commits?.drain();
      assignment = {};
      await consumer.disconnect();
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

async function keepAlive<T>(work: Promise<T>, heartbeat: () => Promise<void>, everyMs: number, log: Logger): Promise<T> {
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
    return await work;
  } finally {
    done = true;
  }
}
