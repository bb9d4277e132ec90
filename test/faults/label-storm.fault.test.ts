/**
 * Scenario 6: every label posted 1 to 5 times over HTTP, concurrently and shuffled, and some of
 * them contradicted by a later label from another source. The re-posts collapse (the natural key
 * of a label, prediction + source + labeled_at, is its idempotency key), the later label wins in
 * every metric, and each contradiction is counted as a conflict in `label_quality`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProducer } from "../../services/common/kafka/client.js";
import { ident, sql } from "../../services/common/clickhouse/sql.js";
import { postJson, startPipeline, stopPipeline, waitForProcessor, type Pipeline } from "../helpers/harness.js";
import { seededRandom } from "../helpers/seeded-random.js";
import { checkAgainstLedger, Ledger, shuffle } from "./ledger.js";
import { fromFindings, report, size } from "./figures.js";
import { anyRow } from "../../services/common/clickhouse/row-schema.js";

const LABELS = size(5_000, 50_000);
const CONFLICTS = size(100, 1_000);
const BATCH = 1_000;
const CONCURRENCY = 8;

describe("fault 6: a storm of repeated and conflicting labels", () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await startPipeline();
  });
  afterAll(() => stopPipeline(pipeline));

  it(`keeps ${LABELS} labels posted 1–5 times each exact, with ${CONFLICTS} conflicts counted`, async () => {
    const { stack, gateway } = pipeline;
    const r = seededRandom(606);
    const ledger = new Ledger({ seed: 606, predictions: LABELS, labelShare: 1 });
    ledger.addConflicts(CONFLICTS, "manual_review");
    const producer = await createProducer(stack.kafka);
    for (let from = 0; from < ledger.size; from += 10_000)
      await producer.send(stack.config.topics.predictions, ledger.predictionMessages(from, from + 10_000));
    await producer.disconnect();

    const posts: Array<ReturnType<Ledger["label"]>> = [];
    for (const l of ledger.labels) for (let copies = 1 + Math.floor(r() * 5); copies > 0; copies--) posts.push(ledger.label(l));
    shuffle(posts, r);
    const batches = Array.from({ length: Math.ceil(posts.length / BATCH) }, (_, b) => posts.slice(b * BATCH, (b + 1) * BATCH));
    let accepted = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let batch = batches.shift(); batch; batch = batches.shift()) {
          const answer = await postJson(`${gateway.url}/v1/labels`, batch);
          expect(answer.status).toBe(202);
          accepted += answer.body.accepted as number;
        }
      }),
    );
    expect(accepted).toBe(posts.length);
    await waitForProcessor(stack, stack.config, 600_000);

    const findings = await checkAgainstLedger(stack.clickhouse, ledger);
    const quality = await stack.clickhouse.rows(
      anyRow<{ source: string; labels: string; duplicates: string; conflicts: string; orphans: string }>(),
      sql`SELECT source, labels, duplicates, conflicts, orphans FROM ${ident(`${stack.config.clickhouse.database}.label_quality`)} WHERE model_id = ${ledger.model} ORDER BY source`,
    );
    report(
      fromFindings("6. repeated and conflicting labels", findings, {
        note: `${posts.length} label posts for ${ledger.labels.length} distinct labels, ${CONFLICTS} conflicting; conflicts counted ${quality.reduce((n, q) => n + Number(q.conflicts), 0)}`,
      }),
    );
    expect(findings.predictions).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.labels).toMatchObject({ lost: 0, doubled: 0, foreign: 0 });
    expect(findings.windowMismatches).toEqual([]);
    expect(quality.map((q) => [q.source, Number(q.labels), Number(q.duplicates), Number(q.conflicts), Number(q.orphans)])).toEqual([
      ["chargebacks", LABELS, 0, 0, 0],
      ["manual_review", CONFLICTS, 0, CONFLICTS, 0],
    ]);
  });
});
