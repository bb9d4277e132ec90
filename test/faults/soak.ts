/**
 * The soak: a steady stream for a long time with a fault every few minutes, printing the
 * processor's memory, event-loop lag, ClickHouse's active parts and the consumer lag over time
 * (flat is the goal), and at the end the ledger check (lost, doubled). Runs on its own Kafka and
 * ClickHouse (ports 39192 / 38223, state in .cache/soak-stack).
 *
 *   npm run soak -- [--minutes 30] [--rate 1000] [--fault-every 5] [--sample-every 30]
 *
 * Faults, in turn: kill -9 of the processor, kill -9 of the broker (restarted after 10 s),
 * ClickHouse stopped for 30 s, ClickHouse frozen (SIGSTOP) for 30 s, a second processor joining
 * for a minute and leaving.
 */
import type { ChildProcess } from "node:child_process";
import { parseArgs } from "node:util";
import { consumerLag, createProducer, type KafkaProducer, type OutgoingMessage } from "../../services/common/kafka/client.js";
import { dirtyWindowsRepository } from "../../services/common/clickhouse/dirty-windows.repository.js";
import { metricsGroupId } from "../../services/processor/processor.js";
import { checkAgainstLedger, Ledger } from "./ledger.js";
import { startOwnStack, SOAK_PORTS, type OwnStack } from "./own-stack.js";
import { activeParts, freePort, processorHealth } from "./probes.js";
import { killHard, spawnProcessor, stopGracefully } from "./processes.js";

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string", default: "30" },
    rate: { type: "string", default: "1000" },
    "fault-every": { type: "string", default: "5" },
    "sample-every": { type: "string", default: "30" },
  },
});
const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
const FAULT_EVERY_MS = Number(args["fault-every"]) * 60_000;
const SAMPLE_MS = Number(args["sample-every"]) * 1000;
if (![MINUTES, RATE, FAULT_EVERY_MS, SAMPLE_MS].every((n) => Number.isFinite(n) && n > 0))
  throw new Error("--minutes, --rate, --fault-every and --sample-every must be positive numbers");

const say = (line: string) => process.stdout.write(`${line}\n`);
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const stack: OwnStack = await startOwnStack("soak-stack", SOAK_PORTS, { HINDSIGHT_PARTITIONS: "6" });
const metricsPort = await freePort();
let processor: ChildProcess = spawnProcessor({ ...stack.env, HINDSIGHT_PROCESSOR_METRICS_PORT: String(metricsPort) });
let second: ChildProcess | undefined;
const ledger = new Ledger({ seed: 909, predictions: Math.round(RATE * MINUTES * 60), labelShare: 0.3, hours: Math.max(6, MINUTES / 10) });
const groups = [stack.config.processor.groupId, metricsGroupId(stack.config.processor.groupId)];
const topics = [stack.config.topics.predictions, stack.config.topics.labels];
const started = Date.now();
const elapsed = () => Date.now() - started;
let faultLog = "";

/** Sends, retrying the same messages while the broker is away (a re-send collapses in the views). */
async function sendSurely(producer: { current: KafkaProducer }, topic: string, messages: OutgoingMessage[]): Promise<void> {
  for (;;) {
    try {
      return await producer.current.send(topic, messages);
    } catch {
      await wait(1_000);
      await producer.current.disconnect().catch(() => undefined);
      producer.current = await createProducer(stack.kafka).catch(() => producer.current);
    }
  }
}

const faults: Array<[string, () => Promise<void>]> = [
  [
    "kill -9 of the processor",
    async () => {
      await killHard(processor);
      processor = spawnProcessor({ ...stack.env, HINDSIGHT_PROCESSOR_METRICS_PORT: String(metricsPort) });
    },
  ],
  [
    "kill -9 of the broker, restarted after 10 s",
    async () => {
      await stack.killBroker();
      await wait(10_000);
      await stack.startBroker();
    },
  ],
  [
    "ClickHouse stopped for 30 s",
    async () => {
      await stack.stopClickHouse();
      await wait(30_000);
      await stack.startClickHouse();
    },
  ],
  [
    "ClickHouse frozen (SIGSTOP) for 30 s",
    async () => {
      stack.freezeClickHouse();
      await wait(30_000);
      stack.thawClickHouse();
    },
  ],
  [
    "a second processor joins for 60 s, then leaves",
    async () => {
      second = spawnProcessor(stack.env);
      await wait(60_000);
      await stopGracefully(second);
      second = undefined;
    },
  ],
];

let done = false;
const faulting = (async () => {
  for (let k = 0; ; k++) {
    const at = (k + 1) * FAULT_EVERY_MS;
    if (at >= MINUTES * 60_000) return;
    while (elapsed() < at) await wait(250);
    const [name, run] = faults[k % faults.length]!;
    faultLog = name;
    say(`# ${(elapsed() / 60_000).toFixed(1)} min: fault: ${name}`);
    await run();
    faultLog = "";
  }
})();

