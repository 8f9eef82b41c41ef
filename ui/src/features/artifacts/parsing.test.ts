import { describe, expect, it } from "vitest";
import { parseDelimited } from "./csv";
import { formatBytes, previewKind } from "./kinds";
import { parse } from "yaml";
import { parseMlModel, readMlModel } from "./mlmodel";

describe("parseDelimited", () => {
  it("handles quotes, doubled quotes, embedded delimiters and newlines", () => {
    const table = parseDelimited('a,b,c\r\n1,"x, y","say ""hi"""\n2,"multi\nline",\n');
    expect(table.header).toEqual(["a", "b", "c"]);
    expect(table.rows).toEqual([
      ["1", "x, y", 'say "hi"'],
      ["2", "multi\nline", ""],
    ]);
    expect(table.truncated).toBe(false);
  });

  it("reads TSV and a last line without newline", () => {
    expect(parseDelimited("k\tv\nlr\t0.1", "\t").rows).toEqual([["lr", "0.1"]]);
  });

  it("stops after maxRows and says so", () => {
    const text = ["h", ...Array.from({ length: 50 }, (_, i) => String(i))].join("\n");
    const table = parseDelimited(text, ",", 10);
    expect(table.rows).toHaveLength(10);
    expect(table.rows[9]).toEqual(["9"]);
    expect(table.truncated).toBe(true);
  });
});

describe("previewKind", () => {
  it("picks a preview by name and size", () => {
    expect(previewKind("model/MLmodel", 300)).toBe("mlmodel");
    expect(previewKind("a/b.json", 10)).toBe("json");
    expect(previewKind("conf.yml", 10)).toBe("yaml");
    expect(previewKind("data.csv", 10)).toBe("csv");
    expect(previewKind("data.tsv", 10)).toBe("tsv");
    expect(previewKind("train.log", 10)).toBe("text");
    expect(previewKind("plot.PNG", 10)).toBe("image");
    expect(previewKind("plot.svg", 10)).toBe("download");
    expect(previewKind("weights.bin", 10)).toBe("download");
    expect(previewKind("big.txt", 2 * 1024 * 1024)).toBe("download");
    expect(previewKind("<img src=x onerror=alert(1)>.txt", 10)).toBe("text");
  });

  it("formats sizes", () => {
    expect([formatBytes(512), formatBytes(1536), formatBytes(5 * 1024 * 1024)]).toEqual(["512 B", "1.5 KB", "5.0 MB"]);
  });
});

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: runstone.sklearn
    python_version: 3.12.1
  sklearn:
    sklearn_version: 1.5.0
    serialization_format: cloudpickle
model_uuid: 1234
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}, {"type": "string", "name": "city", "required": false}]'
  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
  params: '[{"name": "alpha", "type": "double", "default": 0.5, "shape": null}]'
utc_time_created: '2026-11-27 06:00:00.000000'
`;

describe("parseMlModel", () => {
  it("reads flavors, signature tables and fields", () => {
    const model = parseMlModel(MLMODEL, parse);
    expect(model.flavors.map((f) => f.name)).toEqual(["python_function", "sklearn"]);
    expect(model.flavors[1]?.settings).toContainEqual(["sklearn_version", "1.5.0"]);
    expect(model.inputs).toEqual([
      { name: "x", type: "double", detail: "required" },
      { name: "city", type: "string", detail: "optional" },
    ]);
    expect(model.outputs).toEqual([{ name: "#0", type: "tensor (float64)", detail: "shape [-1]" }]);
    expect(model.params).toEqual([{ name: "alpha", type: "double", detail: "default 0.5" }]);
    expect(model.fields).toContainEqual(["artifact_path", "model"]);
    expect(model.fields).toContainEqual(["model_uuid", "1234"]);
  });

  it("has no signature when the file has none, and rejects non-mappings", () => {
    const model = parseMlModel("flavors:\n  pytorch: {}\n", parse);
    expect([model.inputs, model.outputs, model.params]).toEqual([null, null, null]);
    expect(() => parseMlModel("- a\n- b\n", parse)).toThrow();
  });
});

describe("readMlModel", () => {
  it("loads the YAML parser on demand", async () => {
    expect((await readMlModel(MLMODEL)).flavors).toHaveLength(2);
  });
});
