/**
 * Suppressor benchmark: a seeded alert history (bench/alert-history.ts: responders with structure,
 * noise and drift) replayed in time order. The suppressor and the baselines train on the first 80%
 * and are scored on the last 20%, retraining (and refreshing the baselines' acted rates) every 7
 * days on what was known by then; the threshold (median over the rolling validation folds' ones,
 * carried over between trainings) and the baseline's cut-off are chosen on training data only. Also: training time, and ONNX scoring time
 * per alert (batched and one at a time), against the TypeScript model's own prediction in the same run.
 *
 *   npm run bench:suppressor -- [--days 120] [--seed 7] [--algorithm boosted_trees|logistic|both] [--retrain-days 7]
 */
import { parseArgs } from "node:util";
import { FEATURE_NAMES, SuppressorHistory } from "../services/common/domain/suppressor/features.js";
import { predict, type Algorithm } from "../services/common/domain/suppressor/model.js";
import { bestBaselineAtRecall, replay } from "../services/common/domain/suppressor/replay.js";
import { replayText } from "../services/cli/suppressor.js";
import { exportOnnx } from "../services/evaluator/suppressor/onnx-export.js";
import { loadOnnxModel } from "../services/evaluator/suppressor/onnx-scorer.js";
import { generateWithChances } from "./alert-history.js";

const { values } = parseArgs({ options: { days: { type: "string", default: "120" }, seed: { type: "string", default: "7" }, algorithm: { type: "string", default: "both" }, "retrain-days": { type: "string", default: "7" } } });
const days = Number(values.days);
const seed = Number(values.seed);
const algorithms: Algorithm[] = values.algorithm === "both" ? ["boosted_trees", "logistic"] : [values.algorithm as Algorithm];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const { alerts, chances } = generateWithChances({ days, seed });
const acted = alerts.filter((a) => a.action === "acted").length;
process.stdout.write(`history: ${alerts.length} alerts over ${days} days (seed ${seed}), ${pct(acted / alerts.length)} acted on\n`);

// The oracle knows each alert's true chance of action: the most any suppressor could hold back at a recall.
const split = Math.floor(alerts.length * 0.8);
const test = alerts.slice(split).map((a, i) => ({ a, p: chances[split + i]! }));
const testActed = test.filter((t) => t.a.action === "acted").length;
const oracle = (recall: number) => {
  const decidable = test.filter((t) => t.a.severity !== "critical" && t.a.rule_kind !== "slo").sort((x, y) => x.p - y.p);
  let missed = 0;
  let k = 0;
  for (; k < decidable.length; k++) {
    if (decidable[k]!.a.action === "acted" && (missed + 1) / testActed > 1 - recall) break;
    if (decidable[k]!.a.action === "acted") missed++;
  }
  return k / test.length;
};

for (const algorithm of algorithms) {
  const started = performance.now();
  const report = replay(alerts, { algorithm, retrainEveryMs: Number(values["retrain-days"]) * 86_400_000 });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`\n== ${algorithm} (replay incl. ${1 + report.retrains} trainings of 3 validation-fold fits and a final fit each: ${seconds.toFixed(1)} s) ==\n${replayText(report)}`);
  const best = bestBaselineAtRecall(report);
  const s = report.suppressor;
  process.stdout.write(
    `oracle at the same recall (${pct(s.recall)}) would suppress ${pct(oracle(s.recall))}; target: >= 60% suppressed at >= 98% recall: ` +
      `${s.suppressedShare >= 0.6 && s.recall >= 0.98 ? "met" : "NOT met"}; beats baselines: ${(best?.figures.suppressedShare ?? 0) < s.suppressedShare ? "yes" : "no"}\n`,
  );

  // Scoring speed: ONNX (onnxruntime-node) against the TypeScript model on the same feature rows.
  const history = new SuppressorHistory();
  const rows = alerts.slice(0, 5000).map((r) => {
    const x = history.features(r);
    history.add(r);
    return x;
  });
  const bytes = exportOnnx(report.fitted.model, { featureNames: FEATURE_NAMES, threshold: report.fitted.threshold, version: "bench" });
  const scorer = await loadOnnxModel(bytes);
  await scorer.score(rows.slice(0, 100));
  let t = performance.now();
  await scorer.score(rows);
  const batchUs = ((performance.now() - t) * 1000) / rows.length;
  t = performance.now();
  for (const row of rows.slice(0, 1000)) await scorer.score([row]);
  const singleUs = ((performance.now() - t) * 1000) / 1000;
  t = performance.now();
  for (const row of rows) predict(report.fitted.model, row);
  const tsUs = ((performance.now() - t) * 1000) / rows.length;
  t = performance.now();
  const h2 = new SuppressorHistory();
  for (const r of alerts.slice(0, 5000)) (h2.features(r), h2.add(r));
  const featureUs = ((performance.now() - t) * 1000) / 5000;
  await scorer.close();
  process.stdout.write(
    `ONNX model ${bytes.length} bytes; per alert: ONNX batch of ${rows.length} ${batchUs.toFixed(2)} µs, ONNX one at a time ${singleUs.toFixed(1)} µs, ` +
      `TypeScript model ${tsUs.toFixed(2)} µs (ONNX single/TS ${(singleUs / tsUs).toFixed(0)}×), features ${featureUs.toFixed(1)} µs\n`,
  );
}
