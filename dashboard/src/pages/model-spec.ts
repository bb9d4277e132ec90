/** A model's declared or inferred specification, fetched once per page load for the pages that need its task or keys. */
import { api } from "../api.js";

export interface ModelSpec {
  model_id: string;
  task: string;
  slice_keys: string[];
  declared: boolean;
}

const specs = new Map<string, Promise<ModelSpec | undefined>>();

export function modelSpec(id: string): Promise<ModelSpec | undefined> {
  let spec = specs.get(id);
  if (!spec) {
    spec = api.get<{ models: ModelSpec[] }>("/v1/models").then(
      ({ models }) => models.find((m) => m.model_id === id),
      (err: unknown) => {
        specs.delete(id);
        throw err;
      },
    );
    specs.set(id, spec);
  }
  return spec;
}
