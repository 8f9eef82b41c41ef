// The artifact tree: each folder lists its entries (artifacts/list) when first opened.
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { listArtifacts, type FileInfo } from "../../api/artifacts_api";
import { ErrorBox } from "../../components/States";
import { baseName, formatBytes } from "./kinds";

interface Props {
  runId: string;
  selected: string | null;
  onSelect: (path: string) => void;
}

function useListing(runId: string, path: string) {
  return useQuery({
    queryKey: ["artifacts", runId, path],
    queryFn: ({ signal }) => listArtifacts(runId, path, signal),
    select: (files) =>
      [...files].sort((a, b) => Number(!!b.is_dir) - Number(!!a.is_dir) || a.path.localeCompare(b.path)),
  });
}

function Folder({ runId, path, selected, onSelect }: Props & { path: string }) {
  const listing = useListing(runId, path);
  if (listing.isPending) return <p className="muted tree-note">Loading…</p>;
  if (listing.isError) return <ErrorBox error={listing.error} retry={() => void listing.refetch()} />;
  if (listing.data.length === 0) {
    return <p className="muted tree-note">{path ? "Empty folder." : "No artifacts."}</p>;
  }
  return (
    <ul role={path ? "group" : "tree"} aria-label={path ? undefined : "Artifact files"}>
      {listing.data.map((f) => (
        <Entry key={f.path} runId={runId} file={f} selected={selected} onSelect={onSelect} />
      ))}
    </ul>
  );
}

function Entry({ runId, file, selected, onSelect }: Props & { file: FileInfo }) {
  const within = selected !== null && selected.startsWith(`${file.path}/`);
  const [open, setOpen] = useState(within);
  const name = baseName(file.path);
  if (file.is_dir) {
    return (
      <li role="treeitem" aria-expanded={open} aria-selected={false}>
        <button type="button" className="tree-entry folder" onClick={() => setOpen(!open)}>
          <span className="tree-mark" aria-hidden="true">
            {open ? "▾" : "▸"}
          </span>
          {name}
        </button>
        {open && <Folder runId={runId} path={file.path} selected={selected} onSelect={onSelect} />}
      </li>
    );
  }
  const isSelected = selected === file.path;
  return (
    <li role="treeitem" aria-selected={isSelected}>
      <button
        type="button"
        className={`tree-entry file${isSelected ? " selected" : ""}`}
        onClick={() => onSelect(file.path)}
        title={file.path}
      >
        <span className="tree-name">{name}</span>
        <span className="muted tree-size">{formatBytes(file.file_size)}</span>
      </button>
    </li>
  );
}

export function ArtifactTree(props: Props) {
  return <Folder {...props} path="" />;
}
