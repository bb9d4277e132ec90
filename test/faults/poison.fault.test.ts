/**
 * Scenario 4: malformed messages (bad magic byte, unknown schema version, truncated, a record of
 * the wrong type, a value out of range) spread among valid ones. Exactly those land in the
 * dead-letter topic, each with its reason, its origin and its original bytes; every valid event is
 * stored once, and the stream never stalls on them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer } from "../../services/common/kafka/client.js";
import type { Processor } from "../../services/processor/processor.js";
import { createTestStack, startProcessor, waitForProcessor, type TestStack } from "../helpers/harness.js";
import { checkAgainstLedger, checkDeadLetters, Ledger } from "./ledger.js";
import { fromFindings, report, size } from "./figures.js";

const TOTAL = size(50_000, 500_000);
const POISON = size(100, 1_000);
const SLICE = 5_000;

describe("fault 4: poison messages", () => {
  let stack: TestStack;
  let processor: Processor | undefined;

  beforeAll(async () => {
    // Each dead letter is logged as a warning; the figures line is what this scenario shows.
    stack = await createTestStack({ LOG_LEVEL: "error" });
  });
  afterAll(async () => {
    await processor?.stop();
    await stack?.cleanup();
  });

  it(`dead-letters exactly the ${POISON} malformed messages among ${TOTAL}, and loses no valid one`, async () => {
    const ledger = new Ledger({ seed: 404, predictions: TOTAL - POISON, labelShare: 0.2 });
    const poison = ledger.addPoison(POISON, stack.config.topics.predictions);
    const producer = await createProducer(stack.kafka);
    const started = Date.now();
    processor = await startProcessor(stack.config, stack.clickhouse);
    const slices = Math.ceil(ledger.size / SLICE);
    for (let s = 0; s < slices; s++) {
      const bad = poison.slice(Math.floor((s * POISON) / slices), Math.floor(((s + 1) * POISON) / slices));
      const messages = ledger.predictionMessages(s * SLICE, (s + 1) * SLICE);
      // Poison in the middle of each slice, so valid messages follow it on its partition.
      messages.splice(messages.length >> 1, 0, ...bad.map((p) => ({ key: p.key, value: p.value })));
      await producer.send(stack.config.topics.predictions, messages);
    }
    // In slices too: one request with every label would pass the broker's message size limit.
    const labelMessages = ledger.labelMessages(ledger.labels);
    for (let i = 0; i < labelMessages.length; i += SLICE)
      await producer.send(stack.config.topics.labels, labelMessages.slice(i, i + SLICE));
    await producer.disconnect();
    await waitForProcessor(stack, stack.config, 900_000);
    const drainedS = (Date.now() - started) / 1000;

    const [findings, letters] = await Promise.all([
      checkAgainstLedger(stack.clickhouse, ledger),
      checkDeadLetters(stack.kafka, stack.config.topics.dlq, ledger),
    ]);
    const events = TOTAL + ledger.labels.length;
    report(
      fromFindings("4. poison messages", findings, {
        inDlq: letters.inDlq,
        recoveryS: null,
        note: `${POISON} malformed of ${TOTAL}; all ${events} messages processed in ${drainedS.toFixed(1)} s (${Math.round(events / drainedS)} events/s), no stall`,
      }),
    );
    expect(letters).toEqual({ expected: POISON, inDlq: POISON, missing: 0, unexpected: 0, wrongReasonOrOrigin: [] });
    expect(findings.predictions).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.labels).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.windowMismatches).toEqual([]);
  });
});
