// An `MLmodel` file (YAML) as the structure the preview shows: flavors with their settings,
// the signature's inputs, outputs and params as rows, and the remaining top-level fields. The YAML
// parser is loaded on first use (readMlModel), which keeps it out of the main bundle.

/** A YAML parser (the `yaml` package's `parse`). */
export type YamlParse = (text: string) => unknown;

export interface SignatureRow {
  name: string;
  type: string;
  /** "required", "optional", a tensor shape or a param's default. */
  detail: string;
}

export interface MlModel {
  flavors: { name: string; settings: [string, string][] }[];
  inputs: SignatureRow[] | null;
  outputs: SignatureRow[] | null;
  params: SignatureRow[] | null;
  fields: [string, string][];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value as one line of text. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

function specRow(spec: unknown, i: number): SignatureRow {
  if (!isObject(spec)) return { name: `#${i}`, type: show(spec), detail: "" };
  const tensor = spec["tensor-spec"];
  if (isObject(tensor)) {
    return {
      name: show(spec.name) || `#${i}`,
      type: `tensor (${show(tensor.dtype)})`,
      detail: `shape ${show(tensor.shape)}`,
    };
  }
  const detail =
    "default" in spec
      ? `default ${show(spec.default)}${spec.shape ? `, shape ${show(spec.shape)}` : ""}`
      : spec.required === false
        ? "optional"
        : "required";
  const items = isObject(spec.items) ? ` of ${show(spec.items.type)}` : "";
  return { name: show(spec.name) || `#${i}`, type: `${show(spec.type)}${items}`, detail };
}

/** Signature parts are JSON text inside the YAML (MLflow writes them so). */
function specRows(value: unknown): SignatureRow[] | null {
  if (value === undefined || value === null) return null;
  let parsed: unknown = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return [{ name: "(unparsed)", type: value, detail: "" }];
    }
  }
  return Array.isArray(parsed) ? parsed.map(specRow) : [specRow(parsed, 0)];
}

/** The MLmodel file `text`, read with the YAML package loaded on demand. */
export async function readMlModel(text: string): Promise<MlModel> {
  const yaml = await import("yaml");
  return parseMlModel(text, yaml.parse);
}

export function parseMlModel(text: string, parse: YamlParse): MlModel {
  const doc: unknown = parse(text);
  if (!isObject(doc)) throw new Error("MLmodel is not a YAML mapping.");
  const flavors = isObject(doc.flavors)
    ? Object.entries(doc.flavors).map(([name, settings]) => ({
        name,
        settings: isObject(settings)
          ? Object.entries(settings).map(([k, v]): [string, string] => [k, show(v)])
          : [],
      }))
    : [];
  const signature = isObject(doc.signature) ? doc.signature : {};
  const fields = Object.entries(doc)
    .filter(([key]) => key !== "flavors" && key !== "signature")
    .map(([key, value]): [string, string] => [key, show(value)]);
  return {
    flavors,
    inputs: specRows(signature.inputs),
    outputs: specRows(signature.outputs),
    params: specRows(signature.params),
    fields,
  };
}
