// A registered model: description, aliases, tags and every version.
import { errorMessage } from "../../api/errors";
import { ErrorBox, Loading } from "../../components/States";
import { formatTime } from "../../lib/format";
import { href } from "../../lib/router";
import { DescriptionEditor, TagsEditor } from "./Editors";
import { useModel, useModelVersions, useRegistryEdit } from "./queries";
import "./models.css";

export function ModelPage({ name }: { name: string }) {
  const model = useModel(name);
  const versions = useModelVersions(name);
  const edit = useRegistryEdit(name);
  if (model.isPending) return <Loading what="the model" />;
  if (model.isError) return <ErrorBox error={model.error} retry={() => void model.refetch()} />;
  const m = model.data;
  const aliasesOf = (v: string) => (m.aliases ?? []).filter((a) => a.version === v).map((a) => a.alias);
  return (
    <section className="page model-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={href({ page: "models" })}>← Models</a>
      </nav>
      <h1>{m.name}</h1>
      <p className="muted">
        Created {formatTime(m.creation_timestamp)} · updated {formatTime(m.last_updated_timestamp)}
      </p>
      {edit.isError && (
        <p className="inline-error" role="alert">
          {errorMessage(edit.error)}
        </p>
      )}
      <DescriptionEditor
        value={m.description ?? ""}
        onSave={(description) => edit.mutate({ kind: "modelDescription", description })}
      />
      <h2>Versions</h2>
      {versions.isPending ? (
        <Loading what="versions" />
      ) : versions.isError ? (
        <ErrorBox error={versions.error} />
      ) : versions.data.length === 0 ? (
        <p className="muted">No versions yet.</p>
      ) : (
        <table className="kv-table" aria-label="Versions">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>Stage</th>
              <th>Status</th>
              <th>Created</th>
              <th>Source run</th>
            </tr>
          </thead>
          <tbody>
            {versions.data.map((v) => (
              <tr key={v.version}>
                <td>
                  <a href={href({ page: "modelVersion", name, version: v.version })}>Version {v.version}</a>
                </td>
                <td>{aliasesOf(v.version).map((a) => `@${a}`).join(", ")}</td>
                <td>{v.current_stage ?? ""}</td>
                <td>{v.status ?? ""}</td>
                <td>{formatTime(v.creation_timestamp)}</td>
                <td className="mono">{v.run_id ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <TagsEditor
        tags={m.tags ?? []}
        onSet={(key, value) => edit.mutate({ kind: "modelTag", key, value })}
        onDelete={(key) => edit.mutate({ kind: "modelTag", key, value: null })}
      />
    </section>
  );
}
