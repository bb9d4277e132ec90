import { describe, expect, it } from "vitest";
import { DecodeError, encode, SCHEMAS } from "./avro-codec.js";
import { RegistryUnavailableError, type SchemaRegistryClient, SchemaNotFoundError } from "./schema-registry.js";
import { registryDecoder } from "./wire-decoder.js";

const prediction = {
  prediction_id: "p-1",
  model_id: "m",
  model_version: "v1",
  stage: "production",
  timestamp: 1_700_000_000_000,
  features: { amount: 3 },
  prediction: { label: "a", score: 0.5, scores: null, value: null },
  segments: {},
  received_at: null,
  request_id: null,
};

/** A registry that knows ids 10 (prediction.v1), 11 (label.v1) and 12 (prediction, evolved), and counts its fetches. */
function fakeRegistry(down = { now: false }) {
  const evolved = JSON.parse(SCHEMAS.prediction.text);
  evolved.fields = [...evolved.fields.filter((f: { name: string }) => f.name !== "received_at")].reverse();
  evolved.fields.push({ name: "extra", type: "string", default: "" });
  const schemas = new Map([
    [10, SCHEMAS.prediction.text],
    [11, SCHEMAS.label.text],
    [12, JSON.stringify(evolved)],
  ]);
  const fetches: number[] = [];
  const client: SchemaRegistryClient = {
    url: "fake",
    async schemaById(id) {
      fetches.push(id);
      if (down.now) throw new RegistryUnavailableError("down");
      const text = schemas.get(id);
      if (text === undefined) throw new SchemaNotFoundError(`404 for ${id}`);
      return text;
    },
    register: async () => 10,
  };
  return { client, fetches, evolved };
}

describe("registryDecoder", () => {
  it("fetches each id once, however many messages carry it, and reads an evolved writer's schema", async () => {
    const { client, fetches, evolved } = fakeRegistry();
    const decoder = registryDecoder(client, { maxSchemas: 10 });
    const avsc = await import("avsc");
    const writer = avsc.default.Type.forSchema(evolved);
    const body = writer.toBuffer({ ...prediction, prediction_id: "p-2", extra: "x" });
    const evolvedBytes = Buffer.concat([Buffer.from([0, 0, 0, 0, 12]), body]);
    const v1 = encode("prediction", prediction, 10);
    const reader = await decoder.prepare([v1, v1, evolvedBytes, evolvedBytes]);
    expect(reader.decode("prediction", v1)).toEqual({ record: prediction, schemaId: 10 });
    expect(reader.decode("prediction", evolvedBytes)).toEqual({ record: { ...prediction, prediction_id: "p-2" }, schemaId: 12 });
    await decoder.prepare([v1, evolvedBytes]);
    expect(fetches.sort()).toEqual([10, 12]);
  });

  it("dead-letters an unknown id (fetched once) and a schema of another kind, with their reasons", async () => {
    const { client, fetches } = fakeRegistry();
    const decoder = registryDecoder(client, { maxSchemas: 10 });
    const unknown = encode("prediction", prediction, 99);
    const label = encode(
      "label",
      { prediction_id: "p", model_id: "m", label: "a", value: null, labeled_at: 1, source: "s", received_at: null },
      11,
    );
    const reader = await decoder.prepare([unknown, unknown, label]);
    expect(() => reader.decode("prediction", unknown)).toThrow(expect.objectContaining({ reason: "unknown_schema" }));
    expect(() => reader.decode("prediction", label)).toThrow(expect.objectContaining({ reason: "unresolvable_schema" }));
    expect(reader.decode("label", label).schemaId).toBe(11);
    await decoder.prepare([unknown]);
    expect(fetches.filter((id) => id === 99)).toHaveLength(1);
    expect(() => reader.decode("prediction", Buffer.from("x"))).toThrow(DecodeError);
  });

  it("throws while the registry is down (to be waited out), caching nothing, and reads the id once it is back", async () => {
    const down = { now: true };
    const { client, fetches } = fakeRegistry(down);
    const decoder = registryDecoder(client, { maxSchemas: 10 });
    const v1 = encode("prediction", prediction, 10);
    await expect(decoder.prepare([v1])).rejects.toBeInstanceOf(RegistryUnavailableError);
    down.now = false;
    expect((await decoder.prepare([v1])).decode("prediction", v1).schemaId).toBe(10);
    expect(fetches).toEqual([10, 10]);
  });

  it("keeps at most maxSchemas ids, dropping the least recently used", async () => {
    const { client, fetches } = fakeRegistry();
    const decoder = registryDecoder(client, { maxSchemas: 1 });
    const a = encode("prediction", prediction, 10);
    const b = encode("prediction", prediction, 12);
    await decoder.prepare([a]);
    await decoder.prepare([b]);
    await decoder.prepare([a]);
    expect(fetches).toEqual([10, 12, 10]);
  });
});
