import { userInfo } from "node:os";
import type { Config } from "../common/config/env.js";
import type { Log } from "../../infra/local/process.js";

/** What every CLI command gets: the parsed configuration and where the embedded stack lives. */
export interface CliContext {
  config: Config;
  /** The environment the services are started with (the CLI's own, plus what it adds). */
  env: NodeJS.ProcessEnv;
  home: string;
  /** Dependencies left at their defaults, which the project starts itself. */
  embedded: { kafka: boolean; clickhouse: boolean };
  log: Log;
}

export const gatewayUrl = (config: Config) => `http://${config.http.host}:${config.http.port}`;

/** Who ran a CLI command, for the audit log: `cli:<user>`, or `cli` where there is no user name. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return "cli";
  }
}
