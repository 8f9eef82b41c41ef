import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { assignColors } from "./data";
import { MetricCharts } from "./MetricCharts";
import { DEFAULT_SETTINGS } from "./settings";

// uPlot needs a canvas; a stand-in records what each chart was given.
const plots = vi.hoisted(
  () =>
    [] as {
      opts: { series: { label?: string; stroke?: string }[]; bands?: { series: number[]; fill?: unknown }[] };
      data: unknown[][];
    }[],
);
vi.mock("uplot", () => ({
  default: class {
    constructor(opts: (typeof plots)[number]["opts"], data: unknown[][]) {
      plots.push({ opts, data });
    }
    destroy() {}
  },
}));

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200 });
}

beforeAll(() => {
  vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(600);
});

describe("MetricCharts", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    plots.length = 0;
  });

  it("overlays several runs in their colours, one panel per metric", async () => {
    const urls: string[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (url: string) => {
        urls.push(url);
        const key = new URL(url, "http://x").searchParams.get("metric_key");
        return json({
          metrics: [
            { key, run_id: "a", step: 0, timestamp: 0, value: 1 },
            { key, run_id: "a", step: 1, timestamp: 1, value: 2 },
            { key, run_id: "b", step: 1, timestamp: 1, value: 3 },
          ],
        });
      }),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MetricCharts
          runIds={["a", "b"]}
          runLabels={{ a: "run A", b: "run B" }}
          metricKeys={["acc", "loss"]}
          settings={DEFAULT_SETTINGS}
          onSettingsChange={() => {}}
        />
      </QueryClientProvider>,
    );
    expect(await screen.findByRole("region", { name: "Chart loss" })).toBeTruthy();
    await waitFor(() => expect(plots).toHaveLength(2));
    expect(urls.every((u) => u.includes("run_ids=a&run_ids=b") && u.includes("max_results=1000"))).toBe(true);
    const colors = assignColors(["a", "b"]);
    const plot = plots[0]!;
    expect(plot.opts.series.slice(1).map((s) => [s.label, s.stroke])).toEqual([
      ["run A", colors.get("a")],
      ["run B", colors.get("b")],
    ]);
    expect(plot.data).toEqual([
      [0, 1],
      [1, 2],
      [null, 3],
    ]);
  });

  it("draws groups as mean lines in min–max bands, with a legend and a toggle", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        json({
          metrics: [
            { key: "loss", run_id: "a", step: 0, timestamp: 0, value: 1 },
            { key: "loss", run_id: "b", step: 0, timestamp: 0, value: 3 },
            { key: "loss", run_id: "c", step: 0, timestamp: 0, value: 5 },
          ],
        }),
      ),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MetricCharts
          runIds={["a", "b", "c"]}
          metricKeys={["loss"]}
          groups={[
            { name: "g=1", runIds: ["a", "b"] },
            { name: "g=2", runIds: ["c"] },
          ]}
          settings={DEFAULT_SETTINGS}
          onSettingsChange={() => {}}
        />
      </QueryClientProvider>,
    );
    const legend = await screen.findByTestId("band-legend");
    expect(legend.textContent).toContain("g=1");
    expect(legend.textContent).toContain("g=2");
    await waitFor(() => expect(plots).toHaveLength(1));
    const plot = plots[0]!;
    expect(plot.opts.bands?.map((b) => b.series)).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(plot.data).toEqual([[0], [3], [1], [2], [5], [5], [5]]);

    fireEvent.click(screen.getByRole("radio", { name: "Individual runs" }));
    await waitFor(() => expect(plots).toHaveLength(2));
    expect(plots[1]!.opts.bands).toEqual([]);
    expect(plots[1]!.data).toEqual([[0], [1], [3], [5]]);
    expect(screen.queryByTestId("band-legend")).toBeNull();
  });
});
