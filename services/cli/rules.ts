/**
 * `hindsight rules apply FILE` and `hindsight rules list`: rules go straight into ClickHouse
 * (each change a new version), so applying needs no running gateway.
 */
import { readFileSync } from "node:fs";
import { RuleFileError, parseRuleFile } from "../../schemas/rules.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { alertsRepository } from "../common/clickhouse/alerts.repository.js";
import { migrate } from "../common/clickhouse/migrations.js";
import { tokensRepository } from "../common/clickhouse/tokens.repository.js";
import { cliActor, type CliContext } from "./context.js";

export async function rules(ctx: CliContext, args: string[]): Promise<number> {
  const [sub, file] = args;
  if (sub === "apply" && file) return apply(ctx, file);
  if (sub === "list") return list(ctx);
  process.stderr.write("usage: hindsight rules apply FILE | hindsight rules list\n");
  return 2;
}

async function apply(ctx: CliContext, file: string): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    process.stderr.write(`cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  let parsed: ReturnType<typeof parseRuleFile>;
  try {
    parsed = parseRuleFile(text);
  } catch (err) {
    if (err instanceof RuleFileError) {
      process.stderr.write(`${file}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const ch = createClickHouse(ctx.config.clickhouse);
  try {
    await migrate(ch);
    const result = await alertsRepository(ch).applyRuleFile(parsed, `file:${file.split("/").pop()}`, Date.now());
    await tokensRepository(ch).audit({
      actor: cliActor(),
      actor_token_id: "",
      action: "rules.apply",
      target: "rules",
      model_ids: [...new Set(parsed.rules.map((r) => r.target.model))],
      detail: { ...result, file: file.split("/").pop() },
    });
    for (const [what, ids] of Object.entries(result)) if (ids.length) process.stdout.write(`${what.padEnd(10)} ${ids.join(", ")}\n`);
    process.stdout.write(`${parsed.rules.length} rules, ${parsed.receivers.length} receivers applied\n`);
    return 0;
  } finally {
    await ch.close();
  }
}

async function list(ctx: CliContext): Promise<number> {
  const ch = createClickHouse(ctx.config.clickhouse);
  try {
    const repo = alertsRepository(ch);
    const [active, status] = await Promise.all([repo.activeRules(), repo.ruleStatus()]);
    if (active.length === 0) process.stdout.write("no rules applied; see 'hindsight rules apply FILE'\n");
    for (const { rule, version } of active) {
      process.stdout.write(`${rule.id} v${version}  ${rule.kind} ${rule.metric} (${rule.severity}, ${rule.window} windows)\n`);
      for (const s of status.filter((x) => x.rule_id === rule.id)) {
        process.stdout.write(`  ${s.state.padEnd(8)} ${s.model_id} ${s.model_version} ${s.slice || "all"} ${s.metric}: ${s.reason}\n`);
      }
    }
    return 0;
  } finally {
    await ch.close();
  }
}
