/**
 * A real Prometheus (Debian's `prometheus` package, installed when missing) on a free loopback
 * port, scraping one target every second with a bearer token, and a PromQL query helper over its
 * HTTP API.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBinary, freePort, startDaemon } from "./daemon.js";

const BINARY = "/usr/bin/prometheus";

export interface Prometheus {
  url: string;
  /** An instant PromQL query: the `result` of `/api/v1/query`. */
  query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  stop(): Promise<void>;
}

export interface ScrapeTarget {
  /** host:port */
  address: string;
  metricsPath: string;
  params?: Record<string, string>;
  bearerToken: string;
}

export async function startPrometheus(target: ScrapeTarget): Promise<Prometheus> {
  await ensureBinary(BINARY, "prometheus");
  const dir = mkdtempSync(join(tmpdir(), "hs-prometheus-"));
  const port = await freePort();
  writeFileSync(join(dir, "token"), target.bearerToken);
  writeFileSync(
    join(dir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "  scrape_timeout: 1s",
      "scrape_configs:",
      "  - job_name: hindsight-models",
      `    metrics_path: ${target.metricsPath}`,
      ...(target.params ? ["    params:", ...Object.entries(target.params).map(([k, v]) => `      ${k}: ['${v}']`)] : []),
      "    authorization:",
      `      credentials_file: ${join(dir, "token")}`,
      "    static_configs:",
      `      - targets: ['${target.address}']`,
      "",
    ].join("\n"),
  );
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    "Prometheus",
    BINARY,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    url,
    dir,
  );
  return {
    url,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: promql })}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
      };
      if (body.status !== "success") throw new Error(`PromQL ${promql}: ${body.error}`);
      return body.data.result;
    },
    stop: () => daemon.stop(),
  };
}
