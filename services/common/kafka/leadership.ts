/**
 * One leader among several instances of a service, elected by Kafka itself: every instance joins
 * one consumer group over a one-partition topic, and the member assigned that partition leads.
 * A leader that dies is replaced after the group's session timeout (10 s); a rebalance takes the
 * lead away before the group hands it on (kafkajs announces it), so two instances lead at the same
 * time only for the length of a step already under way.
 */
import type { Kafka } from "kafkajs";
import type { Logger } from "../observability/logger.js";
import { createBatchConsumer, type BatchConsumer } from "./consumer.js";
import { ensureTopics } from "./client.js";

export interface Leadership {
  start(): Promise<void>;
  stop(): Promise<void>;
  isLeader(): boolean;
}

/** A single instance needs no election: it always leads. */
export const ALWAYS_LEADER: Leadership = { start: async () => {}, stop: async () => {}, isLeader: () => true };

export function createLeadership(kafka: Kafka, options: { topic: string; groupId: string; logger: Logger }): Leadership {
  let consumer: BatchConsumer | undefined;
  let was = false;
  return {
    async start() {
      await ensureTopics(kafka, [options.topic], 1);
      consumer = createBatchConsumer(kafka, {
        groupId: options.groupId,
        topics: [options.topic],
        // Nothing is ever written to the topic: the assignment is the message.
        handler: async () => {},
        logger: options.logger,
        fromBeginning: false,
      });
      await consumer.start();
    },
    async stop() {
      await consumer?.stop();
      consumer = undefined;
    },
    isLeader() {
      const now = consumer?.holds(options.topic, 0) ?? false;
      if (now !== was)
        options.logger.info({ group: options.groupId }, now ? "leading: this instance evaluates and delivers" : "no longer leading");
      was = now;
      return now;
    },
  };
}
