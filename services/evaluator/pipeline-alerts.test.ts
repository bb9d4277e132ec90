import { describe, expect, it } from "vitest";
import type { ProblemGroup } from "../common/clickhouse/pipeline-failures.repository.js";
import { PIPELINE_RULE_ID, pipelineAlertChanges } from "./pipeline-alerts.js";

const group = (over: Partial<ProblemGroup> = {}): ProblemGroup => ({
  kind: "set_aside",
  modelId: "eta",
  open: 2,
  firstSeenMs: 1000,
  steps: ["label_stats", "volume"],
  reason: "Code: 62. Syntax error",
  ...over,
});

describe("pipelineAlertChanges", () => {
  it("one critical, surfaced alert per kind and model; unchanged groups write nothing; cleared groups resolve", () => {
    const [created] = pipelineAlertChanges([group()], [], 5000);
    expect(created).toMatchObject({
      rule_id: PIPELINE_RULE_ID,
      severity: "critical",
      disposition: "surfaced",
      model_id: "eta",
      metric: "pipeline_set_aside",
      value: 2,
      resolved_ms: null,
      started_ms: 1000,
    });
    expect(created!.summary).toContain("2 window(s) of eta set aside (label_stats, volume)");
    expect(pipelineAlertChanges([group()], [created!], 6000)).toEqual([]);
    const [grown] = pipelineAlertChanges([group({ open: 3 })], [created!], 7000);
    expect(grown).toMatchObject({ alert_id: created!.alert_id, value: 3, first_seen_wall_ms: 5000, updated_wall_ms: 7000 });
    const [resolved] = pipelineAlertChanges([], [grown!], 8000);
    expect(resolved).toMatchObject({ alert_id: created!.alert_id, resolved_ms: 8000 });
  });

  it("leaves alerts of other rules alone and keeps a stall apart from a model's set-aside windows", () => {
    const other = { ...pipelineAlertChanges([group()], [], 1)[0]!, rule_id: "accuracy", fingerprint: "x" };
    const rows = pipelineAlertChanges(
      [group({ kind: "stalled", modelId: "", reason: "metrics consumer group g has not advanced" }), group()],
      [other],
      10,
    );
    expect(rows.map((r) => [r.metric, r.model_id])).toEqual([
      ["pipeline_stalled", ""],
      ["pipeline_set_aside", "eta"],
    ]);
  });
});
