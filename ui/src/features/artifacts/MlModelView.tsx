// An MLmodel file shown structured: flavors, signature (inputs, outputs, params) and the other
// fields. A file that does not parse is shown as text with the reason.
import { useQuery } from "@tanstack/react-query";
import { errorMessage } from "../../api/errors";
import { Loading } from "../../components/States";
import { type MlModel, readMlModel, type SignatureRow } from "./mlmodel";

function SignatureTable({ title, rows }: { title: string; rows: SignatureRow[] | null }) {
  if (!rows) return null;
  return (
    <section aria-label={`Signature ${title}`}>
      <h4>{title}</h4>
      <table className="kv-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.name}</td>
              <td>
                <code>{r.type}</code>
              </td>
              <td>{r.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function KeyValueTable({ rows }: { rows: [string, string][] }) {
  return (
    <table className="kv-table">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Structured({ model }: { model: MlModel }) {
  const hasSignature = model.inputs || model.outputs || model.params;
  return (
    <div className="mlmodel">
      <section aria-label="Flavors">
        <h3>Flavors</h3>
        {model.flavors.map((f) => (
          <details key={f.name} open>
            <summary>
              <code>{f.name}</code>
            </summary>
            <KeyValueTable rows={f.settings} />
          </details>
        ))}
      </section>
      <section aria-label="Signature">
        <h3>Signature</h3>
        {hasSignature ? (
          <>
            <SignatureTable title="Inputs" rows={model.inputs} />
            <SignatureTable title="Outputs" rows={model.outputs} />
            <SignatureTable title="Params" rows={model.params} />
          </>
        ) : (
          <p className="muted">No signature.</p>
        )}
      </section>
      <section aria-label="Model fields">
        <h3>Fields</h3>
        <KeyValueTable rows={model.fields} />
      </section>
    </div>
  );
}

export function MlModelView({ text }: { text: string }) {
  const parsed = useQuery({
    queryKey: ["mlmodel-parsed", text],
    queryFn: () => readMlModel(text),
    retry: false,
    staleTime: Infinity,
  });
  if (parsed.isPending) return <Loading what="the model description" />;
  if (parsed.isSuccess) return <Structured model={parsed.data} />;
  return (
    <>
      <p className="inline-error">This MLmodel file could not be read: {errorMessage(parsed.error)}</p>
      <pre className="artifact-text">{text}</pre>
    </>
  );
}
