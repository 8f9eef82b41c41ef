import { describe, expect, it } from "vitest";
import { csrfToken, withCsrf } from "./session";

describe("csrfToken", () => {
  it("reads the session's CSRF cookie among others", () => {
    expect(csrfToken("theme=dark; runstone_csrf=abc%3D%3D; other=1")).toBe("abc==");
  });
  it("is null when signed out", () => {
    expect(csrfToken("theme=dark")).toBeNull();
    expect(csrfToken("")).toBeNull();
  });
});

describe("withCsrf", () => {
  it("adds the header to state-changing requests of a signed-in session only", () => {
    document.cookie = "runstone_csrf=tok";
    const post = new Headers(withCsrf({ method: "POST", headers: { A: "1" } }).headers);
    expect(post.get("X-CSRF-Token")).toBe("tok");
    expect(post.get("A")).toBe("1");
    expect(new Headers(withCsrf({ method: "GET" }).headers).get("X-CSRF-Token")).toBeNull();
    document.cookie = "runstone_csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT";
    expect(new Headers(withCsrf({ method: "POST" }).headers).get("X-CSRF-Token")).toBeNull();
  });
});
