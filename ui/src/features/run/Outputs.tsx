// What went into the run (dataset inputs) and what came out of it (logged models).
import type { DatasetInput } from "../../api/runs_api";
import { ErrorBox, Loading } from "../../components/States";
import { useState } from "react";
import { formatTime } from "../../lib/format";
import { RegisterModelDialog } from "../models";
import { useLoggedModels } from "./queries";

export function Datasets({ inputs }: { inputs: DatasetInput[] }) {
  return (
    <section aria-label="Datasets">
      <h2>Dataset inputs</h2>
      {inputs.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="kv-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Digest</th>
              <th>Context</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {inputs.map((input, i) => {
              const d = input.dataset;
              const context = input.tags?.find((t) => t.key === "mlflow.data.context")?.value;
              return (
                <tr key={`${d.name}-${d.digest}-${i}`}>
                  <td>{d.name}</td>
                  <td>
                    <code>{d.digest}</code>
                  </td>
                  <td>{context ?? ""}</td>
                  <td>
                    {d.source_type && <span className="badge">{d.source_type}</span>}{" "}
                    <span className="wrap">{d.source ?? ""}</span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function LoggedModels({
  experimentId,
  runId,
  outputIds,
}: {
  experimentId: string;
  runId: string;
  outputIds: string[];
}) {
  const models = useLoggedModels(experimentId, runId);
  const [registering, setRegistering] = useState<string | null>(null);
  if (models.isPending) return <Loading what="logged models" />;
  if (models.isError) return <ErrorBox error={models.error} retry={() => void models.refetch()} />;
  const found = new Set(models.data.map((m) => m.info.model_id));
  const others = outputIds.filter((id) => !found.has(id));
  return (
    <section aria-label="Logged models">
      <h2>Logged models</h2>
      {models.data.length === 0 && others.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="kv-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Model URI</th>
              <th>Type</th>
              <th>Status</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models.data.map((m) => (
              <tr key={m.info.model_id}>
                <td>{m.info.name}</td>
                <td>
                  <code className="copyable">models:/{m.info.model_id}</code>
                </td>
                <td>{m.info.model_type ?? ""}</td>
                <td>{(m.info.status ?? "").replace(/^LOGGED_MODEL_/, "")}</td>
                <td>{formatTime(m.info.creation_timestamp_ms)}</td>
                <td>
                  <button type="button" onClick={() => setRegistering(m.info.model_id)}>
                    Register model
                  </button>
                </td>
              </tr>
            ))}
            {others.map((id) => (
              <tr key={id}>
                <td className="muted">(output)</td>
                <td>
                  <code>models:/{id}</code>
                </td>
                <td />
                <td />
                <td />
                <td />
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {registering !== null && (
        <RegisterModelDialog
          runId={runId}
          source={`models:/${registering}`}
          modelId={registering}
          onClose={() => setRegistering(null)}
        />
      )}
    </section>
  );
}
