/**
 * The job table against real ClickHouse: a step's update replaces the job's row, and once the
 * model's deletion has removed the job, an update from a step that was still under way stores
 * nothing (the condition is ClickHouse's, in the same statement).
 */
import { describe, expect, it } from "vitest";
import { useTestStack } from "../../../test/helpers/harness.js";
import { deleteModelData } from "./model-deletion.js";
import { recomputeJobsRepository, type RecomputeJob } from "./recompute-jobs.repository.js";
import { anyRow } from "./row-schema.js";
import { ident, sql } from "./sql.js";

describe("recompute jobs repository", () => {
  const stack = useTestStack();

  const job = (model: string, over: Partial<RecomputeJob> = {}): RecomputeJob => ({
    job_id: `job-${model}`,
    kind: "drift",
    model_id: model,
    model_version: "v'1\n",
    basis: "ref-1\u0001rules",
    reason: "drift reference in use",
    from_s: 1_800_000_000,
    to_s: 1_800_090_000,
    cursor_s: 1_800_000_000,
    windows_done: 0,
    state: "running",
    created_at_ms: 1_000,
    updated_at_ms: 1_000,
    ...over,
  });
  const rows = async (model: string) =>
    stack.clickhouse.rows(
      anyRow<{ job_id: string; state: string }>(),
      sql`SELECT job_id, state FROM ${ident(`${stack.clickhouse.database}.recompute_jobs`)} FINAL WHERE model_id = ${model}`,
    );

  it("updates a stored job with every value kept, and stores nothing for a job deleted with its model", async () => {
    const repo = recomputeJobsRepository(stack.clickhouse);
    await repo.write(job("kept"));
    const next = job("kept", { cursor_s: 1_800_060_000, windows_done: 200, updated_at_ms: 2_000 });
    await repo.update(next);
    expect(await repo.latest("drift", "kept", "v'1\n")).toEqual(next);

    await repo.write(job("gone"));
    await deleteModelData(stack.clickhouse, "gone");
    expect(await rows("gone")).toEqual([]);
    // The step that was under way when the model was deleted ends.
    await repo.update(job("gone", { state: "done", windows_done: 300, updated_at_ms: 3_000 }));
    expect(await rows("gone")).toEqual([]);
    expect(await repo.latest("drift", "gone", "v'1\n")).toBeUndefined();
    expect(await rows("kept")).toEqual([{ job_id: "job-kept", state: "running" }]);
  });
});
