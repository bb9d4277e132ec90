/**
 * A real Alertmanager (Debian's prometheus-alertmanager, installed when missing) on a free
 * loopback port, routing everything to one webhook with resolved notifications on, so tests can
 * see what an Alertmanager-routed team would receive.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, freePort, startDaemon } from "./daemon.js";

const BINARY = "/usr/bin/prometheus-alertmanager";

export interface Alertmanager {
  url: string;
  stop(): Promise<void>;
}

export async function startAlertmanager(webhookUrl: string): Promise<Alertmanager> {
  await ensureBinary(BINARY, "prometheus-alertmanager");
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
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    "Alertmanager",
    BINARY,
    [
      `--config.file=${join(dir, "alertmanager.yml")}`,
      `--storage.path=${dir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--cluster.listen-address=",
    ],
    url,
    dir,
  );
  return {
    url,
    stop: () => daemon.stop(),
  };
}
