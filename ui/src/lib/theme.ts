// Light and dark themes: CSS variables chosen by `data-theme` on <html>; without a stored
// choice the page follows prefers-color-scheme (see styles.css).
import { useCallback, useEffect, useState } from "react";

export type Theme = "light" | "dark";
const KEY = "runstone.theme";

export function storedTheme(): Theme | null {
  try {
    const value = window.localStorage.getItem(KEY);
    return value === "light" || value === "dark" ? value : null;
  } catch {
    return null;
  }
}

export function systemTheme(): Theme {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export function applyTheme(theme: Theme | null): void {
  const root = document.documentElement;
  if (theme) root.dataset.theme = theme;
  else delete root.dataset.theme;
}

/** The effective theme and a toggle that remembers the choice. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(() => storedTheme() ?? systemTheme());
  useEffect(() => {
    // Without a stored choice, follow the system when it switches.
    const query = window.matchMedia?.("(prefers-color-scheme: dark)");
    if (!query) return;
    const follow = () => {
      if (storedTheme() === null) setTheme(systemTheme());
    };
    query.addEventListener("change", follow);
    return () => query.removeEventListener("change", follow);
  }, []);
  const toggle = useCallback(() => {
    setTheme((current) => {
      const next: Theme = current === "dark" ? "light" : "dark";
      try {
        window.localStorage.setItem(KEY, next);
      } catch {
        // Storage may be disabled; the choice then lasts for this page only.
      }
      applyTheme(next);
      return next;
    });
  }, []);
  return [theme, toggle];
}
