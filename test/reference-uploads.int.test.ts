/**
 * References uploaded in parts (issue 15, item 6) through the gateway on the real ClickHouse: a
 * sample too large for one body goes in parts; a part sent again replaces itself; the part that
 * would pass HINDSIGHT_REFERENCE_MAX_ROWS is refused whole; the reference appears only when
 * completed, with every part's rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_TOKEN, createTestStack, requestJson, startGateway, type TestStack } from "./helpers/harness.js";

const CHURN_ADMIN = "reference-uploads-churn-admin-01";

describe("references uploaded in parts", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  const call = (method: string, path: string, body?: unknown, token = TEST_TOKEN) =>
    requestJson(method, `${gateway.url}${path}`, body, token);
  const rows = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      features: { amount: from + i, country: ["DE", "FR", "BR"][(from + i) % 3], note: "x".repeat(20) },
      prediction: { score: ((from + i) % 100) / 100 },
    }));

  beforeAll(async () => {
    stack = await createTestStack({
      HINDSIGHT_MAX_BODY_BYTES: String(128 * 1024),
      HINDSIGHT_REFERENCE_MAX_ROWS: "2500",
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"] },
        { token: CHURN_ADMIN, scopes: ["admin", "read"], models: ["churn"] },
      ]),
    });
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.cleanup();
  });

  it("uploads a sample larger than one body in parts, up to the row limit, visible only when complete", async () => {
    expect((await call("PUT", "/v1/models/fraud", { task: "binary", positive_class: "fraud" })).status).toBe(200);
    // The whole sample does not fit in one body.
    expect((await call("POST", "/v1/models/fraud/reference?model_version=v3", rows(0, 2500))).status).toBe(413);

    const opened = await call("POST", "/v1/models/fraud/reference/uploads?model_version=v3");
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ model_id: "fraud", model_version: "v3", max_rows: 2500 });
    const base = `/v1/models/fraud/reference/uploads/${opened.body.upload_id}`;
    expect((await call("PUT", `${base}/parts/1`, rows(0, 1000))).body).toMatchObject({ part: 1, rows: 1000, total_rows: 1000 });
    expect((await call("PUT", `${base}/parts/2`, rows(1000, 1000))).body).toMatchObject({ total_rows: 2000 });
    // A retried part replaces itself.
    expect((await call("PUT", `${base}/parts/2`, rows(1000, 1000))).body).toMatchObject({ total_rows: 2000 });
    // The part that would pass the limit is refused whole, naming it.
    const over = await call("PUT", `${base}/parts/3`, rows(2000, 1000));
    expect(over.status).toBe(413);
    expect(over.body.error.message).toMatch(/at most 2500 rows per reference/);
    expect((await call("PUT", `${base}/parts/3`, rows(2000, 500))).body).toMatchObject({ total_rows: 2500 });
    expect((await call("PUT", `${base}/parts/4`, [42])).status).toBe(400);

    // Not visible before it is complete.
    expect((await call("GET", "/v1/models/fraud/reference?model_version=v3")).body.active).toBeNull();
    const done = await call("POST", `${base}/complete`);
    expect(done.status).toBe(201);
    expect(done.body).toMatchObject({
      reference_id: opened.body.upload_id,
      model_id: "fraud",
      model_version: "v3",
      source: "upload",
      rows: 2500,
    });
    expect(done.body.features.find((f: { feature: string }) => f.feature === "amount")).toMatchObject({ kind: "numeric", n: 2500 });
    const active = (await call("GET", "/v1/models/fraud/reference?model_version=v3")).body.active;
    expect(active).toMatchObject({ reference_id: opened.body.upload_id, rows: 2500 });

    // Completed uploads take no more parts; others' uploads and models are out of reach.
    expect((await call("PUT", `${base}/parts/5`, rows(0, 10))).status).toBe(409);
    expect((await call("POST", `${base}/complete`)).status).toBe(409);
    expect((await call("PUT", `/v1/models/churn/reference/uploads/${opened.body.upload_id}/parts/1`, rows(0, 10))).status).toBe(404);
    expect((await call("POST", "/v1/models/fraud/reference/uploads", undefined, CHURN_ADMIN)).status).toBe(403);
    expect((await call("PUT", `${base}/parts/1`, rows(0, 10), CHURN_ADMIN)).status).toBe(403);
  }, 60_000);
});
