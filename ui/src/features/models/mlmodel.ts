// A model version's MLmodel file: where to read it, and its flavors and signature. The file is
// YAML written by mlflow/runstone; the UI reads only the few fields it shows (top-level keys
// under `flavors:` and the `signature:` block's JSON strings), so no YAML library is needed.
import { getProxiedArtifactText, getRunArtifactText } from "../../api/registry_api";

export interface Column {
  name?: string;
  type: string;
}

export interface Mlmodel {
  flavors: string[];
  inputs: Column[] | null;
  outputs: Column[] | null;
  /** The raw file, for anything the fields above miss. */
  text: string;
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  if (v.startsWith('"') && v.endsWith('"')) return JSON.parse(v) as string;
  return v;
}

function columns(value: string | undefined): Column[] | null {
  if (value === undefined) return null;
  try {
    const parsed: unknown = JSON.parse(unquote(value));
    if (!Array.isArray(parsed)) return null;
    return parsed.map((c: unknown) => {
      const o = (typeof c === "object" && c !== null ? c : {}) as Record<string, unknown>;
      const spec = o["tensor-spec"] as { dtype?: unknown; shape?: unknown } | undefined;
      const type =
        o.type === "tensor" && spec
          ? `tensor(${String(spec.dtype)}, ${JSON.stringify(spec.shape)})`
          : typeof o.type === "string"
            ? o.type
            : JSON.stringify(o);
      return typeof o.name === "string" ? { name: o.name, type } : { type };
    });
  } catch {
    return null;
  }
}

/** Flavors and signature of MLmodel `text`. */
export function parseMlmodel(text: string): Mlmodel {
  const lines = text.split(/\r?\n/);
  const flavors: string[] = [];
  const signature: Record<string, string> = {};
  let block: string | null = null;
  let last: string | null = null;
  for (const line of lines) {
    const top = /^([A-Za-z_][\w-]*):(.*)$/.exec(line);
    if (top) {
      block = top[1]!;
      last = null;
      continue;
    }
    const child = /^ {2}([A-Za-z_][\w-]*):\s*(.*)$/.exec(line);
    if (!child) {
      // YAML folds long scalars onto more-indented lines; the break reads as one space.
      if (block === "signature" && last && /^ {4,}\S/.test(line)) {
        signature[last] = `${signature[last] ?? ""} ${line.trim()}`;
      }
      continue;
    }
    if (block === "flavors") flavors.push(child[1]!);
    last = block === "signature" && child[2] ? child[1]! : null;
    if (last) signature[last] = child[2]!;
  }
  return { flavors, inputs: columns(signature.inputs), outputs: columns(signature.outputs), text };
}

export interface VersionLocation {
  source: string;
  downloadUri: string;
  runId: string | null;
  runArtifactUri: string | null;
}

/** Where MLmodel can be read through the server's routes, or null when no route reaches it. */
export function mlmodelRoute(loc: VersionLocation): { runId: string; path: string } | { proxied: string } | null {
  const join = (dir: string) => (dir ? `${dir.replace(/\/+$/, "")}/MLmodel` : "MLmodel");
  const runs = /^runs:\/([^/]+)\/?(.*)$/.exec(loc.source);
  if (runs) return { runId: runs[1]!, path: join(runs[2]!) };
  for (const uri of [loc.downloadUri, loc.source]) {
    if (loc.runId && loc.runArtifactUri && uri.startsWith(`${loc.runArtifactUri}/`)) {
      return { runId: loc.runId, path: join(uri.slice(loc.runArtifactUri.length + 1)) };
    }
    const proxied = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.+)$/.exec(uri);
    if (proxied) return { proxied: join(proxied[1]!) };
  }
  return null;
}

export async function fetchMlmodel(loc: VersionLocation, signal?: AbortSignal): Promise<Mlmodel | null> {
  const route = mlmodelRoute(loc);
  if (route === null) return null;
  const text =
    "proxied" in route
      ? await getProxiedArtifactText(route.proxied, signal)
      : await getRunArtifactText(route.runId, route.path, signal);
  return parseMlmodel(text);
}
