// Server data of the registry pages, and one mutation hook for every registry edit (each edit
// refetches the model and its versions).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { getModelVersion, getRegisteredModel, getRun, searchRegisteredModels } from "../../api/endpoints";
import {
  deleteModelAlias,
  deleteModelVersionTag,
  deleteRegisteredModelTag,
  getModelVersionDownloadUri,
  searchModelVersions,
  setModelAlias,
  setModelVersionTag,
  setRegisteredModelTag,
  transitionModelVersionStage,
  updateModelVersion,
  updateRegisteredModel,
} from "../../api/registry_api";
import { fetchMlmodel } from "./mlmodel";

/** A name filter for registered-models/search (quotes and wildcards of the term neutralised). */
export function nameFilter(term: string): string {
  const safe = term.trim().replace(/['"%_\\]/g, "_");
  return safe ? `name ILIKE '%${safe}%'` : "";
}

export function useModels(term: string) {
  return useQuery({
    queryKey: ["models", term],
    queryFn: ({ signal }) => searchRegisteredModels(nameFilter(term), signal),
    select: (page) => page.registered_models ?? [],
    placeholderData: (previous) => previous,
  });
}

export function useModel(name: string) {
  return useQuery({
    queryKey: ["model", name],
    queryFn: ({ signal }) => getRegisteredModel(name, signal),
    select: (answer) => answer.registered_model,
  });
}

export function useModelVersions(name: string) {
  return useQuery({
    queryKey: ["model-versions", name],
    queryFn: ({ signal }) => searchModelVersions(name, signal),
    select: (answer) =>
      [...(answer.model_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version)),
  });
}

export function useModelVersion(name: string, version: string) {
  return useQuery({
    queryKey: ["model-version", name, version],
    queryFn: ({ signal }) => getModelVersion(name, version, signal),
    select: (answer) => answer.model_version,
  });
}

/** The version's MLmodel (flavors, signature), read through the artifact routes. */
export function useVersionMlmodel(name: string, version: string, runId: string | undefined, source: string | undefined) {
  return useQuery({
    queryKey: ["model-version-mlmodel", name, version],
    enabled: source !== undefined,
    retry: false,
    queryFn: async ({ signal }) => {
      const download = await getModelVersionDownloadUri(name, version, signal);
      const run = runId ? (await getRun(runId, signal)).run : null;
      return fetchMlmodel(
        { source: source ?? "", downloadUri: download.artifact_uri, runId: runId ?? null, runArtifactUri: run?.info.artifact_uri ?? null },
        signal,
      );
    },
  });
}

export type RegistryEdit =
  | { kind: "modelDescription"; description: string }
  | { kind: "modelTag"; key: string; value: string | null }
  | { kind: "alias"; alias: string; version: string | null }
  | { kind: "versionDescription"; version: string; description: string }
  | { kind: "versionTag"; version: string; key: string; value: string | null }
  | { kind: "stage"; version: string; stage: string };

function apply(name: string, edit: RegistryEdit): Promise<unknown> {
  switch (edit.kind) {
    case "modelDescription":
      return updateRegisteredModel(name, edit.description);
    case "modelTag":
      return edit.value === null
        ? deleteRegisteredModelTag(name, edit.key)
        : setRegisteredModelTag(name, edit.key, edit.value);
    case "alias":
      return edit.version === null
        ? deleteModelAlias(name, edit.alias)
        : setModelAlias(name, edit.alias, edit.version);
    case "versionDescription":
      return updateModelVersion(name, edit.version, edit.description);
    case "versionTag":
      return edit.value === null
        ? deleteModelVersionTag(name, edit.version, edit.key)
        : setModelVersionTag(name, edit.version, edit.key, edit.value);
    case "stage":
      return transitionModelVersionStage(name, edit.version, edit.stage);
  }
}

export function useRegistryEdit(name: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (edit: RegistryEdit) => apply(name, edit),
    onSettled: async () => {
      await Promise.all([
        client.invalidateQueries({ queryKey: ["model", name] }),
        client.invalidateQueries({ queryKey: ["model-versions", name] }),
        client.invalidateQueries({ queryKey: ["model-version", name] }),
        client.invalidateQueries({ queryKey: ["models"] }),
      ]);
    },
  });
}
