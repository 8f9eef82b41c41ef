// A model version: source run link, source, status, stage (transition), aliases (add/remove),
// description, tags, and the signature from its MLmodel.
import { useQuery } from "@tanstack/react-query";
import { getRun } from "../../api/endpoints";
import { errorMessage } from "../../api/errors";
import { ErrorBox, Loading } from "../../components/States";
import { formatTime } from "../../lib/format";
import { href } from "../../lib/router";
import { AliasEditor, DescriptionEditor, TagsEditor } from "./Editors";
import { Signature } from "./Signature";
import { useModel, useModelVersion, useRegistryEdit } from "./queries";
import "./models.css";

export const STAGES = ["None", "Staging", "Production", "Archived"] as const;

export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  const mv = useModelVersion(name, version);
  const model = useModel(name);
  const edit = useRegistryEdit(name);
  if (mv.isPending) return <Loading what="the model version" />;
  if (mv.isError) return <ErrorBox error={mv.error} retry={() => void mv.refetch()} />;
  const v = mv.data;
  // Aliases come with the version; the model's list is the fallback for older servers.
  const aliases =
    v.aliases ?? (model.data?.aliases ?? []).filter((a) => a.version === version).map((a) => a.alias);
  return (
    <section className="page model-version-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={href({ page: "models" })}>Models</a> / <a href={href({ page: "model", name })}>{name}</a>
      </nav>
      <h1>
        {name} version {v.version}
      </h1>
      {edit.isError && (
        <p className="inline-error" role="alert">
          {errorMessage(edit.error)}
        </p>
      )}
      <dl className="overview">
        <dt>Status</dt>
        <dd>{v.status ?? ""}</dd>
        <dt>Stage</dt>
        <dd>
          <label>
            <span className="visually-hidden">Stage</span>
            <select
              aria-label="Stage"
              value={v.current_stage ?? "None"}
              disabled={edit.isPending}
              onChange={(e) => edit.mutate({ kind: "stage", version, stage: e.target.value })}
            >
              {STAGES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        </dd>
        <dt>Aliases</dt>
        <dd data-testid="version-aliases">
          <AliasEditor
            aliases={aliases}
            onAdd={(alias) => edit.mutate({ kind: "alias", alias, version })}
            onRemove={(alias) => edit.mutate({ kind: "alias", alias, version: null })}
          />
        </dd>
        <dt>Source run</dt>
        <dd>
          {v.run_id ? <SourceRunLink runId={v.run_id} /> : <span className="muted">none</span>}
        </dd>
        <dt>Source</dt>
        <dd className="mono">{v.source ?? ""}</dd>
        <dt>Created</dt>
        <dd>{formatTime(v.creation_timestamp)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(v.last_updated_timestamp)}</dd>
      </dl>
      <DescriptionEditor
        value={v.description ?? ""}
        onSave={(description) => edit.mutate({ kind: "versionDescription", version, description })}
      />
      <Signature name={name} version={version} runId={v.run_id} source={v.source} />
      <TagsEditor
        tags={v.tags ?? []}
        onSet={(key, value) => edit.mutate({ kind: "versionTag", version, key, value })}
        onDelete={(key) => edit.mutate({ kind: "versionTag", version, key, value: null })}
      />
    </section>
  );
}

/** A link to the run page (its URL needs the run's experiment, read with runs/get). */
function SourceRunLink({ runId }: { runId: string }) {
  const run = useQuery({
    queryKey: ["source-run", runId],
    queryFn: ({ signal }) => getRun(runId, signal),
    select: (answer) => answer.run,
    retry: false,
  });
  if (!run.data) return <span className="mono">{runId}</span>;
  const { info } = run.data;
  return (
    <a href={href({ page: "run", experimentId: info.experiment_id, runId })} data-testid="source-run">
      {info.run_name ?? runId}
    </a>
  );
}
