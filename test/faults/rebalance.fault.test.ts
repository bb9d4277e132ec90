/**
 * Scenario 8: processors joining and leaving the consumer groups on a schedule while events stream
 * in at a steady rate. Every rebalance hands partitions over with their committed offsets; rows a
 * leaving member wrote but did not commit are written again by the next owner and collapse.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer } from "../../services/common/kafka/client.js";
import type { Processor } from "../../services/processor/processor.js";
import { createTestStack, startProcessor, waitForProcessor, type TestStack } from "../helpers/harness.js";
import { checkAgainstLedger, Ledger, sendAtRate } from "./ledger.js";
import { fromFindings, report, size } from "./figures.js";

const PERIOD_MS = size(5_000, 30_000);
const DURATION_MS = size(20_000, 300_000);
const CHANGES = DURATION_MS / PERIOD_MS;
const RATE = size(500, 2_000);
const TICK_MS = 100;

describe("fault 8: processors joining and leaving", () => {
  let stack: TestStack;
  const members: Processor[] = [];

  beforeAll(async () => {
    // kafkajs logs every heartbeat refused during a rebalance as an error; here they are expected.
    stack = await createTestStack({ HINDSIGHT_PARTITIONS: "6", LOG_LEVEL: "fatal" });
  });
  afterAll(async () => {
    for (const m of members.splice(0)) await m.stop();
    await stack?.cleanup();
  });

  it(`loses and doubles nothing with a member joining or leaving every ${PERIOD_MS / 1000} s for ${DURATION_MS / 1000} s`, async () => {
    const ledger = new Ledger({ seed: 808, predictions: Math.round((RATE * DURATION_MS) / 1000), labelShare: 0.3 });
    const producer = await createProducer(stack.kafka);
    members.push(await startProcessor(stack.config, stack.clickhouse));
    const started = Date.now();
    let changes = 0;
    const membership = (async () => {
      // One, two, three members, then back down: every step is a rebalance of both groups.
      const targets = [2, 3, 2, 1];
      for (let step = 0; step < CHANGES; step++) {
        await new Promise((resolve) => setTimeout(resolve, PERIOD_MS));
        const target = targets[step % targets.length]!;
        while (members.length < target) members.push(await startProcessor(stack.config, stack.clickhouse));
        while (members.length > target) await members.shift()!.stop();
        changes++;
      }
    })();
    await sendAtRate(producer, stack.config.topics, ledger, RATE, started, TICK_MS);
    await producer.disconnect();
    await membership;
    const loadEnded = Date.now();
    await waitForProcessor(stack, stack.config, 600_000);
    const recoveryS = (Date.now() - loadEnded) / 1000;

    const findings = await checkAgainstLedger(stack.clickhouse, ledger);
    report(
      fromFindings("8. processors joining and leaving", findings, {
        recoveryS,
        note: `${changes} membership changes, ${RATE} events/s for ${DURATION_MS / 1000} s on 6 partitions; recovery = end of load to zero lag`,
      }),
    );
    expect(findings.predictions).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.labels).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.windowMismatches).toEqual([]);
  });
});
