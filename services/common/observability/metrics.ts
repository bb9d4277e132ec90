/**
 * Prometheus metrics for the services' own health. Label values come from small fixed sets
 * (route patterns, event kinds, outcomes); model ids belong in logs, not in label values.
 */
import { createServer, type Server } from "node:http";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export { Counter, Gauge, Histogram, Registry };

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, prefix: "hindsight_" });
  return registry;
}

/**
 * A bare HTTP listener for services without an HTTP API of their own (the processor):
 * GET /metrics and GET /healthz.
 */
export async function serveMetrics(registry: Registry, host: string, port: number, healthy: () => boolean): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === "/metrics") {
      registry
        .metrics()
        .then((text) => res.writeHead(200, { "content-type": registry.contentType }).end(text))
        .catch((err: Error) => res.writeHead(500).end(err.message));
    } else if (req.url === "/healthz") {
      const ok = healthy();
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ ok }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
  return server;
}
