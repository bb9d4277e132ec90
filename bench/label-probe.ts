/**
 * Label → metric freshness probes for benchmarks: one probe at a time for a separate probe model
 * (declared binary, positive class "fraud"), a prediction stamped "now", then, once it is stored,
 * its label; the time from producing the label until its window's statistics count it.
 */
import type { Producer } from "kafkajs";
import type { Config } from "../services/common/config/env.js";
import type { ClickHouse } from "../services/common/clickhouse/client.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { encode } from "../services/common/kafka/avro-codec.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

export interface LabelProbes {
  /** Latencies (ms) of the probes so far, in the order measured, each with when it was measured. */
  samples: Array<{ atMs: number; ms: number }>;
  /** Probes whose label was not counted within PROBE_TIMEOUT_MS (not in `samples`), each with when it gave up. */
  missed: Array<{ atMs: number }>;
  stop(): Promise<void>;
}

/** How long a probe's label may take to be counted before it is reported missed. */
export const PROBE_TIMEOUT_MS = 30_000;

export function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export async function waitFor(probe: () => Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return false;
}

export function startLabelProbes(
  deps: { producer: Producer; ch: ClickHouse; config: Config },
  options: { everyMs: number; startAfterMs?: number; onProbe?: () => void },
): LabelProbes {
  const { producer, ch, config } = deps;
  const db = config.clickhouse.database;
  const labeled = async () =>
    Number(
      (
        await ch.rows(
          anyRow<{ n: string }>(),
          sql`SELECT sum(labeled) AS n FROM ${ident(`${db}.window_label_stats`)} FINAL WHERE model_id = 'probe' AND slice_key = ''`,
        )
      )[0]?.n ?? 0,
    );
  const samples: Array<{ atMs: number; ms: number }> = [];
  const missed: Array<{ atMs: number }> = [];
  let running = true;
  const loop = (async () => {
    await new Promise((r) => setTimeout(r, options.startAfterMs ?? 5_000));
    for (let seq = 0; running; seq++) {
      const id = `probe-${seq}`;
      const now = Date.now();
      const prediction = {
        prediction_id: id,
        model_id: "probe",
        model_version: "v1",
        stage: "production",
        timestamp: now - 1_000,
        features: {},
        prediction: { label: "fraud", score: 0.9, scores: null, value: null },
        segments: {},
        received_at: null,
      };
      await producer.send({ topic: config.topics.predictions, acks: 1, messages: [{ key: id, value: encode("prediction", prediction) }] });
      // The prediction must be stored before its label arrives, or the probe measures nothing.
      await waitFor(
        async () =>
          Number(
            (
              await ch.rows(
                anyRow<{ n: string }>(),
                sql`SELECT count() AS n FROM ${ident(`${db}.predictions`)} WHERE model_id = 'probe' AND prediction_id = ${id}`,
              )
            )[0]?.n,
          ) === 1,
        30_000,
      );
      const expected = (await labeled()) + 1;
      const sentAt = Date.now();
      const label = {
        prediction_id: id,
        model_id: "probe",
        label: "fraud",
        value: null,
        labeled_at: sentAt,
        source: "probe",
        received_at: null,
      };
      await producer.send({ topic: config.topics.labels, acks: 1, messages: [{ key: id, value: encode("label", label) }] });
      if (await waitFor(async () => (await labeled()) >= expected, PROBE_TIMEOUT_MS))
        samples.push({ atMs: Date.now(), ms: Date.now() - sentAt });
      else missed.push({ atMs: Date.now() });
      options.onProbe?.();
      await new Promise((r) => setTimeout(r, options.everyMs));
    }
  })();
  return {
    samples,
    missed,
    async stop() {
      running = false;
      await loop;
    },
  };
}
