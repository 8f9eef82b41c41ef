// Regenerates src/api/schema.ts from the server's OpenAPI document:
//   python -m runstone.server.openapi_dump  →  openapi-typescript  →  src/api/schema.ts
// The document (of a server with --auth) describes request bodies, GET query parameters and
// answers (the pydantic models of src/runstone/wire/responses*.py); src/api/responses.ts names
// the answer types for the rest of the UI.
// PYTHON names the interpreter (default: the project's ../.venv/bin/python).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ui = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const venvPython = resolve(ui, "../.venv/bin/python");
const python = process.env.PYTHON || (existsSync(venvPython) ? venvPython : "python3");
const work = mkdtempSync(join(tmpdir(), "runstone-openapi-"));
try {
  const doc = join(work, "openapi.json");
  execFileSync(python, ["-m", "runstone.server.openapi_dump", doc], { stdio: "inherit" });
  execFileSync(
    join(ui, "node_modules/.bin/openapi-typescript"),
    [doc, "-o", join(ui, "src/api/schema.ts")],
    { stdio: "inherit" },
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
