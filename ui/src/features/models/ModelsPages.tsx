// Registry pages (first cut): the models list, a model's latest versions, a version's facts.
import { useState } from "react";
import { useDebounced } from "../../lib/useDebounced";
import { useQuery } from "@tanstack/react-query";
import { getModelVersion, getRegisteredModel, searchRegisteredModels } from "../../api/endpoints";
import { ErrorBox, Loading } from "../../components/States";
import { formatTime } from "../../lib/format";
import { href } from "../../lib/router";

export function ModelsList() {
  const [search, setSearch] = useState("");
  const term = useDebounced(search).trim().replace(/['"]/g, "_");
  const models = useQuery({
    queryKey: ["models", term],
    queryFn: ({ signal }) => searchRegisteredModels(term ? `name LIKE '%${term}%'` : "", signal),
    select: (page) => page.registered_models ?? [],
    placeholderData: (previous) => previous,
  });
  return (
    <section className="page">
      <h1>Registered models</h1>
      <input
        type="search"
        aria-label="Search models"
        placeholder="Search models"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      {models.isPending ? (
        <Loading what="models" />
      ) : models.isError ? (
        <ErrorBox error={models.error} retry={() => void models.refetch()} />
      ) : models.data.length === 0 ? (
        <p className="state state-empty">
          No registered models. Register one with <code>runstone.register_model(…)</code>.
        </p>
      ) : (
        <table className="kv-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.name}>
                <td>
                  <a href={href({ page: "model", name: m.name })}>{m.name}</a>
                </td>
                <td>{m.latest_versions?.at(-1)?.version ?? ""}</td>
                <td>{formatTime(m.last_updated_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ModelPage({ name }: { name: string }) {
  const model = useQuery({
    queryKey: ["model", name],
    queryFn: ({ signal }) => getRegisteredModel(name, signal),
    select: (answer) => answer.registered_model,
  });
  if (model.isPending) return <Loading what="the model" />;
  if (model.isError) return <ErrorBox error={model.error} />;
  return (
    <section className="page">
      <nav className="breadcrumbs">
        <a href={href({ page: "models" })}>← Models</a>
      </nav>
      <h1>{model.data.name}</h1>
      {model.data.description && <p className="description">{model.data.description}</p>}
      <h2>Latest versions</h2>
      <ul>
        {(model.data.latest_versions ?? []).map((v) => (
          <li key={v.version}>
            <a href={href({ page: "modelVersion", name, version: v.version })}>
              Version {v.version}
            </a>{" "}
            <span className="muted">{v.current_stage ?? ""}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function ModelVersionPage({ name, version }: { name: string; version: string }) {
  const mv = useQuery({
    queryKey: ["model-version", name, version],
    queryFn: ({ signal }) => getModelVersion(name, version, signal),
    select: (answer) => answer.model_version,
  });
  if (mv.isPending) return <Loading what="the model version" />;
  if (mv.isError) return <ErrorBox error={mv.error} />;
  const v = mv.data;
  return (
    <section className="page">
      <nav className="breadcrumbs">
        <a href={href({ page: "model", name })}>← {name}</a>
      </nav>
      <h1>
        {name} version {v.version}
      </h1>
      <dl className="overview">
        <dt>Status</dt>
        <dd>{v.status ?? ""}</dd>
        <dt>Stage</dt>
        <dd>{v.current_stage ?? ""}</dd>
        <dt>Aliases</dt>
        <dd>{(v.aliases ?? []).join(", ")}</dd>
        <dt>Source</dt>
        <dd>{v.source ?? ""}</dd>
        <dt>Created</dt>
        <dd>{formatTime(v.creation_timestamp)}</dd>
        <dt>Source run</dt>
        <dd>{v.run_id ?? ""}</dd>
      </dl>
    </section>
  );
}
