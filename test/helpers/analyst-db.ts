/**
 * A database the test analyst user may read: the embedded server grants the `analyst_test` user the
 * analyst's grants on a few fixed databases (hs_analyst_0…3); a test claims a free one by creating
 * it (CREATE DATABASE fails when another run holds it) and drops it at the end.
 * A claim left behind by a crashed run is taken over once it is older than STALE_MS.
 */
import { createClickHouse } from "../../services/common/clickhouse/client.js";
import { ident, list, sql } from "../../services/common/clickhouse/sql.js";
import { ANALYST_TEST_DATABASES } from "../../infra/local/clickhouse.js";
import { anyRow } from "../../services/common/clickhouse/row-schema.js";

export const ANALYST_TEST_USER = "analyst_test";
const NAMES = ANALYST_TEST_DATABASES;
const STALE_MS = 30 * 60_000;

export async function claimAnalystDatabase(clickhouseUrl: string): Promise<string> {
  const ch = createClickHouse({ url: clickhouseUrl, user: "default", password: "", database: "default" });
  try {
    for (const name of NAMES) {
      const taken = await ch.command(sql`CREATE DATABASE ${ident(name)}`).then(
        () => false,
        () => true,
      );
      if (!taken) return name;
    }
    const [oldest] = await ch.rows(
      anyRow<{ database: string; at: string }>(),
      sql`
      SELECT database, toUInt64(min(metadata_modification_time)) AS at FROM system.tables
      WHERE database IN ${list(NAMES)} GROUP BY database ORDER BY at LIMIT 1`,
    );
    if (oldest && Date.now() - Number(oldest.at) * 1000 > STALE_MS) {
      await ch.command(sql`DROP DATABASE IF EXISTS ${ident(oldest.database)}`);
      await ch.command(sql`CREATE DATABASE ${ident(oldest.database)}`);
      return oldest.database;
    }
    throw new Error(`every analyst test database (${NAMES.join(", ")}) is in use by another run; try again when it ends`);
  } finally {
    await ch.close();
  }
}

/** Drops a claimed database; the test stack's cleanup does the same when the stack got that far. */
export async function releaseAnalystDatabase(clickhouseUrl: string, name: string): Promise<void> {
  const ch = createClickHouse({ url: clickhouseUrl, user: "default", password: "", database: "default" });
  try {
    await ch.command(sql`DROP DATABASE IF EXISTS ${ident(name)}`);
  } finally {
    await ch.close();
  }
}
