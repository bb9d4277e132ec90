/**
 * A raw HTTP client for the fault scenarios: node:http rather than fetch, because a server that
 * answers 413 and closes while a large body is still being sent must not turn into a client error,
 * and because it reports the headers (Retry-After) and can send any bytes with any header.
 */
import { request } from "node:http";

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function rawPost(url: string, headers: Record<string, string>, body: Buffer | string, timeoutMs = 120_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-length": String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
    // EPIPE / ECONNRESET after the server answered early: the answer still arrives via the response.
    req.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ECONNRESET") setTimeout(() => reject(err), 5_000);
      else reject(err);
    });
    req.end(body);
  });
}

/** Samples this process's resident memory while `work` runs; returns its result and the peak growth. */
export async function withPeakRss<T>(work: () => Promise<T>): Promise<{ value: T; peakGrowthMb: number }> {
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { value, peakGrowthMb: (peak - base) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}
