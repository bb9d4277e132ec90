/**
 * The `hindsight` command as a user runs it: `up --detach` against existing Kafka and ClickHouse
 * (the test stack, so it starts no infrastructure of its own), 1,000 predictions and 1,000 labels
 * over HTTP, exact counts within 10 s, re-posting changes nothing, `status`, then `down`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import { count, createTestStack, label, postJson, prediction, waitUntil, type TestStack } from "./helpers/harness.js";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe("hindsight CLI", () => {
  let stack: TestStack;
  let env: Record<string, string>;
  let home: string;
  const hindsight = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/hindsight.mjs"), ...args], {
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 120_000,
    });

  beforeAll(async () => {
    stack = await createTestStack();
    home = mkdtempSync(join(tmpdir(), "hindsight-cli-"));
    env = {
      ...stack.env,
      HINDSIGHT_HOME: home,
      HINDSIGHT_HTTP_PORT: String(await freePort()),
      HINDSIGHT_PROCESSOR_METRICS_PORT: String(await freePort()),
    };
  });
  afterAll(async () => {
    if (env) hindsight("down");
    if (home) rmSync(home, { recursive: true, force: true });
    await stack?.cleanup();
  });

  it("up --detach, ingest over HTTP with exact counts, status, down", async () => {
    const started = hindsight("up", "--detach");
    expect(started.status, started.stderr).toBe(0);
    expect(started.stdout).toContain("Hindsight is up.");
    expect(started.stderr).not.toContain("starting Kafka");
    const base = `http://127.0.0.1:${env.HINDSIGHT_HTTP_PORT}`;

    const predictions = Array.from({ length: 1000 }, (_, i) => prediction(i));
    const labels = Array.from({ length: 1000 }, (_, i) => label(i));
    const postedAt = Date.now();
    expect((await postJson(`${base}/v1/predictions`, predictions)).body).toEqual({ accepted: 1000, rejected: [] });
    expect((await postJson(`${base}/v1/labels`, labels)).body).toEqual({ accepted: 1000, rejected: [] });
    await waitUntil(
      "both in ClickHouse",
      async () => [await count(stack, "prediction_events"), await count(stack, "label_events")],
      ([p, l]) => p === 1000 && l === 1000,
      10_000,
    );
    expect(Date.now() - postedAt).toBeLessThan(10_000);

    await postJson(`${base}/v1/predictions`, predictions);
    await postJson(`${base}/v1/labels`, labels);
    await waitUntil(
      "the re-posted rows",
      async () => (await count(stack, "predictions")) + (await count(stack, "labels")),
      (n) => n >= 4000 || n === 2000,
      10_000,
    );
    expect(await count(stack, "prediction_events")).toBe(1000);
    expect(await count(stack, "label_events")).toBe(1000);

    const status = hindsight("status");
    expect(status.status, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).toMatch(/gateway\s+pid \d+/);
    expect(status.stdout).toMatch(/evaluator\s+pid \d+/);
    expect(status.stdout).toContain("predictions 1000, labels 1000");
    // The inferred positive class may still be recomputing the model's few windows.
    expect(status.stdout).toMatch(/recompute jobs\s+none running|recompute job\s+metrics of fraud: \d+ %/);
    expect(status.stdout).toMatch(/windows to recompute\s+(none waiting|\d+ base window\(s\) marked)/);

    const again = hindsight("up", "--detach");
    expect(again.stderr).toContain("already running");

    const stopped = hindsight("down");
    expect(stopped.status).toBe(0);
    expect(stopped.stderr).toContain("stopped gateway, processor, evaluator");
    expect(
      await fetch(`${base}/healthz`).then(
        () => "up",
        () => "down",
      ),
    ).toBe("down");
  });

  it("explains a bad configuration instead of starting", () => {
    const result = spawnSync(process.execPath, [join(ROOT, "bin/hindsight.mjs"), "status"], {
      env: { ...process.env, HINDSIGHT_TOKENS: "not json" },
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("HINDSIGHT_TOKENS");
  });
});
