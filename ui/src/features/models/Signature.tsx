// The version's flavors and signature, from its MLmodel file.
import { errorMessage } from "../../api/errors";
import { useVersionMlmodel } from "./queries";
import type { Column } from "./mlmodel";

interface Props {
  name: string;
  version: string;
  runId: string | undefined;
  source: string | undefined;
}

function Columns({ title, cols }: { title: string; cols: Column[] | null }) {
  return (
    <div>
      <h3>{title}</h3>
      {cols === null ? (
        <p className="muted">Not recorded.</p>
      ) : (
        <table className="kv-table">
          <tbody>
            {cols.map((c, i) => (
              <tr key={`${c.name ?? ""}#${i}`}>
                <th scope="row">{c.name ?? `#${i}`}</th>
                <td className="mono">{c.type}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function Signature(props: Props) {
  const mlmodel = useVersionMlmodel(props.name, props.version, props.runId, props.source);
  let body;
  if (mlmodel.isPending) body = <p className="muted">Reading MLmodel…</p>;
  else if (mlmodel.isError) body = <p className="muted">MLmodel could not be read: {errorMessage(mlmodel.error)}</p>;
  else if (mlmodel.data === null) body = <p className="muted">The model's files are not reachable through this server.</p>;
  else
    body = (
      <>
        <p>
          Flavors: <span className="mono">{mlmodel.data.flavors.join(", ") || "none"}</span>
        </p>
        <div className="signature-grid">
          <Columns title="Inputs" cols={mlmodel.data.inputs} />
          <Columns title="Outputs" cols={mlmodel.data.outputs} />
        </div>
      </>
    );
  return (
    <section aria-label="Signature" data-testid="signature">
      <h2>Signature</h2>
      {body}
    </section>
  );
}
