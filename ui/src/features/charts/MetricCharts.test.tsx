import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { render, screen, waitFor } from "@testing-library/react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { assignColors } from "./data";
import { MetricCharts } from "./MetricCharts";
import { DEFAULT_SETTINGS } from "./settings";

// uPlot needs a canvas; a stand-in records what each chart was given.
const plots = vi.hoisted(() => [] as { opts: { series: { label?: string; stroke?: string }[] }; data: unknown[][] }[]);
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
});
