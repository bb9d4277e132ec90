/**
 * The Python example (standard library only) against the real gateway, Kafka and ClickHouse: what
 * a user's model server would do. The gateway runs in this process, so the script runs
 * asynchronously (a synchronous spawn would block the gateway's event loop).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import type { Processor } from "../services/processor/processor.js";
import { sql } from "../services/common/clickhouse/sql.js";
import { count, startPipeline, stopPipeline, TEST_TOKEN, waitUntil, type TestStack } from "./helpers/harness.js";

function python(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "python3",
      [join(ROOT, "examples/python/send_events.py"), ...args],
      { encoding: "utf8", timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ status: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

describe("Python example producer", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  let processor: Processor;

  beforeAll(async () => {
    ({ stack, gateway, processor } = await startPipeline());
  });
  afterAll(() => stopPipeline({ stack, gateway, processor }));

  it("sends predictions and labels; the malformed one comes back with its path", async () => {
    const run = await python([
      "--url",
      gateway.url,
      "--token",
      TEST_TOKEN,
      "--count",
      "300",
      "--model-id",
      "pyfraud",
      "--seed",
      "5",
      "--bad",
      "1",
    ]);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(summary.predictions_accepted).toBe(300);
    expect(summary.labels_accepted).toBe(300);
    expect(summary.rejected).toHaveLength(1);
    expect(summary.rejected[0]).toMatchObject({ index: 300, path: "prediction.score" });

    const where = sql`WHERE model_id = ${"pyfraud"}`;
    await waitUntil(
      "the Python events in ClickHouse",
      async () => [await count(stack, "prediction_events", where), await count(stack, "label_events", where)],
      ([p, l]) => p === 300 && l === 300,
    );
  });

  it("fails clearly with a wrong token", async () => {
    const run = await python(["--url", gateway.url, "--token", "wrong-token-0000000000", "--count", "1", "--model-id", "pyfraud"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/401|unauthori[sz]ed|token/i);
  });
});
