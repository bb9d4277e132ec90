import { describe, expect, it } from "vitest";
import { classifyClickHouseError, clickHouseErrorCode } from "./errors.js";
import { RowShapeError } from "./row-schema.js";

describe("ClickHouse error classification", () => {
  it("reads the code from 18.16 and current message formats", () => {
    expect(clickHouseErrorCode(new Error("Code: 27, e.displayText() = DB::Exception: Cannot parse input"))).toBe("27");
    expect(clickHouseErrorCode(new Error("Code: 117. DB::Exception: Unknown field found. (INCORRECT_DATA)"))).toBe("117");
    expect(clickHouseErrorCode(Object.assign(new Error("x"), { code: "53" }))).toBe("53");
    expect(clickHouseErrorCode(Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }))).toBeUndefined();
  });

  it("retries outages and overload, splits batches the server rejects as malformed", () => {
    expect(classifyClickHouseError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED" }))).toBe(
      "retry",
    );
    expect(classifyClickHouseError(new Error("Timeout error."))).toBe("retry");
    expect(classifyClickHouseError(new Error("Code: 252, e.displayText() = DB::Exception: Too many parts"))).toBe("retry");
    expect(classifyClickHouseError(new Error("Code: 27, e.displayText() = DB::Exception: Cannot parse input"))).toBe("rejected_data");
    expect(
      classifyClickHouseError(
        new Error("Code: 117. DB::Exception: Unknown field found while parsing JSONEachRow format: x (INCORRECT_DATA)"),
      ),
    ).toBe("rejected_data");
  });
});

describe("statement error classification", () => {
  it("waits out outages and a busy server; the statement's own faults are deterministic", async () => {
    const { classifyStatementError } = await import("./errors.js");
    expect(classifyStatementError(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8123"), { code: "ECONNREFUSED" }))).toBe(
      "transient",
    );
    expect(classifyStatementError(new Error("Timeout error."))).toBe("transient");
    expect(classifyStatementError(new Error("Code: 252. DB::Exception: Too many parts"))).toBe("transient");
    expect(classifyStatementError(new Error("Code: 210. DB::NetException: Connection refused"))).toBe("transient");
    expect(classifyStatementError(new Error("Code: 62. DB::Exception: Max query size exceeded: failed at position 262145"))).toBe(
      "deterministic",
    );
    expect(classifyStatementError(new Error("Code: 241. DB::Exception: Memory limit (total) exceeded"))).toBe("deterministic");
    expect(classifyStatementError(new Error("Code: 27. DB::Exception: Cannot parse input"))).toBe("deterministic");
    expect(classifyStatementError(new RowShapeError('row 0 of "SELECT n": column n: an integer (found "x")'))).toBe("deterministic");
    expect(classifyStatementError(new Error("Code: 395. DB::Exception: Value passed to 'throwIf' function is non-zero"))).toBe(
      "deterministic",
    );
    // The HTTP layer's refusal of a parameter over its size comes with the code of a network error.
    expect(classifyStatementError(new Error("Poco::Exception. Code: 1000, e.code() = 0, HTML Form Exception: Field value too long"))).toBe(
      "deterministic",
    );
    expect(classifyStatementError(new Error("Poco::Exception. Code: 1000, e.code() = 104, Connection reset by peer"))).toBe("transient");
  });
});
