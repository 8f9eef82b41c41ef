// How an artifact is previewed, from its name and size.

export type PreviewKind = "mlmodel" | "text" | "json" | "yaml" | "csv" | "tsv" | "image" | "download";

/** Text previews are fetched whole; bigger files are offered as downloads. */
export const MAX_TEXT_BYTES = 1024 * 1024;
/** Tables parse more (their first rows are what is shown). */
export const MAX_TABLE_BYTES = 20 * 1024 * 1024;

const TEXT = new Set([
  "txt", "log", "py", "md", "markdown", "rst", "cfg", "ini", "toml", "sh", "bash", "r", "sql",
  "java", "scala", "js", "ts", "c", "h", "cpp", "go", "rs", "jl", "out", "err", "conf",
  "properties", "requirements", "dockerfile", "mlproject", "ipynb", "html", "xml",
]);
const IMAGES = new Set(["png", "jpg", "jpeg", "gif", "webp", "bmp"]);
const TEXT_NAMES = new Set(["MLproject", "Dockerfile", "LICENSE", "README", "requirements.txt"]);

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

export function extension(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot + 1).toLowerCase();
}

/** The preview of a file; `size` (bytes, when known) sends big text files to download. */
export function previewKind(path: string, size: number | undefined): PreviewKind {
  const name = baseName(path);
  const ext = extension(path);
  const bytes = size ?? 0;
  if (IMAGES.has(ext)) return "image";
  const textual: PreviewKind | null =
    name === "MLmodel"
      ? "mlmodel"
      : ext === "json"
        ? "json"
        : ext === "yaml" || ext === "yml"
          ? "yaml"
          : ext === "csv"
            ? "csv"
            : ext === "tsv"
              ? "tsv"
              : TEXT.has(ext) || TEXT_NAMES.has(name)
                ? "text"
                : null;
  if (textual === null) return "download";
  const limit = textual === "csv" || textual === "tsv" ? MAX_TABLE_BYTES : MAX_TEXT_BYTES;
  return bytes > limit ? "download" : textual;
}

/** Bytes in a short human form: 512 B, 1.5 KB, 3.2 MB. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
