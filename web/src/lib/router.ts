/*
 * router.ts - client-side routing over the History API. Every same-origin
 * <a href> is followed without a page load (links stay real links: middle
 * click, copy link and screen readers work); the server answers any such
 * path with index.html, so reloads land on the same screen.
 */
import { store, useStore } from "./store";

export interface Location {
  path: string;
  search: string;
}

function current(): Location {
  return { path: window.location.pathname, search: window.location.search };
}

export const location = store<Location>(current());

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = new URL(to, window.location.href);
  const next = url.pathname + url.search;
  if (next === window.location.pathname + window.location.search) {
    location.set(current());
    return;
  }
  if (opts.replace) window.history.replaceState(null, "", next);
  else window.history.pushState(null, "", next);
  location.set(current());
  if (!opts.replace) window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => location.set(current()));

function isPortal(path: string): boolean {
  return path === "/portal" || path.startsWith("/portal/");
}

document.addEventListener("click", (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.("a");
  if (!a || a.target || a.hasAttribute("download") || a.dataset.native !== undefined) return;
  const href = a.getAttribute("href");
  if (!href || href.startsWith("#")) return;
  const url = new URL(href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
  // the client portal and the staff app are two apps: crossing over loads the page
  if (isPortal(url.pathname) !== isPortal(window.location.pathname)) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
});

export function useLocation(): Location {
  return useStore(location);
}

/** "/tickets/:id" against "/tickets/42" -> { id: "42" }, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/").filter(Boolean);
  const s = path.split("/").filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

export function searchParams(search: string): URLSearchParams {
  return new URLSearchParams(search);
}
