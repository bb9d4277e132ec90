/**
 * The plain baseline the issue names: gradient-boosted trees on the raw fields of an alert (its
 * rule kind, metric, scope, model, slice and type within the model as category codes, severity,
 * breach size, sample size, hour and weekday), no history features. Its threshold is chosen on
 * training data only: fitted on the first 75 % of the training part, the threshold keeps the target
 * recall on the last 25 %, then the model is refitted on the whole training part and scored once.
 */
import { fitBoostedTrees, predictTrees } from "../../services/common/domain/suppressor/boosted-trees.js";
import { labelAt } from "../../services/common/domain/suppressor/replay.js";
import { chooseThreshold } from "../../services/common/domain/suppressor/threshold.js";
import { isActed, type AlertRecord } from "../../services/common/domain/suppressor/types.js";

const FIELDS = ["rule_kind", "metric", "scope", "model", "slice"] as const;

/** Category codes by first appearance in the training part (unseen values get the next code). */
function encoder(train: readonly AlertRecord[]) {
  const codes = new Map<string, number>();
  const code = (key: string) => {
    let c = codes.get(key);
    if (c === undefined) codes.set(key, (c = codes.size));
    return c;
  };
  for (const r of train) row(r);
  function row(r: AlertRecord): Float32Array {
    const date = new Date(r.time);
    return Float32Array.from([
      ...FIELDS.map((f) => code(`${f}=${r[f]}`)),
      code(`tm=${r.rule_kind}|${r.metric}|${r.scope}|${r.model}`),
      ["info", "warning", "critical"].indexOf(r.severity),
      Math.log1p(r.deviation),
      Math.log10(1 + r.sample_size),
      date.getUTCHours(),
      date.getUTCDay(),
    ]);
  }
  return row;
}

const guarded = (r: AlertRecord) => r.severity === "critical" || r.rule_kind === "slo";

export function rawBoostedBaseline(
  train: readonly AlertRecord[],
  test: readonly AlertRecord[],
  targetRecall: number,
  timeoutMs = 24 * 3_600_000,
) {
  const now = test[0]!.time;
  const encode = encoder(train);
  const labelled = train.flatMap((r) => {
    const y = labelAt(r, now, timeoutMs);
    return y === undefined ? [] : [{ r, x: encode(r), y }];
  });
  const cut = Math.floor(labelled.length * 0.75);
  const options = { trees: 150, maxDepth: 4 };
  const early = fitBoostedTrees(
    labelled.slice(0, cut).map((l) => l.x),
    labelled.slice(0, cut).map((l) => l.y),
    options,
  );
  const threshold = chooseThreshold(
    labelled.slice(cut).map((l) => ({ score: predictTrees(early, l.x), acted: l.y === 1, decidable: !guarded(l.r), weight: 1 })),
    targetRecall,
  );
  const model = fitBoostedTrees(
    labelled.map((l) => l.x),
    labelled.map((l) => l.y),
    options,
  );
  let held = 0;
  let acted = 0;
  let actedKept = 0;
  for (const r of test) {
    const surfaced = guarded(r) || predictTrees(model, encode(r)) >= threshold;
    if (!surfaced) held++;
    if (isActed(r)) {
      acted++;
      if (surfaced) actedKept++;
    }
  }
  return { threshold, heldBack: held / test.length, recall: acted === 0 ? 1 : actedKept / acted };
}
