/**
 * Events collected into request bodies under the gateway's limits (HINDSIGHT_MAX_BODY_BYTES and
 * HINDSIGHT_MAX_BATCH_ITEMS), each event remembering the file line it came from so that a
 * per-item rejection can be reported at its line. Pure.
 */

export interface Batch {
  /** Each event's JSON text. */
  items: string[];
  /** The file line of each item. */
  lines: number[];
  /** Bytes of the body `[a,b,…]`. */
  bytes: number;
}

export const bodyOf = (b: Pick<Batch, "items">): string => `[${b.items.join(",")}]`;

export class Batcher {
  private items: string[] = [];
  private lines: number[] = [];
  private bytes = 2;

  constructor(
    private readonly maxBytes: number,
    private readonly maxItems: number,
  ) {
    if (maxItems < 1 || maxBytes < 3) throw new Error("a batch needs room for at least one item");
  }

  /** Whether an event of `json` alone fits a body. */
  fits(json: string): boolean {
    return Buffer.byteLength(json) + 2 <= this.maxBytes;
  }

  /** Adds an event (which must fit alone); returns the batch it closed when it did not fit the open one. */
  add(json: string, line: number): Batch | undefined {
    const size = Buffer.byteLength(json);
    let closed: Batch | undefined;
    if (this.items.length > 0 && (this.bytes + 1 + size > this.maxBytes || this.items.length >= this.maxItems)) closed = this.take();
    this.bytes += size + (this.items.length > 0 ? 1 : 0);
    this.items.push(json);
    this.lines.push(line);
    return closed;
  }

  get size(): number {
    return this.items.length;
  }

  /** The open batch (possibly empty), and a fresh one started. */
  take(): Batch {
    const batch = { items: this.items, lines: this.lines, bytes: this.bytes };
    this.items = [];
    this.lines = [];
    this.bytes = 2;
    return batch;
  }
}

/** A batch cut in two halves, for a gateway whose limits are lower than the client assumed (413). */
export function halves(b: Batch): [Batch, Batch] {
  const mid = Math.ceil(b.items.length / 2);
  const part = (items: string[], lines: number[]): Batch => ({
    items,
    lines,
    bytes: 2 + items.reduce((s, i) => s + Buffer.byteLength(i), 0) + Math.max(0, items.length - 1),
  });
  return [part(b.items.slice(0, mid), b.lines.slice(0, mid)), part(b.items.slice(mid), b.lines.slice(mid))];
}
