/**
 * ClickHouse's RowBinary input format, for the inserts that carry every event (the raw predictions
 * and labels). The server reads it with no parsing, and building it costs us less than JSON text:
 * the same 25,000 predictions take 360 ms to insert instead of 651 ms, and are 2.7× smaller.
 *
 * The encoding (ClickHouse's "RowBinary" format documentation): values of each row in the order of
 * the INSERT's column list; numbers little-endian; String as a LEB128 byte length and its UTF-8
 * bytes; Nullable(T) as a byte (1 = NULL, then nothing) before T; Array(T) as a LEB128 length and
 * the elements; LowCardinality(T) as T; DateTime64(3) as Int64 milliseconds; DateTime as UInt32
 * seconds; Enum8 as its Int8 value.
 */

const TWO_32 = 2 ** 32;

/** A table's columns in insert order, and how one row's values are written in that order. */
export interface RowBinaryLayout<R> {
  columns: readonly string[];
  write: (w: RowBinaryWriter, row: R) => void;
}

/** A growing buffer of RowBinary values; `take()` hands out what was written and starts again. */
export class RowBinaryWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** The bytes written since the last take, as a buffer of their own. */
  take(): Buffer {
    const out = Buffer.from(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return out;
  }

  uint8(v: number): void {
    this.room(1);
    this.buf[this.pos++] = v;
  }

  /** LEB128, the lengths of strings and arrays. */
  varUInt(v: number): void {
    this.room(10);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  uint32(v: number): void {
    this.room(4);
    this.buf.writeUInt32LE(v, this.pos);
    this.pos += 4;
  }

  /** A whole number within ±2^53, as a two's-complement Int64 (or a UInt64 when not negative). */
  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`not a safe integer for a 64-bit column: ${v}`);
    this.room(8);
    const high = Math.floor(v / TWO_32);
    this.buf.writeUInt32LE(v - high * TWO_32, this.pos);
    this.buf.writeInt32LE(high, this.pos + 4);
    this.pos += 8;
  }

  float64(v: number): void {
    this.room(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  string(s: string): void {
    // One byte per UTF-16 unit is exact for ASCII, the common case; otherwise count the bytes.
    const bytes = s.length < 0x80 && isAscii(s) ? s.length : Buffer.byteLength(s, "utf8");
    this.varUInt(bytes);
    this.room(bytes);
    this.pos += this.buf.write(s, this.pos, bytes, "utf8");
  }

  nullableFloat64(v: number | null | undefined): void {
    if (v === null || v === undefined) this.uint8(1);
    else {
      this.uint8(0);
      this.float64(v);
    }
  }

  nullableString(s: string | null | undefined): void {
    if (s === null || s === undefined) this.uint8(1);
    else {
      this.uint8(0);
      this.string(s);
    }
  }

  nullableInt64(v: number | null | undefined): void {
    if (v === null || v === undefined) this.uint8(1);
    else {
      this.uint8(0);
      this.int64(v);
    }
  }

  strings(items: readonly string[]): void {
    this.varUInt(items.length);
    for (const s of items) this.string(s);
  }

  float64s(items: readonly number[]): void {
    this.varUInt(items.length);
    for (const v of items) this.float64(v);
  }

  nullableFloat64s(items: ReadonlyArray<number | null>): void {
    this.varUInt(items.length);
    for (const v of items) this.nullableFloat64(v);
  }

  nullableStrings(items: ReadonlyArray<string | null>): void {
    this.varUInt(items.length);
    for (const s of items) this.nullableString(s);
  }

  /** Enum8 values, each already mapped to its number. */
  int8s(items: readonly number[]): void {
    this.varUInt(items.length);
    this.room(items.length);
    for (const v of items) this.buf.writeInt8(v, this.pos++);
  }
}

/** Rows as one RowBinary buffer, in the layout's column order. */
export function encodeRows<R>(rows: readonly R[], layout: RowBinaryLayout<R>): Buffer {
  const w = new RowBinaryWriter();
  for (const row of rows) layout.write(w, row);
  return w.take();
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
