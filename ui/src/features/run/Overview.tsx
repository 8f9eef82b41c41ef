// The overview tab: the run's facts, parent and children, description, params, metrics, tags,
// dataset inputs and logged models.
import type { KeyValue } from "../../api/responses";
import type { RunDetail } from "../../api/runs_api";
import { formatDuration, formatTime, runDuration } from "../../lib/format";
import { href } from "../../lib/router";
import { Description, NOTE_TAG } from "./Description";
import { Datasets, LoggedModels } from "./Outputs";
import { MetricsTable, ParamsTable } from "./Tables";
import { Tags } from "./Tags";
import { useChildRuns } from "./queries";

function tag(tags: KeyValue[], key: string): string | undefined {
  return tags.find((t) => t.key === key)?.value;
}

function RunLink({ experimentId, runId, name }: { experimentId: string; runId: string; name?: string }) {
  return <a href={href({ page: "run", experimentId, runId })}>{name || runId}</a>;
}

function Children({ experimentId, runId }: { experimentId: string; runId: string }) {
  const children = useChildRuns(experimentId, runId);
  if (children.isPending) return <span className="muted">…</span>;
  if (children.isError) return <span className="inline-error">{children.error.message}</span>;
  if (children.data.length === 0) return <span className="muted">None</span>;
  return (
    <ul className="child-runs">
      {children.data.map((c) => (
        <li key={c.info.run_id}>
          <RunLink experimentId={experimentId} runId={c.info.run_id} name={c.info.run_name} />{" "}
          <span className={`status status-${c.info.status.toLowerCase()}`}>{c.info.status}</span>
        </li>
      ))}
    </ul>
  );
}

export function Overview({ run }: { run: RunDetail }) {
  const { info, data } = run;
  const tags = data.tags ?? [];
  const parent = tag(tags, "mlflow.parentRunId");
  const commit = tag(tags, "mlflow.source.git.commit");
  const exp = info.experiment_id;
  return (
    <div className="run-overview">
      <dl className="overview">
        <dt>Run ID</dt>
        <dd>
          <code>{info.run_id}</code>
        </dd>
        <dt>Status</dt>
        <dd>
          <span className={`status status-${info.status.toLowerCase()}`}>{info.status}</span>
        </dd>
        <dt>Started</dt>
        <dd>{formatTime(info.start_time)}</dd>
        <dt>Ended</dt>
        <dd>{formatTime(info.end_time)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(runDuration(info.start_time, info.end_time))}</dd>
        <dt>User</dt>
        <dd>{tag(tags, "mlflow.user") ?? info.user_id ?? ""}</dd>
        <dt>Source</dt>
        <dd>
          {tag(tags, "mlflow.source.name") ?? ""}
          {tag(tags, "mlflow.source.type") && (
            <span className="badge source-type">{tag(tags, "mlflow.source.type")}</span>
          )}
        </dd>
        {commit && (
          <>
            <dt>Git commit</dt>
            <dd>
              <code>{commit}</code>
            </dd>
          </>
        )}
        <dt>Parent run</dt>
        <dd>{parent ? <RunLink experimentId={exp} runId={parent} /> : <span className="muted">None</span>}</dd>
        <dt>Child runs</dt>
        <dd>
          <Children experimentId={exp} runId={info.run_id} />
        </dd>
        <dt>Artifact URI</dt>
        <dd>
          <code>{info.artifact_uri ?? ""}</code>
        </dd>
      </dl>
      <Description runId={info.run_id} note={tag(tags, NOTE_TAG) ?? ""} />
      <div className="run-tables">
        <ParamsTable params={data.params ?? []} />
        <Tags runId={info.run_id} tags={tags} />
      </div>
      <MetricsTable runId={info.run_id} />
      <div className="run-outputs">
        <Datasets inputs={run.inputs?.dataset_inputs ?? []} />
        <LoggedModels
          experimentId={exp}
          runId={info.run_id}
          outputIds={(run.outputs?.model_outputs ?? []).map((o) => o.model_id)}
        />
      </div>
    </div>
  );
}
