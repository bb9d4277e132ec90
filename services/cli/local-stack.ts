/**
 * What `hindsight up/down/status` manage on this machine: where state lives, which services run,
 * and the development token.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../infra/local/paths.js";

export const SERVICES = {
  gateway: "services/gateway/server.ts",
  processor: "services/processor/main.ts",
  evaluator: "services/evaluator/main.ts",
} as const;
export type ServiceName = keyof typeof SERVICES;

export const servicePidFile = (home: string, name: ServiceName) => join(home, "run", `${name}.pid`);
export const serviceLogFile = (home: string, name: ServiceName) => join(home, "logs", `${name}.log`);

/** The command that runs a service's entry point with tsx. */
export function serviceCommand(name: ServiceName): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", "tsx", join(ROOT, SERVICES[name])] };
}

/**
 * With no HINDSIGHT_TOKENS configured, `up` makes one development token with every scope and
 * keeps it in HOME/dev-token (git-ignored) so that it survives restarts.
 */
export function devToken(home: string): { token: string; created: boolean } {
  const file = join(home, "dev-token");
  if (existsSync(file)) return { token: readFileSync(file, "utf8").trim(), created: false };
  mkdirSync(home, { recursive: true });
  const token = `hs_dev_${randomBytes(24).toString("hex")}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return { token, created: true };
}

export function devTokensJson(token: string): string {
  return JSON.stringify([{ token, scopes: ["ingest", "label", "feedback", "read", "admin"], name: "development" }]);
}
