/**
 * The stored tokens as the gateway sees them: every token's latest version, read from ClickHouse on
 * a short timer (HINDSIGHT_TOKEN_REFRESH_MS), so a token created or revoked anywhere (the CLI,
 * another gateway) takes effect within one refresh without a restart. Uses are remembered in
 * memory and written on the same timer, one row per used token, so a busy token costs no writes
 * per request. A refresh that fails keeps the last known tokens (ClickHouse briefly away must not
 * lock every stored token out) and is retried on the next tick.
 */
import type { StoredToken, TokensRepository } from "../common/clickhouse/tokens.repository.js";

export interface TokenSource {
  /** The token whose digest (hex SHA-256) this is, revoked and expired ones included. */
  find(digestHex: string): StoredToken | undefined;
  /** Notes that the token was used now. */
  used(tokenId: string, nowMs: number): void;
}

export interface TokenCache extends TokenSource {
  /** Reads the tokens now (after a change made through this gateway, so it applies at once). */
  refresh(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createTokenCache(
  repo: Pick<TokensRepository, "list" | "recordUse">,
  refreshMs: number,
  onError: (err: unknown) => void = () => {},
): TokenCache {
  let byDigest = new Map<string, StoredToken>();
  let uses = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function refresh(): Promise<void> {
    const tokens = await repo.list();
    byDigest = new Map(tokens.map((t) => [t.digest, t]));
  }

  async function tick(): Promise<void> {
    const pending = uses;
    uses = new Map();
    try {
      await repo.recordUse(pending);
    } catch (err) {
      // Put them back (keeping the later time) for the next tick.
      for (const [id, ms] of pending) uses.set(id, Math.max(ms, uses.get(id) ?? 0));
      onError(err);
    }
    await refresh().catch(onError);
  }

  return {
    find: (digestHex) => byDigest.get(digestHex),
    used(tokenId, nowMs) {
      uses.set(tokenId, nowMs);
    },
    refresh,
    async start() {
      await refresh().catch(onError);
      const loop = () => {
        timer = setTimeout(() => {
          running = tick().finally(() => {
            running = undefined;
            if (timer) loop();
          });
        }, refreshMs);
        timer.unref();
      };
      loop();
    },
    async stop() {
      const t = timer;
      timer = undefined;
      if (t) clearTimeout(t);
      await running;
      // The last uses are worth keeping.
      await repo.recordUse(uses).catch(onError);
    },
  };
}
