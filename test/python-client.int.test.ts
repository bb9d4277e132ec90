/**
 * The Python client package (clients/python) against the real gateway, Kafka, processor and
 * ClickHouse: `pip install ./clients/python` into a virtualenv under .cache/, then the package's own
 * pytest suite, then the README's Python example with the installed package.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import type { Processor } from "../services/processor/processor.js";
import { sql } from "../services/common/clickhouse/sql.js";
import { count, startPipeline, stopPipeline, TEST_TOKEN, waitUntil, type TestStack } from "./helpers/harness.js";
import { PYTHON_CLIENT_DIR, pythonClientVenv, run } from "./helpers/python-client.js";

describe("Python client package", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  let processor: Processor;
  let python: string;

  beforeAll(async () => {
    [python, { stack, gateway, processor }] = await Promise.all([pythonClientVenv(), startPipeline()]);
  });
  afterAll(() => stopPipeline({ stack, gateway, processor }));

  it("passes its own test suite against the running pipeline", async () => {
    const env = { ...process.env, HINDSIGHT_URL: gateway.url, HINDSIGHT_TOKEN: TEST_TOKEN, PYTHONDONTWRITEBYTECODE: "1" };
    const result = await run(python, ["-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "tests"], {
      env,
      cwd: PYTHON_CLIENT_DIR,
      timeoutMs: 150_000,
    });
    const summary = result.stdout.trim().split("\n").at(-1) ?? "";
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(summary).toMatch(/\d+ passed/);
    // Every test ran: none skipped for want of the gateway or pandas.
    expect(summary).not.toMatch(/skipped|deselected/);
  });

  it("runs the README's example with the installed package", async () => {
    const result = await run(python, [
      join(ROOT, "examples/python/send_events.py"),
      "--url",
      gateway.url,
      "--token",
      TEST_TOKEN,
      "--count",
      "200",
      "--model-id",
      "pkg-example",
      "--bad",
      "1",
    ]);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout.trim().split("\n").at(-1)!);
    expect(summary).toMatchObject({ predictions_accepted: 200, labels_accepted: 200 });
    expect(summary.rejected).toEqual([expect.objectContaining({ index: 200, path: "prediction.score" })]);
    const where = sql`WHERE model_id = ${"pkg-example"}`;
    await waitUntil(
      "the example's events in ClickHouse",
      async () => [await count(stack, "prediction_events", where), await count(stack, "label_events", where)],
      ([p, l]) => p === 200 && l === 200,
    );
  });
});
