/**
 * `hindsight tokens create --name N --scopes read,ingest [--models a,b] [--expires-in-days D]`,
 * `hindsight tokens list` and `hindsight tokens revoke TOKEN_ID`: tokens go straight into ClickHouse
 * (like rules), so a running gateway picks them up within HINDSIGHT_TOKEN_REFRESH_MS. The secret is
 * printed once, by `create`; ClickHouse holds only its SHA-256 digest. Every change is audited.
 */
import { cliActor } from "./context.js";
import { parseArgs } from "node:util";
import { createClickHouse } from "../common/clickhouse/client.js";
import { migrate } from "../common/clickhouse/migrations.js";
import { tokensRepository } from "../common/clickhouse/tokens.repository.js";
import { ConfigError, type Config } from "../common/config/env.js";
import { SCOPE_NAMES, tokenView } from "../gateway/routes/v1/tokens.js";

const USAGE =
  "usage: hindsight tokens create --name NAME --scopes SCOPE[,SCOPE] [--models ID[,ID]] [--expires-in-days D]\n       hindsight tokens list\n       hindsight tokens revoke TOKEN_ID\n";

const csv = (s: string | undefined) =>
  (s ?? "")
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);

export async function tokens(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scopes: { type: "string" },
      models: { type: "string" },
      "expires-in-days": { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const sub = positionals[0];
  if (sub !== "create" && sub !== "list" && sub !== "revoke") {
    process.stderr.write(USAGE);
    return 2;
  }
  const ch = createClickHouse(config.clickhouse);
  try {
    await migrate(ch);
    const repo = tokensRepository(ch);
    const actor = cliActor();
    const now = Date.now();
    if (sub === "create") {
      const scopes = csv(values.scopes);
      const bad = scopes.filter((s) => !(SCOPE_NAMES as readonly string[]).includes(s));
      if (!values.name || scopes.length === 0 || bad.length)
        throw new ConfigError(
          `${bad.length ? `unknown scope ${bad.join(", ")}; ` : ""}give --name and --scopes (${SCOPE_NAMES.join(", ")})`,
        );
      const days = values["expires-in-days"] === undefined ? undefined : Number(values["expires-in-days"]);
      if (days !== undefined && !(days > 0)) throw new ConfigError("--expires-in-days must be a positive number");
      const models = csv(values.models);
      const { token, stored } = await repo.create(
        {
          name: values.name,
          scopes,
          models: models.length ? models : undefined,
          expiresAtMs: days === undefined ? undefined : now + Math.round(days * 86_400_000),
          createdBy: actor,
        },
        now,
      );
      await repo.audit({
        actor,
        actor_token_id: "",
        action: "token.create",
        target: stored.token_id,
        model_ids: stored.models,
        detail: { name: stored.name, scopes: stored.scopes },
      });
      process.stdout.write(
        values.json
          ? `${JSON.stringify({ token, ...tokenView(stored, undefined, now) })}\n`
          : `${stored.token_id} created; the token (shown only now):\n${token}\n`,
      );
      return 0;
    }
    if (sub === "revoke") {
      const id = positionals[1];
      if (!id) {
        process.stderr.write(USAGE);
        return 2;
      }
      const revoked = await repo.revoke(id, actor, now);
      if (!revoked) {
        process.stderr.write(`no token '${id}'\n`);
        return 1;
      }
      await repo.audit({
        actor,
        actor_token_id: "",
        action: "token.revoke",
        target: id,
        model_ids: revoked.models,
        detail: { name: revoked.name },
      });
      process.stdout.write(`${id} revoked; gateways refuse it within ${config.http.tokenRefreshMs} ms\n`);
      return 0;
    }
    const [all, used] = await Promise.all([repo.list(), repo.lastUsed()]);
    const views = all.map((t) => tokenView(t, used.get(t.token_id), now));
    if (values.json) process.stdout.write(`${JSON.stringify(views)}\n`);
    else if (views.length === 0) process.stdout.write("no stored tokens; see 'hindsight tokens create'\n");
    else
      for (const v of views)
        process.stdout.write(
          `${v.token_id}  ${v.status.padEnd(7)} ${v.name}  scopes=${v.scopes.join(",")} models=${Array.isArray(v.models) ? v.models.join(",") : v.models} expires=${v.expires_at ?? "never"} last_used=${v.last_used_at ?? "never"}\n`,
        );
    return 0;
  } finally {
    await ch.close();
  }
}
