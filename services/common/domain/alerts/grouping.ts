/**
 * Grouping that knows what ML alerts mean: drift on a feature whose schema, null-rate or type
 * check already fired is a symptom of that data problem, and drift on a model whose performance
 * alert is open is a likely cause listed under it. Either way it is held, not paged on its own.
 */

/** Quality checks that make a drift score on the same feature meaningless. */
export const DATA_BREAKING_CHECKS: ReadonlySet<string> = new Set(["missing", "null_fraction", "type_mismatch", "unknown_feature"]);

export type AlertCategory = "performance" | "drift" | "quality";

export function categoryOf(metric: string): AlertCategory {
  if (metric.startsWith("drift")) return "drift";
  if (metric.startsWith("quality")) return "quality";
  return "performance";
}

export interface GroupingView {
  id: string;
  metric: string;
  feature: string;
  modelId: string;
  modelVersion: string;
  /**
   * Concurrent with the alert being grouped: their episodes overlap in event time. (Not "open at
   * the moment of evaluation": that depends on which alert the evaluator happened to see first.)
   */
  open: boolean;
  parentId: string;
}

/** The alert a new drift alert belongs under, if any. */
export function parentForDrift(
  alert: Pick<GroupingView, "metric" | "feature" | "modelId" | "modelVersion">,
  others: readonly GroupingView[],
): { parentId: string; reason: string } | null {
  if (categoryOf(alert.metric) !== "drift") return null;
  const sameModel = others.filter(
    (o) => o.open && o.modelId === alert.modelId && o.modelVersion === alert.modelVersion && o.parentId === "",
  );
  const quality = sameModel.find((o) => o.feature === alert.feature && DATA_BREAKING_CHECKS.has(o.metric.slice("quality.".length)));
  if (quality)
    return { parentId: quality.id, reason: `held under the open ${quality.metric} alert on ${alert.feature}: the data check fired first` };
  const performance = sameModel.find((o) => categoryOf(o.metric) === "performance");
  if (performance)
    return { parentId: performance.id, reason: `grouped under the open ${performance.metric} alert on this model as a possible cause` };
  return null;
}

/** Open drift alerts that a new performance alert explains: they move beneath it. */
export function childrenForPerformance(
  alert: Pick<GroupingView, "id" | "metric" | "modelId" | "modelVersion">,
  others: readonly GroupingView[],
): string[] {
  if (categoryOf(alert.metric) !== "performance") return [];
  return others
    .filter(
      (o) =>
        o.open &&
        o.parentId === "" &&
        o.id !== alert.id &&
        o.modelId === alert.modelId &&
        o.modelVersion === alert.modelVersion &&
        categoryOf(o.metric) === "drift",
    )
    .map((o) => o.id);
}
