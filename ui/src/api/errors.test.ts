import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, NetworkError, errorMessage, toApiError } from "./errors";
import { post } from "./client";
import { searchRuns } from "./endpoints";

describe("toApiError", () => {
  it("maps MLflow's error JSON to a typed error", () => {
    const error = toApiError(
      400,
      JSON.stringify({ error_code: "INVALID_PARAMETER_VALUE", message: "Bad filter at 9" }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error.errorCode).toBe("INVALID_PARAMETER_VALUE");
    expect(error.message).toBe("Bad filter at 9");
    expect(error.status).toBe(400);
    expect(error.isUserError).toBe(true);
    expect(error.isNotFound).toBe(false);
  });

  it("knows not-found errors", () => {
    const error = toApiError(404, '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"No run"}');
    expect(error.isNotFound).toBe(true);
    expect(error.isUserError).toBe(false);
  });

  it("falls back to the status for answers that are not MLflow's JSON", () => {
    const error = toApiError(502, "<html>Bad gateway</html>");
    expect(error.errorCode).toBe("INTERNAL_ERROR");
    expect(error.message).toBe("HTTP 502: <html>Bad gateway</html>");
    expect(toApiError(400, "").message).toBe("HTTP 400");
    expect(toApiError(400, '{"error_code":"BAD_REQUEST"}').message).toBe("BAD_REQUEST");
  });

  it("gives any thrown value a message", () => {
    expect(errorMessage(new Error("x"))).toBe("x");
    expect(errorMessage("plain")).toBe("plain");
  });
});

describe("the fetch layer", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("posts typed bodies to /ajax-api and throws the server's error", async () => {
    const fetch = vi.fn().mockResolvedValue(
      new Response('{"error_code":"INVALID_PARAMETER_VALUE","message":"Invalid filter"}', {
        status: 400,
      }),
    );
    vi.stubGlobal("fetch", fetch);
    const call = searchRuns({ experimentIds: ["1"], filter: "x >", orderBy: [], maxResults: 10 });
    await expect(call).rejects.toMatchObject({
      name: "ApiError",
      errorCode: "INVALID_PARAMETER_VALUE",
      message: "Invalid filter",
    });
    const [url, init] = fetch.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/ajax-api/2.0/mlflow/runs/search");
    expect(JSON.parse(init.body as string)).toMatchObject({
      experiment_ids: ["1"],
      filter: "x >",
      max_results: 10,
      run_view_type: 1,
    });
  });

  it("turns a failed connection into a NetworkError", async () => {
    vi.stubGlobal("fetch", vi.fn().mockRejectedValue(new TypeError("Failed to fetch")));
    await expect(post("/experiments/create", { name: "a" })).rejects.toBeInstanceOf(NetworkError);
  });

  it("types request bodies from the OpenAPI schema", () => {
    // Compile-time checks: the calls below must not type-check.
    const never = () => {
      // @ts-expect-error: not a field of CreateExperiment
      void post("/experiments/create", { nam: "a" });
      // @ts-expect-error: not a POST endpoint with a JSON body
      void post("/runs/get", {});
    };
    expect(typeof never).toBe("function");
  });
});
