/**
 * Rows of a CSV, JSON Lines or Parquet file, streamed: memory holds what the consumer has not
 * taken yet (a stream's buffer; for Parquet one row group), never the whole file. Each row comes
 * with where it starts in the file, or with the reason it could not be read.
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { parse as parseCsv } from "csv-parse";
import { compressors } from "hyparquet-compressors";
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead } from "hyparquet";
import sjson from "secure-json-parse";
import type { Row } from "./row-events.js";

export const FORMATS = ["csv", "tsv", "jsonl", "parquet"] as const;
export type Format = (typeof FORMATS)[number];

export type SourceRow = { line: number; row: Row } | { line: number; error: string };

export interface RowSource {
  rows: AsyncIterable<SourceRow>;
  /** Share of the file read so far, 0 to 1. */
  progress(): number;
  /** CSV cells are untyped text. */
  textual: boolean;
  /** What a row's position counts: lines of text, or rows of a Parquet file. */
  unit: "line" | "row";
}

export function formatOf(file: string, given: string | undefined): Format {
  if (given !== undefined) {
    if ((FORMATS as readonly string[]).includes(given)) return given as Format;
    throw new Error(`--format must be one of ${FORMATS.join(", ")}`);
  }
  const ext = file.toLowerCase().split(".").pop();
  if (ext === "csv" || ext === "tsv" || ext === "parquet") return ext;
  if (ext === "jsonl" || ext === "ndjson" || ext === "json") return "jsonl";
  if (ext === "pq") return "parquet";
  throw new Error(`cannot tell the format of '${file}' from its name; give --format ${FORMATS.join("|")}`);
}

export async function openRows(file: string, format: Format, opts: { delimiter?: string } = {}): Promise<RowSource> {
  const size = statSync(file).size;
  if (format === "parquet") return parquetRows(file);
  let bytes = 0;
  // Opened when the rows are first taken: a stream opened earlier would flow (and lose its data)
  // while the caller still awaits something else, such as opening a reference upload.
  const open = () => {
    const stream = createReadStream(file, { highWaterMark: 1 << 20 });
    stream.on("data", (chunk) => {
      bytes += chunk.length;
    });
    return stream;
  };
  const progress = () => (size === 0 ? 1 : Math.min(1, bytes / size));
  if (format === "jsonl") return { rows: jsonLines(open), progress, textual: false, unit: "line" };
  return { rows: csvRows(open, opts.delimiter ?? (format === "tsv" ? "\t" : ",")), progress, textual: true, unit: "line" };
}

async function* jsonLines(open: () => NodeJS.ReadableStream): AsyncIterable<SourceRow> {
  let line = 0;
  for await (const text of createInterface({ input: open(), crlfDelay: Number.POSITIVE_INFINITY })) {
    line++;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      // Refuses __proto__ and constructor.prototype keys, like the gateway's own body parser.
      value = sjson.parse(text, undefined, { protoAction: "error", constructorAction: "error" });
    } catch (err) {
      yield { line, error: `invalid JSON: ${(err as Error).message}` };
      continue;
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) yield { line, error: "not a JSON object" };
    else yield { line, row: value as Row };
  }
}

const UNSAFE_NAMES = new Set(["__proto__", "constructor", "prototype"]);

async function* csvRows(open: () => NodeJS.ReadableStream, delimiter: string): AsyncIterable<SourceRow> {
  // Records csv-parse cannot read (wrong number of fields, a stray quote) are skipped by it and
  // reported here in line order, between the rows around them.
  const skipped: SourceRow[] = [];
  const parser = open().pipe(
    parseCsv({
      delimiter,
      bom: true,
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      columns: (header: string[]) =>
        header.map((name) => {
          if (UNSAFE_NAMES.has(name)) throw new Error(`the header names a column '${name}', which cannot be loaded; rename it`);
          return name;
        }),
      on_skip: (err) => {
        if (err) skipped.push({ line: (err as { lines?: number }).lines ?? 0, error: `CSV: ${err.message}` });
      },
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    // csv-parse counts lines up to the record's end; a quoted field may span several.
    let inner = 0;
    for (const k in record) {
      const v = record[k]!;
      if (v.includes("\n")) inner += v.split("\n").length - 1;
    }
    const line = info.lines - inner;
    // The parser runs ahead of this loop by a buffer: a skip it found further on waits for its turn.
    while (skipped.length && skipped[0]!.line < line) yield skipped.shift()!;
    yield { line, row: record };
  }
  while (skipped.length) yield skipped.shift()!;
}

async function parquetRows(file: string): Promise<RowSource> {
  const buffer = await asyncBufferFromFile(file);
  const metadata = await parquetMetadataAsync(buffer);
  const total = Number(metadata.num_rows);
  let done = 0;
  async function* rows(): AsyncIterable<SourceRow> {
    let groupStart = 0;
    for (const group of metadata.row_groups) {
      const n = Number(group.num_rows);
      // One row group at a time, as columns (numbers stay in typed arrays); rows are built as they are taken.
      const columns = new Map<string, unknown[]>();
      await parquetRead({
        file: buffer,
        metadata,
        compressors,
        rowStart: groupStart,
        rowEnd: groupStart + n,
        onChunk: ({ columnName, columnData, rowStart }) => {
          let column = columns.get(columnName);
          if (!column) columns.set(columnName, (column = new Array(n)));
          for (let i = 0; i < columnData.length; i++) {
            const at = rowStart + i - groupStart;
            if (at >= 0 && at < n) column[at] = columnData[i];
          }
        },
      });
      const names = [...columns.keys()];
      for (let i = 0; i < n; i++) {
        const row: Row = {};
        for (const name of names) row[name] = columns.get(name)![i];
        done++;
        yield { line: groupStart + i + 1, row };
      }
      groupStart += n;
    }
  }
  return { rows: rows(), progress: () => (total === 0 ? 1 : done / total), textual: false, unit: "row" };
}
