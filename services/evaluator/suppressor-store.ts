/**
 * The suppressor's store on ClickHouse: the history is every stored alert with its latest
 * feedback, and model versions go to `suppressor_models`, newest first.
 */
import type { AlertsRepository } from "../common/clickhouse/alerts.repository.js";
import type { SavedModel, SuppressorStore } from "./suppressor/store.js";
import { loadHistory } from "./suppression.js";

/** `exploreRate`: the policy's, so answers to explored alerts carry their weight in training. */
export function clickHouseSuppressorStore(alerts: AlertsRepository, exploreRate: number): SuppressorStore {
  return {
    loadHistory: () => loadHistory(alerts, 0, exploreRate),
    async saveModel(m: SavedModel): Promise<void> {
      await alerts.saveSuppressorModel({
        version: m.version,
        origin: m.algorithm === "imported" ? "imported" : "trained",
        trained_at_ms: m.trainedAt,
        threshold: m.threshold,
        model: m.bytes,
        report: {
          algorithm: m.algorithm,
          featureNames: m.featureNames,
          report: m.report ?? null,
          counts: m.counts ?? null,
          foldThresholds: m.foldThresholds ?? null,
        },
      });
    },
    async latestModel(): Promise<SavedModel | undefined> {
      const row = await alerts.latestSuppressorModel();
      if (!row) return undefined;
      const r = row.report as {
        algorithm?: string;
        featureNames?: string[];
        report?: SavedModel["report"] | null;
        counts?: SavedModel["counts"] | null;
        foldThresholds?: number[] | null;
      };
      return {
        version: row.version,
        algorithm: r.algorithm ?? row.origin,
        threshold: row.threshold,
        featureNames: r.featureNames ?? [],
        trainedAt: row.trained_at_ms,
        bytes: row.model,
        ...(r.report ? { report: r.report } : {}),
        ...(r.counts ? { counts: r.counts } : {}),
        ...(r.foldThresholds ? { foldThresholds: r.foldThresholds } : {}),
      };
    },
  };
}
