// The preview of one artifact file, by kind (see kinds.ts). Contents are shown as text nodes
// only; images load from the server's download route (which never serves active types).
import { useQuery } from "@tanstack/react-query";
import { artifactUrl, fetchArtifactText, listArtifacts } from "../../api/artifacts_api";
import { ErrorBox, Loading } from "../../components/States";
import { CsvTable } from "./CsvTable";
import { baseName, formatBytes, type PreviewKind, previewKind } from "./kinds";
import { MlModelView } from "./MlModelView";

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function TextBody({ runId, path, kind }: { runId: string; path: string; kind: PreviewKind }) {
  const text = useQuery({
    queryKey: ["artifact-text", runId, path],
    queryFn: ({ signal }) => fetchArtifactText(runId, path, signal),
    staleTime: Infinity,
  });
  if (text.isPending) return <Loading what={baseName(path)} />;
  if (text.isError) return <ErrorBox error={text.error} retry={() => void text.refetch()} />;
  switch (kind) {
    case "json":
      return <pre className="artifact-text" data-kind="json">{prettyJson(text.data)}</pre>;
    case "csv":
    case "tsv":
      return <CsvTable text={text.data} delimiter={kind === "tsv" ? "\t" : ","} />;
    case "mlmodel":
      return <MlModelView text={text.data} />;
    default:
      return (
        <pre className="artifact-text" data-kind={kind}>
          {text.data}
        </pre>
      );
  }
}

export function Preview({ runId, path }: { runId: string; path: string }) {
  const siblings = useQuery({
    queryKey: ["artifacts", runId, parentOf(path)],
    queryFn: ({ signal }) => listArtifacts(runId, parentOf(path), signal),
  });
  const name = baseName(path);
  const url = artifactUrl(runId, path);
  if (siblings.isPending) return <Loading what={name} />;
  if (siblings.isError) return <ErrorBox error={siblings.error} />;
  const info = siblings.data.find((f) => f.path === path);
  if (!info || info.is_dir) return <p className="state state-empty">No file at {path}.</p>;
  const kind = previewKind(path, info.file_size);
  return (
    <div className="preview" data-kind={kind}>
      <header className="preview-head">
        <h2 className="preview-name">{path}</h2>
        <span className="muted">{formatBytes(info.file_size)}</span>
        <a href={url} download={name}>
          Download
        </a>
      </header>
      {kind === "image" ? (
        <img className="artifact-image" src={url} alt={name} />
      ) : kind === "download" ? (
        <p className="state state-empty">
          No preview for this file{info.file_size !== undefined ? ` (${formatBytes(info.file_size)})` : ""}.{" "}
          <a href={url} download={name}>
            Download {name}
          </a>
        </p>
      ) : (
        <TextBody runId={runId} path={path} kind={kind} />
      )}
    </div>
  );
}
