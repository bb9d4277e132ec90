/**
 * A real Alertmanager (Debian's prometheus-alertmanager, installed when missing) on a free
 * loopback port, routing everything to one webhook with resolved notifications on, so tests can
 * see what an Alertmanager-routed team would receive.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureAptPackages } from "../../infra/local/apt.js";

const BINARY = "/usr/bin/prometheus-alertmanager";

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Alertmanager {
  url: string;
  stop(): Promise<void>;
}

export async function startAlertmanager(webhookUrl: string): Promise<Alertmanager> {
  if (!existsSync(BINARY)) await ensureAptPackages(["prometheus-alertmanager"], (line) => process.stderr.write(`[alertmanager] ${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), "hs-alertmanager-"));
  const port = await freePort();
  writeFileSync(
    join(dir, "alertmanager.yml"),
    [
      "route:",
      "  receiver: test",
      "  group_by: ['alertname', 'fingerprint']",
      "  group_wait: 1s",
      "  group_interval: 1s",
      "  repeat_interval: 1h",
      "receivers:",
      "  - name: test",
      "    webhook_configs:",
      `      - url: ${webhookUrl}`,
      "        send_resolved: true",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(
    BINARY,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    { stdio: "ignore" },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("Alertmanager did not become ready within 30 s");
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
