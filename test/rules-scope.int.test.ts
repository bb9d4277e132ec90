/**
 * Rules, receivers and settings scoped by model (issue 15, item 3), through the gateway against the
 * real ClickHouse: a model-limited admin replaces only its models' rules, cannot touch shared rules,
 * other teams' rules or receivers, nor the shared settings; a limited read token sees only its
 * models' part; receiver secrets never appear in any answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { TEST_TOKEN, createTestStack, requestJson, startGateway, type TestStack } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

const FRAUD_ADMIN = "rules-scope-fraud-admin-token-01";
const FRAUD_READ = "rules-scope-fraud-read-token-001";
const SECRET = "Bearer team-b-webhook-secret-0001";
const SLACK = "https://hooks.slack.example/services/T000/B000/teambsecret";

const rule = (id: string, model: string, receivers?: string[]) => ({
  id,
  kind: "threshold",
  metric: "accuracy",
  op: "<",
  threshold: 0.8,
  target: { model },
  ...(receivers ? { receivers } : {}),
});

describe("rules scoped by model", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  const call = (method: string, path: string, token: string, body?: unknown) => requestJson(method, `${gateway.url}${path}`, body, token);

  beforeAll(async () => {
    stack = await createTestStack({
      HINDSIGHT_TOKENS: JSON.stringify([
        { token: TEST_TOKEN, scopes: ["ingest", "label", "feedback", "read", "admin"], name: "platform" },
        { token: FRAUD_ADMIN, scopes: ["admin", "read"], models: ["fraud"], name: "fraud-admin" },
        { token: FRAUD_READ, scopes: ["read"], models: ["fraud"], name: "fraud-read" },
      ]),
    });
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.cleanup();
  });

  it("a limited admin replaces only its models' rules; shared rules, other teams' rules and receivers and the settings stay", async () => {
    const platform = await call("PUT", "/v1/rules", TEST_TOKEN, {
      rules: [rule("churn-accuracy", "churn", ["team-b-hook"]), rule("all-accuracy", "*"), rule("fraud-old", "fraud")],
      receivers: [
        { name: "team-b-hook", type: "webhook", url: "https://team-b.example/hook", headers: { authorization: SECRET } },
        { name: "oncall", type: "slack", url: SLACK },
      ],
      settings: { repeat_interval: "2h", hold: "30m", digest_hour_utc: 6 },
    });
    expect(platform.status).toBe(200);
    await stack.clickhouse.insertJsonEachRow(`${stack.config.clickhouse.database}.rule_status`, [
      [
        {
          rule_id: "all-accuracy",
          fingerprint: "f1",
          model_id: "churn",
          model_version: "v1",
          slice: "",
          metric: "accuracy",
          state: "ok",
          reason: "churn slice BR",
          window_start_ms: 0,
          value: 0.9,
          updated_wall_ms: 1,
        },
        {
          rule_id: "all-accuracy",
          fingerprint: "f2",
          model_id: "fraud",
          model_version: "v1",
          slice: "",
          metric: "accuracy",
          state: "ok",
          reason: "fraud ok",
          window_start_ms: 0,
          value: 0.9,
          updated_wall_ms: 1,
        },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    ]);

    // The attack of the review: one rule and its own webhook. Only fraud's rules are replaced.
    const mine = await call("PUT", "/v1/rules", FRAUD_ADMIN, {
      rules: [rule("fraud-accuracy", "fraud", ["fraud-hook"])],
      receivers: [{ name: "fraud-hook", type: "webhook", url: "https://fraud.example/hook" }],
    });
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body).toEqual({ created: ["fraud-accuracy"], changed: [], deleted: ["fraud-old"], unchanged: [] });
    const all = (await call("GET", "/v1/rules", TEST_TOKEN)).body as {
      rules: Array<{ id: string }>;
      receivers: Array<{ name: string; models?: string[] }>;
      settings: Record<string, unknown>;
    };
    expect(all.rules.map((r) => r.id).sort()).toEqual(["all-accuracy", "churn-accuracy", "fraud-accuracy"]);
    expect(all.receivers).toEqual([
      { name: "team-b-hook", type: "webhook" },
      { name: "oncall", type: "slack" },
      { name: "fraud-hook", type: "webhook", models: ["fraud"] },
    ]);
    expect(all.settings).toEqual({ repeat_interval: "2h", hold: "30m", digest_hour_utc: 6 });
    // The fraud team's receiver is not a default receiver: other teams' alerts and the digest stay away from it.
    const stored = await stack.clickhouse.rows(
      anyRow<{ r: string }>(),
      sql`SELECT argMax(receivers, version) AS r FROM ${ident(`${stack.config.clickhouse.database}.alert_settings`)}`,
    );
    expect(JSON.parse(stored[0]!.r).find((r: { name: string }) => r.name === "fraud-hook").models).toEqual(["fraud"]);

    // Refusals, each naming its reason, each changing nothing.
    const refusals: Array<[unknown, RegExp]> = [
      [{ rules: [rule("x", "churn")] }, /may not manage rules of model 'churn'/],
      [{ rules: [rule("x", "*")] }, /shared/],
      [{ rules: [rule("churn-accuracy", "fraud")] }, /id belongs to a rule this token does not manage/],
      [
        {
          rules: [rule("fraud-accuracy", "fraud", ["team-b-hook"])],
          receivers: [{ name: "team-b-hook", type: "webhook", url: "https://evil.example/" }],
        },
        /receiver 'team-b-hook'/,
      ],
      [
        {
          rules: [rule("fraud-accuracy", "fraud", ["oncall"])],
          receivers: [{ name: "oncall", type: "slack", url: "https://evil.example/" }],
        },
        /receiver 'oncall'/,
      ],
      [{ rules: [], settings: { repeat_interval: "1m" } }, /shared settings/],
    ];
    for (const [body, reason] of refusals) {
      const res = await call("PUT", "/v1/rules", FRAUD_ADMIN, body);
      expect(res.status, JSON.stringify(body)).toBe(403);
      expect(res.body.error.message).toMatch(reason);
    }
    // YAML bodies are judged the same way.
    const yaml = await fetch(`${gateway.url}/v1/rules`, {
      method: "PUT",
      headers: { authorization: `Bearer ${FRAUD_ADMIN}`, "content-type": "application/yaml" },
      body: "rules: []\nsettings:\n  hold: 1m\n",
    });
    expect(yaml.status).toBe(403);
    expect((await call("GET", "/v1/rules", TEST_TOKEN)).body).toEqual(all);

    // What the limited read token sees: fraud's rules and the shared ones, fraud's series, no other team's receivers.
    const seen = await call("GET", "/v1/rules", FRAUD_READ);
    expect(seen.status).toBe(200);
    expect((seen.body.rules as Array<{ id: string }>).map((r) => r.id).sort()).toEqual(["all-accuracy", "fraud-accuracy"]);
    expect(
      seen.body.rules.find((r: { id: string }) => r.id === "all-accuracy").series.map((s: { model_id: string }) => s.model_id),
    ).toEqual(["fraud"]);
    expect(seen.text).not.toContain("churn");
    expect((await call("GET", "/v1/rules/churn-accuracy", FRAUD_READ)).status).toBe(404);
    expect((await call("GET", "/v1/rules/fraud-accuracy", FRAUD_READ)).status).toBe(200);

    // Receiver secrets appear in no answer, to anyone.
    for (const token of [TEST_TOKEN, FRAUD_ADMIN, FRAUD_READ]) {
      const text = (await call("GET", "/v1/rules", token)).text;
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(SLACK);
      expect(text).not.toContain("example/hook");
    }

    // Emptying its file removes only its own rules.
    expect((await call("PUT", "/v1/rules", FRAUD_ADMIN, { rules: [] })).body.deleted).toEqual(["fraud-accuracy"]);
    expect(((await call("GET", "/v1/rules", TEST_TOKEN)).body.rules as Array<{ id: string }>).map((r) => r.id).sort()).toEqual([
      "all-accuracy",
      "churn-accuracy",
    ]);
  }, 60_000);
});
