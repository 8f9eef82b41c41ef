import { describe, expect, it } from "vitest";
import { render } from "@testing-library/react";
import { Markdown, parseBlocks, safeHref } from "./markdown";

describe("markdown", () => {
  it("renders a <script> as text, never as an element", () => {
    const { container } = render(<Markdown source={"hello <script>alert(1)</script>"} />);
    expect(container.querySelector("script")).toBeNull();
    expect(container.textContent).toBe("hello <script>alert(1)</script>");
  });

  it("renders <img onerror> as text", () => {
    const source = '<img src=x onerror="alert(1)">\n\n**bold <img src=x onerror=alert(2)>**';
    const { container } = render(<Markdown source={source} />);
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("[onerror]")).toBeNull();
    expect(container.textContent).toContain('<img src=x onerror="alert(1)">');
    expect(container.querySelector("strong")?.textContent).toBe("bold <img src=x onerror=alert(2)>");
  });

  it("links only http(s), mailto and in-app targets", () => {
    const { container } = render(<Markdown source={"[ok](https://example.com) [bad](javascript:alert(1))"} />);
    const links = container.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0]?.getAttribute("href")).toBe("https://example.com");
    expect(links[0]?.getAttribute("rel")).toContain("noopener");
    expect(container.textContent).toContain("[bad](javascript:alert(1))");
    expect(safeHref(" data:text/html,x")).toBeNull();
  });

  it("parses headings, lists, code and quotes", () => {
    const blocks = parseBlocks("# Title\n\n- a\n- b\n\n1. one\n\n```\n<b>x</b>\n```\n> quoted\n\ntext\nmore");
    expect(blocks.map((b) => b.kind)).toEqual(["heading", "list", "list", "code", "quote", "paragraph"]);
    const { container } = render(<Markdown source={"# Title\n\n```\n<b>x</b>\n```\nUse `x<y` and *em*"} />);
    expect(container.querySelector("h3")?.textContent).toBe("Title");
    expect(container.querySelector("pre code")?.textContent).toBe("<b>x</b>");
    expect(container.querySelector("b")).toBeNull();
    expect(container.querySelector("p code")?.textContent).toBe("x<y");
    expect(container.querySelector("em")?.textContent).toBe("em");
  });
});
