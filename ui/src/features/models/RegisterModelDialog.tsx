// "Register model": register a run's logged model as a new version of a (new or existing)
// registered model. Exported for the run page (see the props).
import { useState, type FormEvent } from "react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError, errorMessage } from "../../api/errors";
import { createModelVersion, createRegisteredModel } from "../../api/registry_api";
import { href } from "../../lib/router";
import { useModels } from "./queries";

export interface RegisterModelDialogProps {
  /** The run that logged the model. */
  runId: string;
  /** The model's artifact path in the run (`model`); the source becomes `runs:/<runId>/<path>`. */
  artifactPath?: string;
  /** A full source URI instead (a logged model's `models:/m-…`), overriding artifactPath. */
  source?: string;
  /** The logged model's id (MLflow 3), passed on to model-versions/create. */
  modelId?: string;
  onClose: () => void;
  onRegistered?: (name: string, version: string) => void;
}

export function RegisterModelDialog(props: RegisterModelDialogProps) {
  const [name, setName] = useState("");
  const models = useModels("");
  const client = useQueryClient();
  const source = props.source ?? `runs:/${props.runId}/${props.artifactPath ?? "model"}`;
  const register = useMutation({
    mutationFn: async (modelName: string) => {
      try {
        await createRegisteredModel(modelName);
      } catch (error) {
        if (!(error instanceof ApiError && error.errorCode === "RESOURCE_ALREADY_EXISTS")) throw error;
      }
      return (await createModelVersion(modelName, source, props.runId, props.modelId ?? null))
        .model_version;
    },
    onSuccess: async (mv) => {
      await client.invalidateQueries({ queryKey: ["models"] });
      await client.invalidateQueries({ queryKey: ["model-versions", mv.name] });
      props.onRegistered?.(mv.name, mv.version);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (name.trim()) register.mutate(name.trim());
  };
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="register-title">
        <h2 id="register-title">Register model</h2>
        <p className="muted mono">{source}</p>
        {register.isSuccess ? (
          <p>
            Registered as{" "}
            <a href={href({ page: "modelVersion", name: register.data.name, version: register.data.version })}>
              {register.data.name} version {register.data.version}
            </a>
            .
          </p>
        ) : (
          <form onSubmit={submit} className="register-form">
            <label>
              Model name
              <input
                list="registered-model-names"
                aria-label="Model name"
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder="new or existing model"
              />
            </label>
            <datalist id="registered-model-names">
              {(models.data ?? []).map((m) => (
                <option key={m.name} value={m.name} />
              ))}
            </datalist>
            {register.isError && (
              <p className="inline-error" role="alert">
                {errorMessage(register.error)}
              </p>
            )}
            <div className="row-actions">
              <button type="submit" disabled={!name.trim() || register.isPending}>
                Register
              </button>
              <button type="button" onClick={props.onClose}>
                Cancel
              </button>
            </div>
          </form>
        )}
        {register.isSuccess && (
          <button type="button" onClick={props.onClose}>
            Close
          </button>
        )}
      </div>
    </div>
  );
}
