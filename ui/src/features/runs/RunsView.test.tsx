import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import type { Run } from "../../api/responses";
import { EMPTY_VIEW, type RunsView as View } from "../../lib/route";
import { RunsView } from "./RunsView";

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status });
}

function run(i: number): Run {
  return {
    info: {
      run_id: `id${i}`,
      run_name: `run-${i}`,
      experiment_id: "1",
      status: "FINISHED",
      start_time: 1000,
      end_time: 2000,
      lifecycle_stage: "active",
    },
    data: { params: [{ key: "lr", value: String(i) }], metrics: [{ key: "x", value: i, step: 0, timestamp: 0 }] },
  };
}

function serve(runs: (body: { filter: string | null }) => Response) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url.includes("/experiments/get")) {
      return json({ experiment: { experiment_id: "1", name: "exp one", lifecycle_stage: "active" } });
    }
    if (url.endsWith("/runs/search")) return runs(JSON.parse(String(init?.body)));
    return json({ error_code: "ENDPOINT_NOT_FOUND", message: url }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

function show(view: View = EMPTY_VIEW) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <RunsView experimentId="1" view={view} />
    </QueryClientProvider>,
  );
}

// jsdom has no layout: give elements a size so the virtualiser renders rows.
beforeAll(() => {
  vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(600);
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1200);
});

describe("RunsView", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists runs with their param and metric columns", async () => {
    serve(() => json({ runs: [run(1), run(2), run(3)] }));
    show();
    expect(await screen.findByRole("heading", { name: "exp one" })).toBeTruthy();
    expect(await screen.findByText("3 runs")).toBeTruthy();
    expect((await screen.findByRole("link", { name: "run-2" })).getAttribute("href")).toBe("#/experiments/1/runs/id2");
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Run name", "Status", "Started", "Duration", "User", "lr", "x"]);
  });

  it("shows the server's message next to the filter box", async () => {
    const message = "Invalid filter 'metrics.x >>> 1': unexpected '>' at position 11";
    serve((body) =>
      body.filter ? json({ error_code: "INVALID_PARAMETER_VALUE", message }, 400) : json({ runs: [run(1)] }),
    );
    show({ ...EMPTY_VIEW, filter: "metrics.x >>> 1" });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toBe(message);
    expect(screen.getByRole("textbox", { name: "Filter runs" }).getAttribute("aria-invalid")).toBe("true");
  });

  it("shows the quickstart for an experiment without runs", async () => {
    serve(() => json({}));
    show();
    expect(await screen.findByText("No runs in this experiment yet")).toBeTruthy();
  });

  it("puts an applied filter into the URL", async () => {
    serve(() => json({ runs: [run(1)] }));
    show();
    const box = await screen.findByRole("textbox", { name: "Filter runs" });
    await userEvent.type(box, "metrics.x > 0.5{Enter}");
    await waitFor(() => expect(window.location.hash).toBe("#/experiments/1?filter=metrics.x+%3E+0.5"));
  });

  it("moves the selection with the arrow keys and opens the run on Enter", async () => {
    serve(() => json({ runs: [run(1), run(2), run(3)] }));
    show();
    await screen.findByRole("link", { name: "run-3" });
    const grid = screen.getByRole("grid", { name: "Runs" });
    grid.focus();
    await userEvent.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}{ArrowUp}");
    const selected = screen.getAllByRole("row").filter((r) => r.getAttribute("aria-selected") === "true");
    expect(selected.map((r) => r.textContent?.startsWith("run-2"))).toEqual([true]);
    await userEvent.keyboard("{Enter}");
    expect(window.location.hash).toBe("#/experiments/1/runs/id2");
  });
});
