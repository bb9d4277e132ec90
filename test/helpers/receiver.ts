/** An HTTP receiver for notifications that records what it accepted and can refuse for a while. */
import { createServer, type Server } from "node:http";

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  at: number;
}

export interface Receiver {
  url: string;
  /** Requests answered 2xx, in order. */
  accepted: Received[];
  /** Requests answered 503 while failing. */
  refused: number;
  /** Refuses everything for `ms` from the first request on. */
  failAtFirstFor(ms: number): void;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const accepted: Received[] = [];
  let refused = 0;
  let failingUntil = 0;
  let failFirstMs = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (failFirstMs > 0) {
        failingUntil = Date.now() + failFirstMs;
        failFirstMs = 0;
      }
      if (Date.now() < failingUntil) {
        refused++;
        res.writeHead(503).end("not yet");
        return;
      }
      accepted.push({
        path: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString("utf8") || "null"),
        at: Date.now(),
      });
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    get refused() {
      return refused;
    },
    failAtFirstFor(ms) {
      failFirstMs = ms;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
