/**
 * Scenario 1: `kill -9` of the processor at random points while events stream in on 6 partitions,
 * once exactly between ClickHouse's acknowledgement of an INSERT and the offset commit that would
 * follow it. After a last restart, ClickHouse holds every ledger event once and every window's
 * metrics equal the ledger's.
 */
import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumerLag, createProducer, withAdmin } from "../../services/common/kafka/client.js";
import { ident, sql } from "../../services/common/clickhouse/sql.js";
import { count, createTestStack, waitForProcessor, waitUntil, type TestStack } from "../helpers/harness.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { checkAgainstLedger, Ledger } from "./ledger.js";
import { fromFindings, report, size } from "./figures.js";
import { exited, killHard, spawnProcessor, stopGracefully } from "./processes.js";
import { anyRow } from "../../services/common/clickhouse/row-schema.js";

const EVENTS = size(20_000, 200_000);
const KILLS = size(3, 10);
const SLICE = 1_000;
// Production is paced to last about as long as the kills take, so that they land mid-stream.
const PRODUCE_MS = KILLS * 4_000;

describe("fault 1: kill -9 of the processor", () => {
  let stack: TestStack;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_PARTITIONS: "6", HINDSIGHT_BATCH_MAX_ROWS: "5000" });
  });
  afterAll(async () => {
    if (child) await killHard(child);
    await stack?.cleanup();
  });

  it(`loses and doubles nothing over ${KILLS} kills during ${EVENTS} events`, async () => {
    const r = seededRandom(101);
    const ledger = new Ledger({ seed: 101, predictions: EVENTS, labelShare: 0.4 });
    const producer = await createProducer(stack.kafka);
    const producing = (async () => {
      let next = 0;
      for (let from = 0; from < EVENTS; from += SLICE) {
        await producer.send(stack.config.topics.predictions, ledger.predictionMessages(from, from + SLICE));
        // The ledger's labels are in prediction order: send those of this slice's predictions.
        let upTo = next;
        while (upTo < ledger.labels.length && ledger.labels[upTo]!.index < from + SLICE) upTo++;
        await producer.send(stack.config.topics.labels, ledger.labelMessages(ledger.labels.slice(next, upTo)));
        next = upTo;
        await new Promise((resolve) => setTimeout(resolve, PRODUCE_MS / (EVENTS / SLICE)));
      }
    })();

    let gapRows = 0;
    for (let k = 0; k < KILLS; k++) {
      if (k === 1) {
        // This one kills itself right after ClickHouse acknowledged an INSERT, before the commit.
        child = spawnProcessor(stack.env, { crashAfterInserts: 1 });
        await exited(child, "the processor to kill itself after its first acknowledged predictions insert");
        expect(child.signalCode).toBe("SIGKILL");
        const [stored, committed] = await Promise.all([distinctStored(stack), committedOffsets(stack)]);
        gapRows = stored - committed;
        // Rows are in ClickHouse whose offsets were never committed: the restart re-reads them.
        expect(gapRows).toBeGreaterThan(0);
        continue;
      }
      child = spawnProcessor(stack.env);
      const before = await count(stack, "predictions");
      // Progress, or nothing left to do: late in the run every event may already be stored.
      await waitUntil(
        "the processor to make progress or catch up",
        async () => [
          await count(stack, "predictions"),
          Object.values(
            await consumerLag(stack.kafka, stack.config.processor.groupId, [stack.config.topics.predictions, stack.config.topics.labels]),
          ).reduce((a, b) => a + b, 0),
        ],
        ([n, lag]) => n! > before || lag === 0,
        60_000,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.floor(r() * 1_500)));
      await killHard(child);
    }
    await producing;
    await producer.disconnect();

    const restarted = Date.now();
    child = spawnProcessor(stack.env);
    await waitForProcessor(stack, stack.config, 600_000);
    const recoveryS = (Date.now() - restarted) / 1000;
    const findings = await checkAgainstLedger(stack.clickhouse, ledger);
    report(
      fromFindings("1. kill -9 of the processor", findings, {
        recoveryS,
        note: `${KILLS} kills, 6 partitions, ${gapRows} rows acknowledged but uncommitted at the ack/commit kill; recovery = last restart to zero lag`,
      }),
    );
    expect(findings.predictions).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.labels).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.windowMismatches).toEqual([]);
    await stopGracefully(child);
    child = undefined;
  });
});

async function distinctStored(stack: TestStack): Promise<number> {
  const [row] = await stack.clickhouse.rows(
    anyRow<{ n: string }>(),
    sql`SELECT uniqExact(prediction_id) AS n FROM ${ident(`${stack.config.clickhouse.database}.predictions`)}`,
  );
  return Number(row!.n);
}

/** Messages of the predictions topic the ingestion group has committed (its offsets start at 0). */
async function committedOffsets(stack: TestStack): Promise<number> {
  return withAdmin(stack.kafka, async (admin) => {
    const [topic] = await admin.fetchOffsets({ groupId: stack.config.processor.groupId, topics: [stack.config.topics.predictions] });
    return topic!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  });
}
