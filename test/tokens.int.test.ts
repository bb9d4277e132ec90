/**
 * Tokens stored in ClickHouse (issue 15, item 8), against the real ClickHouse: created through the
 * admin API and the CLI, effective in a running gateway within the refresh interval without a
 * restart, revoked and expired tokens refused, only digests stored, last use recorded, and every
 * admin action in the audit log.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../infra/local/paths.js";
import { ident, sql } from "../services/common/clickhouse/sql.js";
import { TEST_TOKEN, createTestStack, requestJson, startGateway, waitUntil, type TestStack } from "./helpers/harness.js";
import { anyRow } from "../services/common/clickhouse/row-schema.js";

describe("stored tokens and the audit log", () => {
  let stack: TestStack;
  let gateway: { url: string; close: () => Promise<void> };
  const call = (method: string, path: string, token: string, body?: unknown) => requestJson(method, `${gateway.url}${path}`, body, token);
  const hindsight = (...args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin/hindsight.mjs"), ...args], {
      env: { ...process.env, ...stack.env },
      encoding: "utf8",
      timeout: 120_000,
    });

  beforeAll(async () => {
    stack = await createTestStack({ HINDSIGHT_TOKEN_REFRESH_MS: "300" });
    gateway = await startGateway(stack.config);
  });
  afterAll(async () => {
    await gateway?.close();
    await stack?.cleanup();
  });

  it("creates, lists, uses, revokes and expires tokens without a restart, and audits every change", async () => {
    // Through the admin API: the secret is in the answer only, ClickHouse holds its digest.
    const created = await call("POST", "/v1/tokens", TEST_TOKEN, { name: "fraud-readers", scopes: ["read"], models: ["fraud"] });
    expect(created.status).toBe(201);
    const { token, token_id } = created.body as { token: string; token_id: string };
    expect(token).toMatch(/^hs_/);
    expect(created.body).toMatchObject({ name: "fraud-readers", scopes: ["read"], models: ["fraud"], status: "active", expires_at: null });
    const stored = await stack.clickhouse.rows(
      anyRow<Record<string, unknown>>(),
      sql`SELECT * FROM ${ident(`${stack.config.clickhouse.database}.api_tokens`)}`,
    );
    expect(JSON.stringify(stored)).not.toContain(token);
    expect((await call("GET", "/v1/models", token)).status).toBe(200);
    // A read token cannot write, nor manage tokens.
    expect((await call("PUT", "/v1/models/fraud", token, { task: "binary", positive_class: "fraud" })).status).toBe(403);
    expect((await call("GET", "/v1/tokens", token)).status).toBe(403);

    // Through the CLI, straight into ClickHouse: the running gateway accepts it within the refresh.
    const cli = hindsight("tokens", "create", "--name", "ops-admin", "--scopes", "admin,read", "--json");
    expect(cli.status, cli.stderr).toBe(0);
    const fromCli = JSON.parse(cli.stdout) as { token: string; token_id: string };
    await waitUntil(
      "the CLI's token to open the API",
      async () => (await call("GET", "/v1/models", fromCli.token)).status,
      (s) => s === 200,
      5_000,
    );
    expect((await call("PUT", "/v1/models/fraud", fromCli.token, { task: "binary", positive_class: "fraud" })).status).toBe(200);

    // A model-limited admin may not manage tokens (it could mint a wider one).
    const limitedAdmin = (await call("POST", "/v1/tokens", TEST_TOKEN, { name: "fraud-admin", scopes: ["admin"], models: ["fraud"] }))
      .body as { token: string };
    const refused = await call("POST", "/v1/tokens", limitedAdmin.token, { name: "wider", scopes: ["admin"] });
    expect(refused.status).toBe(403);

    // Expiry: valid until the moment, refused after it.
    const soon = (await call("POST", "/v1/tokens", TEST_TOKEN, { name: "short-lived", scopes: ["read"], expires_at: Date.now() + 1_500 }))
      .body as { token: string };
    expect((await call("GET", "/v1/models", soon.token)).status).toBe(200);
    await waitUntil(
      "the token to expire",
      async () => call("GET", "/v1/models", soon.token),
      (r) => r.status === 401,
      5_000,
    );
    expect((await call("GET", "/v1/models", soon.token)).body).toEqual({ error: { code: "unauthorized", message: "token expired" } });

    // Revocation by the CLI reaches the running gateway within seconds; by the API at once.
    const revoked = hindsight("tokens", "revoke", token_id);
    expect(revoked.status, revoked.stderr).toBe(0);
    await waitUntil(
      "the revoked token to be refused",
      async () => call("GET", "/v1/models", token),
      (r) => r.status === 401,
      5_000,
    );
    expect((await call("GET", "/v1/models", token)).body).toEqual({ error: { code: "unauthorized", message: "token revoked" } });
    expect((await call("DELETE", `/v1/tokens/${fromCli.token_id}`, TEST_TOKEN)).status).toBe(200);
    expect((await call("GET", "/v1/models", fromCli.token)).status).toBe(401);
    expect((await call("DELETE", "/v1/tokens/tok_0000000000000000", TEST_TOKEN)).status).toBe(404);

    // The listing: no secrets, no digests, statuses and last use.
    const listed = await waitUntil(
      "last use to be recorded",
      async () => (await call("GET", "/v1/tokens", TEST_TOKEN)).body as { tokens: Array<Record<string, unknown>> },
      (b) => b.tokens.find((t) => t.token_id === token_id)?.last_used_at !== null,
      5_000,
    );
    const text = JSON.stringify(listed);
    for (const secret of [token, fromCli.token, soon.token, limitedAdmin.token]) expect(text).not.toContain(secret);
    expect(text).not.toContain("digest");
    const byName = Object.fromEntries(listed.tokens.map((t) => [t.name, t]));
    expect(byName["fraud-readers"]).toMatchObject({ status: "revoked", models: ["fraud"], revoked_by: expect.stringMatching(/^cli/) });
    expect(byName["ops-admin"]).toMatchObject({ status: "revoked", created_by: expect.stringMatching(/^cli/) });
    expect(byName["short-lived"]).toMatchObject({ status: "expired" });
    const cliList = hindsight("tokens", "list");
    expect(cliList.stdout).toContain("fraud-readers");
    expect(cliList.stdout).not.toContain(token);

    // Rules applied from the command line are audited too.
    const rulesFile = join(mkdtempSync(join(tmpdir(), "hindsight-rules-")), "rules.yaml");
    writeFileSync(
      rulesFile,
      "rules:\n  - id: fraud-acc\n    kind: threshold\n    metric: accuracy\n    op: '<'\n    threshold: 0.9\n    target: {model: fraud}\n",
    );
    const applied = hindsight("rules", "apply", rulesFile);
    expect(applied.status, applied.stderr).toBe(0);

    // The audit log: who did what, when; a limited admin sees only its models' entries.
    const audit = (await call("GET", "/v1/audit", TEST_TOKEN)).body as {
      entries: Array<{ action: string; actor: string; target: string; model_ids: string[]; at: string }>;
    };
    const actions = audit.entries.map((e) => `${e.action} ${e.target}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `token.create ${token_id}`,
        `token.revoke ${token_id}`,
        `token.revoke ${fromCli.token_id}`,
        "model.declare fraud",
      ]),
    );
    const declare = audit.entries.find((e) => e.action === "model.declare")!;
    expect(declare.actor).toBe("ops-admin");
    expect(audit.entries.find((e) => e.action === "rules.apply")).toMatchObject({
      actor: expect.stringMatching(/^cli/),
      model_ids: ["fraud"],
    });
    expect(Date.parse(declare.at)).toBeGreaterThan(Date.now() - 60_000);
    const mine = (await call("GET", "/v1/audit", limitedAdmin.token)).body as { entries: Array<{ model_ids: string[] }> };
    expect(mine.entries.length).toBeGreaterThan(0);
    expect(mine.entries.every((e) => e.model_ids.length > 0 && e.model_ids.every((m) => m === "fraud"))).toBe(true);
    expect((await call("GET", "/v1/audit", TEST_TOKEN.replace(/.$/, "x"))).status).toBe(401);
  }, 120_000);
});
