// A run's page: header and three tabs (overview, charts, artifacts); the tab is in the URL
// (`?tab=charts`), next to the chart settings and the selected artifact.
import { ErrorBox, Loading } from "../../components/States";
import { EMPTY_VIEW } from "../../lib/route";
import { href } from "../../lib/router";
import { ArtifactBrowser } from "../artifacts";
import { MetricCharts, useHashParam } from "../charts";
import { Overview } from "./Overview";
import { useRun } from "./queries";
import "./run.css";

const TABS = [
  { id: "overview", label: "Overview" },
  { id: "charts", label: "Charts" },
  { id: "artifacts", label: "Artifacts" },
] as const;

export function RunPage({ experimentId, runId }: { experimentId: string; runId: string }) {
  const run = useRun(runId);
  const [tabParam, setTab] = useHashParam("tab");
  const tab = TABS.find((t) => t.id === tabParam)?.id ?? "overview";
  const back = href({ page: "experiments", experimentId, view: EMPTY_VIEW });
  if (run.isPending) return <Loading what="the run" />;
  if (run.isError) return <ErrorBox error={run.error} retry={() => void run.refetch()} />;
  const { info, data } = run.data;
  return (
    <article className="run-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <a href={back}>← Experiment {experimentId}</a>
      </nav>
      <header className="runs-head">
        <h1>{info.run_name ?? info.run_id}</h1>
        <span className={`status status-${info.status.toLowerCase()}`}>{info.status}</span>
        {info.lifecycle_stage === "deleted" && <span className="badge">deleted</span>}
      </header>
      <div className="tabs" role="tablist" aria-label="Run sections">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            onClick={() => setTab(t.id === "overview" ? null : t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div className="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "overview" && <Overview run={run.data} />}
        {tab === "charts" && (
          <MetricCharts
            runIds={[info.run_id]}
            runLabels={{ [info.run_id]: info.run_name ?? info.run_id }}
            metricKeys={(data.metrics ?? []).map((m) => m.key).sort()}
          />
        )}
        {tab === "artifacts" && <ArtifactBrowser runId={info.run_id} />}
      </div>
    </article>
  );
}
