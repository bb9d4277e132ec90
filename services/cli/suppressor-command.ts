/**
 * `hindsight suppressor …` with its store on ClickHouse, connected only when a subcommand uses
 * it: `evaluate --history FILE` and `train --history FILE --out FILE` run with no system at all.
 */
import { createClickHouse, type ClickHouse } from "../common/clickhouse/client.js";
import { alertsRepository } from "../common/clickhouse/alerts.repository.js";
import { migrate } from "../common/clickhouse/migrations.js";
import type { Config } from "../common/config/env.js";
import { clickHouseSuppressorStore } from "../evaluator/suppressor-store.js";
import type { SuppressorStore } from "../evaluator/suppressor/store.js";
import { runSuppressorCommand } from "./suppressor.js";

export async function suppressor(config: Config, args: string[]): Promise<number> {
  let ch: ClickHouse | undefined;
  let store: SuppressorStore | undefined;
  const connected = async (): Promise<SuppressorStore> => {
    if (!store) {
      ch = createClickHouse(config.clickhouse);
      await migrate(ch);
      store = clickHouseSuppressorStore(alertsRepository(ch), config.alerts.exploreRate);
    }
    return store;
  };
  const lazy: SuppressorStore = {
    loadHistory: async () => (await connected()).loadHistory(),
    saveModel: async (m) => (await connected()).saveModel(m),
    latestModel: async () => (await connected()).latestModel(),
  };
  try {
    return await runSuppressorCommand(args, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }, lazy);
  } finally {
    await ch?.close();
  }
}
