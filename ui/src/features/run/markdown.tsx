// A small Markdown renderer that builds React elements, never HTML: every character of the
// source ends up in a text node, so `<script>` or `<img onerror>` in a note shows as text.
// Supports headings, paragraphs, fenced code, block quotes, lists, rules, and inline code,
// bold, italics and links (http, https and mailto only).
import type { ReactNode } from "react";

export type Block =
  | { kind: "heading"; level: number; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "code"; text: string }
  | { kind: "quote"; text: string }
  | { kind: "list"; ordered: boolean; items: string[] }
  | { kind: "rule" };

const LIST_ITEM = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/;

/** The blocks of a Markdown text. */
export function parseBlocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (/^\s*```/.test(line)) {
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !/^\s*```/.test(lines[i] as string)) body.push(lines[i++] as string);
      i += 1;
      blocks.push({ kind: "code", text: body.join("\n") });
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push({ kind: "heading", level: (heading[1] as string).length, text: heading[2] as string });
      i += 1;
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      blocks.push({ kind: "rule" });
      i += 1;
    } else if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i] as string)) {
        body.push((lines[i++] as string).replace(/^\s*>\s?/, ""));
      }
      blocks.push({ kind: "quote", text: body.join("\n") });
    } else if (LIST_ITEM.test(line)) {
      const ordered = Boolean(LIST_ITEM.exec(line)?.[2]);
      const items: string[] = [];
      let m: RegExpExecArray | null;
      while (i < lines.length && (m = LIST_ITEM.exec(lines[i] as string))) {
        items.push(m[3] as string);
        i += 1;
      }
      blocks.push({ kind: "list", ordered, items });
    } else if (line.trim() === "") {
      i += 1;
    } else {
      const body: string[] = [];
      while (i < lines.length && (lines[i] as string).trim() !== "" && !startsBlock(lines[i] as string)) {
        body.push(lines[i++] as string);
      }
      blocks.push({ kind: "paragraph", text: body.join("\n") });
    }
  }
  return blocks;
}

function startsBlock(line: string): boolean {
  return /^(#{1,6}\s|\s*```|\s*>)/.test(line) || LIST_ITEM.test(line);
}

/** Only these link targets become links; anything else (javascript:, data:) stays text. */
export function safeHref(url: string): string | null {
  const trimmed = url.trim();
  return /^(https?:\/\/|mailto:|#\/)/i.test(trimmed) ? trimmed : null;
}

const INLINE = /(`[^`]+`)|(\*\*[^*]+\*\*|__[^_]+__)|(\*[^*\s][^*]*\*|_[^_\s][^_]*_)|(\[[^\]]+\]\([^)\s]+\))/;

/** Inline spans as React nodes (text nodes, code, strong, em, a). */
export function renderInline(text: string, keyPrefix = "i"): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let n = 0;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const token = m[0];
    const key = `${keyPrefix}-${n++}`;
    if (m[1]) out.push(<code key={key}>{token.slice(1, -1)}</code>);
    else if (m[2]) out.push(<strong key={key}>{renderInline(token.slice(2, -2), key)}</strong>);
    else if (m[3]) out.push(<em key={key}>{renderInline(token.slice(1, -1), key)}</em>);
    else {
      const link = /^\[([^\]]+)\]\(([^)\s]+)\)$/.exec(token);
      const href = link ? safeHref(link[2] as string) : null;
      const label = link?.[1] ?? token;
      out.push(
        href ? (
          <a key={key} href={href} target={href.startsWith("#") ? undefined : "_blank"} rel="noopener noreferrer nofollow">
            {label}
          </a>
        ) : (
          token
        ),
      );
    }
    rest = rest.slice(m.index + token.length);
  }
  return out;
}

function renderBlock(block: Block, key: number): ReactNode {
  switch (block.kind) {
    case "heading": {
      const level = Math.min(block.level + 2, 6);
      const Tag = `h${level}` as "h3" | "h4" | "h5" | "h6";
      return <Tag key={key}>{renderInline(block.text)}</Tag>;
    }
    case "paragraph":
      return <p key={key}>{renderInline(block.text)}</p>;
    case "code":
      return (
        <pre key={key}>
          <code>{block.text}</code>
        </pre>
      );
    case "quote":
      return <blockquote key={key}>{renderMarkdown(block.text)}</blockquote>;
    case "list": {
      const items = block.items.map((item, i) => <li key={i}>{renderInline(item)}</li>);
      return block.ordered ? <ol key={key}>{items}</ol> : <ul key={key}>{items}</ul>;
    }
    case "rule":
      return <hr key={key} />;
  }
}

/** Markdown source as React nodes. */
export function renderMarkdown(source: string): ReactNode[] {
  return parseBlocks(source).map(renderBlock);
}

export function Markdown({ source }: { source: string }) {
  return <div className="markdown">{renderMarkdown(source)}</div>;
}
