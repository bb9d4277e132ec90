import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetWriteFile } from "hyparquet-writer";
import { afterAll, describe, expect, it } from "vitest";
import { formatOf, openRows, type SourceRow } from "./readers.js";

const dir = mkdtempSync(join(tmpdir(), "hindsight-readers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all(file: string, format: Parameters<typeof openRows>[1]): Promise<SourceRow[]> {
  const source = await openRows(file, format);
  const out: SourceRow[] = [];
  for await (const r of source.rows) out.push(r);
  expect(source.progress()).toBe(1);
  return out;
}

describe("file readers", () => {
  it("tells formats from file names", () => {
    expect(formatOf("a.CSV", undefined)).toBe("csv");
    expect(formatOf("a.ndjson", undefined)).toBe("jsonl");
    expect(formatOf("a.parquet", undefined)).toBe("parquet");
    expect(formatOf("a.txt", "tsv")).toBe("tsv");
    expect(() => formatOf("a.txt", undefined)).toThrow(/--format/);
  });

  it("reads CSV rows at the line they start on, with quoted commas and line breaks, and reports broken records in order", async () => {
    const file = join(dir, "a.csv");
    writeFileSync(
      file,
      [
        "\uFEFFid,purpose,amount", // line 1, with a byte-order mark
        "1,car,10", // 2
        "", // 3: blank, skipped
        '2,"debt, consolidation",20', // 4
        '3,"two', // 5: a field over two lines
        'lines",30', // 6
        "4,short", // 7: too few fields
        "5,home,50", // 8
      ].join("\n"),
    );
    expect(await all(file, "csv")).toEqual([
      { line: 2, row: { id: "1", purpose: "car", amount: "10" } },
      { line: 4, row: { id: "2", purpose: "debt, consolidation", amount: "20" } },
      { line: 5, row: { id: "3", purpose: "two\nlines", amount: "30" } },
      { line: 7, error: "CSV: Invalid Record Length: columns length is 3, got 2 on line 7" },
      { line: 8, row: { id: "5", purpose: "home", amount: "50" } },
    ]);
    // Windows line ends (csv-parse miscounts a CRLF inside a quoted field as two lines, so none here).
    writeFileSync(file, "id,x\r\n1,a\r\n\r\n2,b\r\n");
    expect(await all(file, "csv")).toEqual([
      { line: 2, row: { id: "1", x: "a" } },
      { line: 4, row: { id: "2", x: "b" } },
    ]);
  });

  it("loses no row when the caller awaits something else between opening a file and reading it", async () => {
    const file = join(dir, "late.jsonl");
    writeFileSync(file, '{"id": 1}\n{"id": 2}\n');
    const source = await openRows(file, "jsonl");
    await new Promise((r) => setTimeout(r, 50));
    const lines: number[] = [];
    for await (const r of source.rows) lines.push(r.line);
    expect(lines).toEqual([1, 2]);
  });

  it("reads JSON Lines, reporting a broken line, a non-object and a prototype-poisoning key at their lines", async () => {
    const file = join(dir, "a.jsonl");
    writeFileSync(file, ['{"id": 1, "x": 2.5}', "", "{not json", "[1, 2]", '{"__proto__": {"admin": true}}', '{"id": 2}'].join("\n"));
    const rows = await all(file, "jsonl");
    expect(rows.map((r) => ("error" in r ? `${r.line} error` : `${r.line} ${JSON.stringify(r.row)}`))).toEqual([
      '1 {"id":1,"x":2.5}',
      "3 error",
      "4 error",
      "5 error",
      '6 {"id":2}',
    ]);
    expect((rows[1] as { error: string }).error).toMatch(/^invalid JSON/);
    expect((rows[2] as { error: string }).error).toBe("not a JSON object");
    expect((rows[3] as { error: string }).error).toMatch(/^invalid JSON: .*prototype/);
  });

  it("reads Parquet row groups one at a time, numbering rows from 1, with typed values", async () => {
    const file = join(dir, "a.parquet");
    const n = 2500;
    parquetWriteFile({
      filename: file,
      rowGroupSize: 1000,
      columnData: [
        { name: "id", type: "STRING", data: Array.from({ length: n }, (_, i) => `r${i}`) },
        { name: "at", type: "TIMESTAMP", data: Array.from({ length: n }, (_, i) => new Date(1_000_000_000_000 + i)) },
        { name: "x", type: "DOUBLE", data: Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : i / 2)) },
        { name: "k", type: "INT32", data: Array.from({ length: n }, (_, i) => i % 3) },
      ],
    });
    const rows = await all(file, "parquet");
    expect(rows.length).toBe(n);
    expect(rows[0]).toEqual({ line: 1, row: { id: "r0", at: new Date(1_000_000_000_000), x: null, k: 0 } });
    // Row 1002 is in the second row group.
    expect(rows[1001]).toEqual({ line: 1002, row: { id: "r1001", at: new Date(1_000_000_001_001), x: null, k: 2 } });
    expect(rows[1002]).toEqual({ line: 1003, row: { id: "r1002", at: new Date(1_000_000_001_002), x: 501, k: 0 } });
    expect(rows[n - 1]).toMatchObject({ line: n, row: { id: `r${n - 1}` } });
  });
});
