// The run's params (filterable) and metrics (last/min/max with a sparkline each).
import { useState } from "react";
import type { KeyValue } from "../../api/responses";
import type { MetricSummary } from "../../api/runs_api";
import { ErrorBox, Loading } from "../../components/States";
import { formatValue } from "../../lib/format";
import { Sparkline } from "../charts";
import { useMetricSummaries, useSparkline } from "./queries";

export function ParamsTable({ params }: { params: KeyValue[] }) {
  const [filter, setFilter] = useState("");
  const needle = filter.toLowerCase();
  const rows = params
    .filter((p) => p.key.toLowerCase().includes(needle) || p.value.toLowerCase().includes(needle))
    .sort((a, b) => a.key.localeCompare(b.key));
  return (
    <section aria-label="Parameters">
      <div className="section-head">
        <h2>Parameters ({params.length})</h2>
        {params.length > 5 && (
          <input
            type="search"
            aria-label="Filter parameters"
            placeholder="Filter"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
          />
        )}
      </div>
      {params.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="kv-table">
          <tbody>
            {rows.map((row) => (
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

function SparkCell({ runId, metricKey }: { runId: string; metricKey: string }) {
  const points = useSparkline(runId, metricKey);
  return <Sparkline points={points.data ?? []} label={`History of ${metricKey}`} />;
}

function MetricRow({ runId, s }: { runId: string; s: MetricSummary }) {
  return (
    <tr>
      <th scope="row">{s.key}</th>
      <td className="numeric">{formatValue(s.last_value)}</td>
      <td className="numeric">{formatValue(s.min_value)}</td>
      <td className="numeric">{formatValue(s.max_value)}</td>
      <td className="numeric">{s.last_step}</td>
      <td className="numeric">{s.count}</td>
      <td>
        <SparkCell runId={runId} metricKey={s.key} />
      </td>
    </tr>
  );
}

export function MetricsTable({ runId }: { runId: string }) {
  const summaries = useMetricSummaries(runId);
  return (
    <section aria-label="Metrics">
      <h2>Metrics</h2>
      {summaries.isPending ? (
        <Loading what="metrics" />
      ) : summaries.isError ? (
        <ErrorBox error={summaries.error} retry={() => void summaries.refetch()} />
      ) : summaries.data.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <table className="kv-table metrics-table">
          <thead>
            <tr>
              <th>Metric</th>
              <th className="numeric">Last</th>
              <th className="numeric">Min</th>
              <th className="numeric">Max</th>
              <th className="numeric">Step</th>
              <th className="numeric">Points</th>
              <th>History</th>
            </tr>
          </thead>
          <tbody>
            {summaries.data.map((s) => (
              <MetricRow key={s.key} runId={runId} s={s} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
