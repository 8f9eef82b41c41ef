import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { RunDetail } from "../../api/runs_api";
import { RunPage } from "./RunPage";

// uPlot (imported by the charts tab) asks matchMedia for the pixel ratio as it loads; jsdom has none.
vi.hoisted(() => {
  window.matchMedia ??= ((query: string) => ({
    matches: false,
    media: query,
    onchange: null,
    addListener: () => {},
    removeListener: () => {},
    addEventListener: () => {},
    removeEventListener: () => {},
    dispatchEvent: () => false,
  })) as typeof window.matchMedia;
});

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status });
}

const RUN: RunDetail = {
  info: {
    run_id: "r1",
    run_uuid: "r1",
    run_name: "trained",
    experiment_id: "1",
    status: "FINISHED",
    start_time: 1_000,
    end_time: 61_000,
    artifact_uri: "file:///artifacts/1/r1/artifacts",
    lifecycle_stage: "active",
    user_id: "alice",
  },
  data: {
    params: [{ key: "lr", value: "0.1" }],
    tags: [
      { key: "team", value: "<b>vision</b>" },
      { key: "mlflow.note.content", value: "Hi <script>alert(1)</script>" },
      { key: "mlflow.source.name", value: "train.py" },
      { key: "mlflow.parentRunId", value: "p0" },
    ],
  },
  inputs: { dataset_inputs: [{ dataset: { name: "iris", digest: "abc", source_type: "local", source: "{}" } }] },
};

function serve() {
  const calls: { url: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, body: init?.body ? JSON.parse(String(init.body)) : null });
    if (url.includes("/runs/get")) return json({ run: RUN });
    if (url.includes("/runs/metric-summaries")) {
      return json({
        summaries: [
          { key: "loss", last_value: 0.1, last_timestamp: 5, last_step: 9, min_value: 0.1, max_value: 2, count: 10 },
        ],
      });
    }
    if (url.includes("/get-history-bulk-interval")) return json({});
    if (url.endsWith("/runs/search")) return json({});
    if (url.endsWith("/logged-models/search")) {
      return json({ models: [{ info: { model_id: "m-1", experiment_id: "1", name: "clf" } }] });
    }
    if (url.endsWith("/runs/set-tag")) return json({});
    return json({ error_code: "ENDPOINT_NOT_FOUND", message: url }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

function show() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <RunPage experimentId="1" runId="r1" />
    </QueryClientProvider>,
  );
}

describe("RunPage", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("shows the overview, with untrusted strings as text", async () => {
    serve();
    show();
    expect(await screen.findByRole("heading", { name: "trained" })).toBeTruthy();
    expect(screen.getByText("1m 00s")).toBeTruthy();
    expect(screen.getByRole("link", { name: "p0" }).getAttribute("href")).toBe("#/experiments/1/runs/p0");
    const description = screen.getByRole("region", { name: "Description" });
    expect(description.textContent).toContain("Hi <script>alert(1)</script>");
    expect(document.querySelector("script")).toBeNull();
    expect(screen.getByText("<b>vision</b>")).toBeTruthy();
    expect(await screen.findByText("models:/m-1")).toBeTruthy();
    const metrics = screen.getByRole("region", { name: "Metrics" });
    expect(within(metrics).getByRole("row", { name: /loss/ }).textContent).toContain("0.1");
    expect(within(screen.getByRole("region", { name: "Datasets" })).getByText("iris")).toBeTruthy();
  });

  it("adds a tag through runs/set-tag", async () => {
    const calls = serve();
    show();
    const tags = await screen.findByRole("region", { name: "Tags" });
    await userEvent.type(within(tags).getByRole("textbox", { name: "New tag key" }), "stage");
    await userEvent.type(within(tags).getByRole("textbox", { name: "New tag value" }), "prod");
    await userEvent.click(within(tags).getByRole("button", { name: "Add tag" }));
    await waitFor(() =>
      expect(calls.find((c) => c.url.endsWith("/runs/set-tag"))?.body).toEqual({
        run_id: "r1",
        key: "stage",
        value: "prod",
      }),
    );
  });

  it("switches tabs through the URL", async () => {
    serve();
    show();
    await userEvent.click(await screen.findByRole("tab", { name: "Artifacts" }));
    expect(window.location.hash).toContain("tab=artifacts");
  });
});
