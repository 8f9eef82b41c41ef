// The registered models, searched by name on the server.
import { useState } from "react";
import { ErrorBox, Loading } from "../../components/States";
import { formatTime } from "../../lib/format";
import { href } from "../../lib/router";
import { useDebounced } from "../../lib/useDebounced";
import { useModels } from "./queries";
import "./models.css";

export function ModelsList() {
  const [search, setSearch] = useState("");
  const models = useModels(useDebounced(search));
  return (
    <section className="page">
      <h1>Registered models</h1>
      <input
        type="search"
        aria-label="Search models"
        placeholder="Search models by name"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      {models.isPending ? (
        <Loading what="models" />
      ) : models.isError ? (
        <ErrorBox error={models.error} retry={() => void models.refetch()} />
      ) : models.data.length === 0 ? (
        <p className="state state-empty">
          {search ? `No models match ${JSON.stringify(search)}.` : "No registered models. Register one with "}
          {!search && <code>runstone.register_model(…)</code>}
        </p>
      ) : (
        <table className="kv-table models-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest version</th>
              <th>Aliases</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => {
              const latest = [...(m.latest_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version))[0];
              return (
                <tr key={m.name}>
                  <td>
                    <a href={href({ page: "model", name: m.name })}>{m.name}</a>
                  </td>
                  <td>
                    {latest && (
                      <a href={href({ page: "modelVersion", name: m.name, version: latest.version })}>
                        Version {latest.version}
                      </a>
                    )}
                  </td>
                  <td>{(m.aliases ?? []).map((a) => `@${a.alias}→v${a.version}`).join(", ")}</td>
                  <td>{formatTime(m.last_updated_timestamp)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
