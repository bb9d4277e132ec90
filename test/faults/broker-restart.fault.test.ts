/**
 * Scenario 2 (full mode only; it kills a broker): the Kafka broker killed with SIGKILL and
 * restarted 3 times while label batches are posted over HTTP. While the broker is down the gateway
 * answers 503 with Retry-After instead of accepting what it cannot deliver; the client re-posts
 * the same batch, and since a label's natural key (prediction, source, labeled_at) is its
 * idempotency key, a re-post that did reach Kafka collapses. Every 2xx-acknowledged label is stored.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer } from "../../services/common/kafka/client.js";
import { startGateway, TEST_TOKEN, waitForProcessor } from "../helpers/harness.js";
import { checkAgainstLedger, Ledger } from "./ledger.js";
import { FULL, fromFindings, report } from "./figures.js";
import { rawPost } from "./http.js";
import { FAULT_PORTS, startOwnStack, type OwnStack } from "./own-stack.js";
import { killHard, spawnProcessor, stopGracefully } from "./processes.js";

const LABELS = 30_000;
const BATCH = 500;
const RESTARTS = 3;
const DOWN_MS = 15_000;

describe.skipIf(!FULL)("fault 2: the Kafka broker killed and restarted during HTTP label ingestion", () => {
  let stack: OwnStack;
  let gateway: { url: string; close: () => Promise<void> } | undefined;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startOwnStack("faults-stack", FAULT_PORTS);
  });
  afterAll(async () => {
    if (child) await killHard(child);
    await gateway?.close().catch(() => undefined);
    await stack?.close();
  });

  it(`stores every acknowledged label across ${RESTARTS} broker kills, answering 503 while it is down`, async () => {
    const ledger = new Ledger({ seed: 202, predictions: LABELS, labelShare: 1 });
    const producer = await createProducer(stack.kafka);
    for (let from = 0; from < ledger.size; from += 10_000)
      await producer.send(stack.config.topics.predictions, ledger.predictionMessages(from, from + 10_000));
    await producer.disconnect();
    child = spawnProcessor(stack.env);
    gateway = await startGateway(stack.config);

    const down: Array<{ from: number; to: number }> = [];
    const answers: Array<{ started: number; ended: number; status: number; retryAfter?: string }> = [];
    let posting = true;
    const faults = (async () => {
      for (let k = 0; k < RESTARTS && posting; k++) {
        await new Promise((resolve) => setTimeout(resolve, 5_000));
        const from = Date.now();
        await stack.killBroker();
        await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
        down.push({ from, to: Date.now() });
        await stack.startBroker();
      }
    })();

    let acknowledged = 0;
    for (let b = 0; b * BATCH < ledger.labels.length; b++) {
      const batch = ledger.labels.slice(b * BATCH, (b + 1) * BATCH).map((l) => ledger.label(l));
      const body = JSON.stringify(batch);
      for (;;) {
        const started = Date.now();
        const answer = await rawPost(
          `${gateway.url}/v1/labels`,
          { authorization: `Bearer ${TEST_TOKEN}`, "content-type": "application/json" },
          body,
          60_000,
        ).catch(() => undefined);
        answers.push({
          started,
          ended: Date.now(),
          status: answer?.status ?? 0,
          retryAfter: answer?.headers["retry-after"] as string | undefined,
        });
        if (answer?.status === 202) {
          acknowledged += JSON.parse(answer.body).accepted as number;
          break;
        }
        // The same batch again, as a client honouring Retry-After would (sooner, to keep the test short).
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
      // A steady trickle, so that the posting spans every restart.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    posting = false;
    await faults;
    expect(acknowledged).toBe(ledger.labels.length);

    const restored = Date.now();
    await waitForProcessor({ kafka: stack.kafka } as never, stack.config, 600_000);
    const drainS = (Date.now() - restored) / 1000;
    const findings = await checkAgainstLedger(stack.clickhouse, ledger);
    const whileDown = answers.filter((a) => down.some((d) => a.started >= d.from && a.ended <= d.to));
    const unavailable = answers.filter((a) => a.status === 503);
    // Recovery: from each restart to the first 202 after it.
    const recoveries = down.map((d) => (answers.find((a) => a.started >= d.to && a.status === 202)?.ended ?? NaN) - d.to);
    report(
      fromFindings("2. Kafka broker kill -9 and restart ×3", findings, {
        recoveryS: Math.max(...recoveries) / 1000,
        note: `${answers.length} posts of ${BATCH} labels, ${unavailable.length} answered 503 with Retry-After, ${answers.filter((a) => a.status === 0).length} without an answer; recovery = broker restart to the next 202 (worst of ${RESTARTS}); drained in ${drainS.toFixed(1)} s`,
      }),
    );
    expect(down.length).toBe(RESTARTS);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(whileDown.filter((a) => a.status === 202)).toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const a of unavailable) expect(a.retryAfter).toBe("5");
    expect(findings.labels).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.predictions).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.windowMismatches).toEqual([]);
    await stopGracefully(child);
    child = undefined;
  });
});