say(`# soak: ${MINUTES} min at ${RATE} events/s (+30 % labels), a fault every ${FAULT_EVERY_MS / 60_000} min, 6 partitions`);
say("| min | processor RSS MB | heap MB | event-loop p99 ms | ClickHouse active parts | ingestion lag | metrics lag | during |");
say("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
const series: Array<{ rss: number; parts: number; lag: number }> = [];
const sampling = (async () => {
  while (!done) {
    await wait(SAMPLE_MS - (elapsed() % SAMPLE_MS));
    const [health, parts, lags] = await Promise.all([
      processorHealth(metricsPort).catch(() => undefined),
      activeParts(stack.clickhouse).catch(() => NaN),
      Promise.all(
        groups.map((g) =>
          consumerLag(stack.kafka, g, topics)
            .then((l) => Object.values(l).reduce((a, b) => a + b, 0))
            .catch(() => NaN),
        ),
      ),
    ]);
    const fmt = (n: number | undefined, digits = 0) => (n === undefined || Number.isNaN(n) ? "–" : n.toFixed(digits));
    say(
      `| ${(elapsed() / 60_000).toFixed(1)} | ${fmt(health?.rssMb)} | ${fmt(health?.heapMb)} | ${fmt(health?.eventLoopP99Ms, 1)} | ${fmt(parts)} | ${fmt(lags[0])} | ${fmt(lags[1])} | ${faultLog} |`,
    );
    if (health && !faultLog) series.push({ rss: health.rssMb, parts, lag: lags[0]! });
  }
})();

const producer = { current: await createProducer(stack.kafka) };
let sentUpTo = 0;
let labelsUpTo = 0;
while (sentUpTo < ledger.size) {
  const due = Math.min(ledger.size, Math.round((elapsed() / 1000) * RATE));
  if (due > sentUpTo) {
    await sendSurely(producer, stack.config.topics.predictions, ledger.predictionMessages(sentUpTo, due));
    let upTo = labelsUpTo;
    while (upTo < ledger.labels.length && ledger.labels[upTo]!.index < due) upTo++;
    await sendSurely(producer, stack.config.topics.labels, ledger.labelMessages(ledger.labels.slice(labelsUpTo, upTo)));
    [sentUpTo, labelsUpTo] = [due, upTo];
  }
  await wait(100);
}
await producer.current.disconnect();
await faulting;
const loadEnded = Date.now();
for (;;) {
  const lags = await Promise.all(
    groups.map((g) =>
      consumerLag(stack.kafka, g, topics)
        .then((l) => Object.values(l).reduce((a, b) => a + b, 0))
        .catch(() => NaN),
    ),
  );
  // Marks are stored before the metrics group commits: once nothing is unread, none is missing.
  const pending = lags.every((l) => l === 0) ? await dirtyWindowsRepository(stack.clickhouse).pendingCount() : -1;
  if (pending === 0) break;
  if (Date.now() - loadEnded > 30 * 60_000)
    throw new Error(`the processor did not catch up within 30 min after the load; lags ${lags.join(", ")}, windows pending ${pending}`);
  await wait(1_000);
}
done = true;
await sampling;
const findings = await checkAgainstLedger(stack.clickhouse, ledger);
const third = Math.max(1, Math.floor(series.length / 3));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const firstThird = series.slice(0, third);
const lastThird = series.slice(-third);
say(`# caught up ${((Date.now() - loadEnded) / 1000).toFixed(1)} s after the load ended`);
say(
  `# flatness (samples outside faults): RSS ${mean(firstThird.map((s) => s.rss)).toFixed(0)} → ${mean(lastThird.map((s) => s.rss)).toFixed(0)} MB, active parts ${mean(firstThird.map((s) => s.parts)).toFixed(0)} → ${mean(lastThird.map((s) => s.parts)).toFixed(0)}, first third → last third`,
);
const sent = findings.predictions.sent + findings.labels.sent;
const lost = findings.predictions.lost + findings.labels.lost;
const doubled = findings.predictions.doubled + findings.labels.doubled + findings.predictions.foreign + findings.labels.foreign;
say(
  `# soak: sent ${sent}, found ${findings.predictions.found + findings.labels.found}, lost ${lost}, doubled ${doubled}, in DLQ 0, windows ${findings.windows} with ${findings.windowMismatches.length} mismatched`,
);
for (const m of findings.windowMismatches.slice(0, 10)) say(`#   ${m}`);
await killHard(processor);
if (second) await killHard(second);
await stack.close();
process.exit(lost === 0 && doubled === 0 && findings.windowMismatches.length === 0 ? 0 : 1);
