/** `hindsight down`: stops the services, then the embedded Kafka and ClickHouse, from their pid files. */
import { stopLocalClickHouse } from "../../infra/local/clickhouse.js";
import { stopLocalKafka } from "../../infra/local/kafka.js";
import { stopPid } from "../../infra/local/process.js";
import type { CliContext } from "./context.js";
import { SERVICES, servicePidFile, type ServiceName } from "./local-stack.js";

export async function down(ctx: CliContext): Promise<number> {
  const stopped: string[] = [];
  for (const name of Object.keys(SERVICES) as ServiceName[]) {
    if (await stopPid(servicePidFile(ctx.home, name), 20_000)) stopped.push(name);
  }
  if (await stopLocalKafka(ctx.home)) stopped.push("kafka");
  if (await stopLocalClickHouse(ctx.home)) stopped.push("clickhouse");
  ctx.log(stopped.length > 0 ? `stopped ${stopped.join(", ")}` : "nothing was running");
  return 0;
}
