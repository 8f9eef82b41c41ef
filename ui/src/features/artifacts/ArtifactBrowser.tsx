// A run's artifacts: a lazily loaded tree on the left, a preview of the chosen file on the
// right. The chosen path is in the URL (`?tab=artifacts&artifact=<path>`).
import { useHashParam } from "../charts";
import { Preview } from "./Preview";
import { ArtifactTree } from "./Tree";
import "./artifacts.css";

export function ArtifactBrowser({ runId }: { runId: string }) {
  const [selected, select] = useHashParam("artifact");
  return (
    <div className="artifact-browser">
      <nav className="artifact-tree" aria-label="Artifacts">
        <ArtifactTree runId={runId} selected={selected} onSelect={select} />
      </nav>
      <section className="artifact-preview" aria-label="Artifact preview">
        {selected ? (
          <Preview key={selected} runId={runId} path={selected} />
        ) : (
          <p className="muted">Choose a file to preview it.</p>
        )}
      </section>
    </div>
  );
}
