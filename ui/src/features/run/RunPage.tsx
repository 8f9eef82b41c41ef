// A run's page: overview, params, metrics and tags. (Charts, artifacts and the rest come later.)
import { useQuery } from "@tanstack/react-query";
import { getRun } from "../../api/endpoints";
import type { KeyValue } from "../../api/responses";
import { ErrorBox, Loading } from "../../components/States";
import { formatDuration, formatTime, formatValue, runDuration } from "../../lib/format";
import { EMPTY_VIEW } from "../../lib/route";
import { href } from "../../lib/router";

export function RunPage({ experimentId, runId }: { experimentId: string; runId: string }) {
  const run = useQuery({
    queryKey: ["run", runId],
    queryFn: ({ signal }) => getRun(runId, signal),
    select: (answer) => answer.run,
  });
  const back = href({ page: "experiments", experimentId, view: EMPTY_VIEW });
  if (run.isPending) return <Loading what="the run" />;
  if (run.isError) return <ErrorBox error={run.error} retry={() => void run.refetch()} />;
  const { info, data } = run.data;
  const tags = (data.tags ?? []).filter((t) => !t.key.startsWith("mlflow."));
  return (
    <article className="run-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={back}>← Experiment {experimentId}</a>
      </nav>
      <header className="runs-head">
        <h1>{info.run_name ?? info.run_id}</h1>
        <span className={`status status-${info.status.toLowerCase()}`}>{info.status}</span>
      </header>
      <dl className="overview">
        <dt>Run ID</dt>
        <dd>{info.run_id}</dd>
        <dt>Started</dt>
        <dd>{formatTime(info.start_time)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(runDuration(info.start_time, info.end_time))}</dd>
        <dt>User</dt>
        <dd>{info.user_id ?? ""}</dd>
        <dt>Artifact URI</dt>
        <dd>{info.artifact_uri ?? ""}</dd>
      </dl>
      <div className="run-tables">
        <KeyValueTable title="Parameters" rows={data.params ?? []} />
        <KeyValueTable
          title="Metrics (last value)"
          rows={(data.metrics ?? []).map((m) => ({ key: m.key, value: formatValue(m.value) }))}
        />
        <KeyValueTable title="Tags" rows={tags} />
      </div>
    </article>
  );
}

function KeyValueTable({ title, rows }: { title: string; rows: KeyValue[] }) {
  const sorted = [...rows].sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {sorted.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="kv-table">
          <tbody>
            {sorted.map((row) => (
              <tr key={row.key}>
                <th scope="row">{row.key}</th>
                <td>{row.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
