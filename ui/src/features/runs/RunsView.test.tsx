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
      run_uuid: `id${i}`,
      run_name: `run-${i}`,
      experiment_id: "1",
      user_id: "",
      status: "FINISHED",
      start_time: 1000,
      end_time: 2000,
      artifact_uri: "",
      lifecycle_stage: "active",
    },
    data: { params: [{ key: "lr", value: String(i) }], metrics: [{ key: "x", value: i, step: 0, timestamp: 0 }] },
    inputs: {},
  };
}

interface SearchBody {
  filter: string | null;
  experiment_ids: string[];
  max_results: number;
  page_token: string | null;
}

function serve(runs: (body: SearchBody) => Response) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    if (url.includes("/experiments/get")) {
      const id = new URL(url, "http://x").searchParams.get("experiment_id") ?? "1";
      const name = id === "1" ? "exp one" : `exp ${id}`;
      return json({ experiment: { experiment_id: id, name, lifecycle_stage: "active" } });
    }
    if (url.endsWith("/runs/search")) return runs(JSON.parse(String(init?.body)));
    return json({ error_code: "ENDPOINT_NOT_FOUND", message: url }, 404);
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
}

function show(view: View = EMPTY_VIEW, ids: string[] = ["1"]) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={client}>
      <RunsView experimentIds={ids} view={view} />
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

  it("shows the runs of several experiments with an experiment column", async () => {
    const other = { ...run(7), info: { ...run(7).info, experiment_id: "2" } };
    const fetch = serve(() => json({ runs: [run(1), other] }));
    show(EMPTY_VIEW, ["1", "2"]);
    expect(await screen.findByRole("heading", { name: "2 experiments" })).toBeTruthy();
    const open = await screen.findByRole("list", { name: "Open experiments" });
    await waitFor(() => expect(open.textContent).toContain("exp 2"));
    const headers = screen.getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers.slice(0, 3)).toEqual(["Run name", "Experiment", "Status"]);
    const row7 = (await screen.findByRole("link", { name: "run-7" })).closest("[role=row]")!;
    await waitFor(() => expect(row7.textContent).toContain("exp 2"));
    const search = fetch.mock.calls.find(([url]) => String(url).endsWith("/runs/search"))!;
    expect(JSON.parse(String(search[1]?.body)).experiment_ids).toEqual(["1", "2"]);
  });

  it("loads the next page with its token before the end is reached, and shows placeholders meanwhile", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const bodies: SearchBody[] = [];
    serve((body) => {
      bodies.push(body);
      if (!body.page_token) return json({ runs: [run(1), run(2)], next_page_token: "t1" });
      return json({ runs: [run(3)] });
    });
    const realFetch = globalThis.fetch;
    vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
      if (url.endsWith("/runs/search") && String(init?.body).includes("t1")) await gate;
      return realFetch(url, init);
    });
    show();
    const count = await screen.findByTestId("run-count");
    await waitFor(() => expect(count.textContent).toBe("2+ runs (loading more…)"));
    await waitFor(() => expect(document.querySelectorAll(".placeholder-row").length).toBeGreaterThan(0));
    expect(screen.getByRole("grid", { name: "Runs" }).getAttribute("aria-rowcount")).toBe("-1");
    release();
    expect(await screen.findByText("3 runs")).toBeTruthy();
    expect(document.querySelectorAll(".placeholder-row").length).toBe(0);
    expect(bodies.map((b) => [b.max_results, b.page_token])).toEqual([
      [200, null],
      [1000, "t1"],
    ]);
  });
});
