/** Versions of the alert suppressor's model (trained here or imported as ONNX). */
import { z } from "zod";
import { jsonRows } from "./batch-writer.js";
import type { ClickHouse } from "./client.js";
import { float, int, jsonText, row, str } from "./row-schema.js";
import { ident, sql } from "./sql.js";

export interface SuppressorModelRow {
  version: string;
  origin: "trained" | "imported";
  trained_at_ms: number;
  threshold: number;
  model: Uint8Array;
  report: Record<string, unknown>;
}

const SuppressorModelRowShape = row({
  version: str,
  origin: z.enum(["trained", "imported"]),
  trained_at_ms: int,
  threshold: float,
  model_base64: str,
  report: jsonText(z.record(z.string(), z.unknown())),
}).transform(({ model_base64, ...r }): SuppressorModelRow => ({ ...r, model: new Uint8Array(Buffer.from(model_base64, "base64")) }));

export function suppressorModelsRepository(ch: ClickHouse) {
  const t = (name: string) => ident(`${ch.database}.${name}`);
  const table = (name: string) => `${ch.database}.${name}`;

  return {
    async saveSuppressorModel(m: SuppressorModelRow): Promise<void> {
      await ch.insertJsonEachRow(
        table("suppressor_models"),
        jsonRows([
          {
            version: m.version,
            origin: m.origin,
            trained_at_ms: m.trained_at_ms,
            threshold: m.threshold,
            model_base64: Buffer.from(m.model).toString("base64"),
            report: JSON.stringify(m.report),
          },
        ]),
      );
    },

    async latestSuppressorModel(): Promise<SuppressorModelRow | undefined> {
      const [r] = await ch.rows(
        SuppressorModelRowShape,
        sql`SELECT * FROM ${t("suppressor_models")} FINAL ORDER BY trained_at_ms DESC, version DESC LIMIT 1`,
      );
      return r;
    },
  };
}
