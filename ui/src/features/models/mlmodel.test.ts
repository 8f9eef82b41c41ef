import { describe, expect, it } from "vitest";
import { mlmodelRoute, parseMlmodel } from "./mlmodel";
import { nameFilter } from "./queries";

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
  sklearn:
    sklearn_version: 1.5.0
mlflow_version: 2.20.0
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}, {"type": "long", "name":
    "y"}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: null
`;

describe("MLmodel", () => {
  it("reads flavors and the signature", () => {
    const m = parseMlmodel(MLMODEL);
    expect(m.flavors).toEqual(["python_function", "sklearn"]);
    expect(m.inputs).toEqual([
      { name: "x", type: "double" },
      { name: "y", type: "long" },
    ]);
    expect(m.outputs?.[0]?.type).toBe("tensor(float64, [-1])");
  });

  it("finds a route to the file", () => {
    const base = { downloadUri: "", runId: "r1", runArtifactUri: "/store/1/r1/artifacts" };
    expect(mlmodelRoute({ ...base, source: "runs:/r1/model" })).toEqual({ runId: "r1", path: "model/MLmodel" });
    expect(mlmodelRoute({ ...base, source: "/store/1/r1/artifacts/m" })).toEqual({ runId: "r1", path: "m/MLmodel" });
    expect(mlmodelRoute({ ...base, source: "models:/m-1", downloadUri: "mlflow-artifacts:/1/m-1/artifacts" })).toEqual({
      proxied: "1/m-1/artifacts/MLmodel",
    });
    expect(mlmodelRoute({ ...base, source: "s3://b/x", runId: null })).toBeNull();
  });

  it("neutralises quotes and wildcards in the name search", () => {
    expect(nameFilter(" a'b% ")).toBe("name ILIKE '%a_b_%'");
    expect(nameFilter("")).toBe("");
  });
});
