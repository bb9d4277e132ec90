/**
 * `hindsight models delete MODEL_ID`: removes the model's data from every table, straight in
 * ClickHouse (like `rules apply`), and records the deletion in the audit log. Stop sending the
 * model's events first: events still in Kafka would bring it back.
 */
import { cliActor } from "./context.js";
import { createClickHouse } from "../common/clickhouse/client.js";
import { migrate } from "../common/clickhouse/migrations.js";
import { deleteModelData } from "../common/clickhouse/model-deletion.js";
import { tokensRepository } from "../common/clickhouse/tokens.repository.js";
import type { Config } from "../common/config/env.js";
import { modelIdParam } from "../gateway/routes/v1/params.js";

export async function models(config: Config, args: string[]): Promise<number> {
  const [sub, id] = args;
  if (sub !== "delete" || !id) {
    process.stderr.write("usage: hindsight models delete MODEL_ID\n");
    return 2;
  }
  if (!modelIdParam.safeParse({ id }).success) {
    process.stderr.write(`not a valid model id: ${JSON.stringify(id)}\n`);
    return 2;
  }
  const ch = createClickHouse(config.clickhouse);
  try {
    await migrate(ch);
    const report = await deleteModelData(ch, id);
    const removed = Object.entries(report.tables).filter(([, n]) => n > 0);
    if (removed.length === 0) {
      process.stderr.write(`no model '${id}': no table holds a row of it\n`);
      return 1;
    }
    await tokensRepository(ch).audit({
      actor: cliActor(),
      actor_token_id: "",
      action: "model.delete",
      target: id,
      model_ids: [id],
      detail: { rows: report.tables },
    });
    for (const [table, n] of removed) process.stdout.write(`${table.padEnd(26)} ${n}\n`);
    process.stdout.write(`model '${id}' deleted (${removed.reduce((a, [, n]) => a + n, 0)} rows)\n`);
    return 0;
  } finally {
    await ch.close();
  }
}
