/*
 * shortcuts.ts - keyboard shortcuts for the common actions:
 *   /    focus search          g d  dashboard       g t  service orders
 *   n    new service order     g c  clients         g p  dispatch
 *   ?    this help             g s  settings        Esc  close a dialog
 * Keys typed into a field, or with Ctrl/Alt/Meta, are left alone.
 */
import { navigate } from "./router";
import { store } from "./store";

export const SHORTCUTS: [string, string][] = [
  ["/", "Search service orders"],
  ["n", "New service order"],
  ["g d", "Go to the dashboard"],
  ["g t", "Go to service orders"],
  ["g c", "Go to clients"],
  ["g p", "Go to dispatch"],
  ["g s", "Go to settings"],
  ["?", "Show this help"],
  ["Esc", "Close a dialog or menu"],
];

export const helpOpen = store(false);

function typing(el: EventTarget | null): boolean {
  const e = el as HTMLElement | null;
  if (!e || !e.tagName) return false;
  return e.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(e.tagName);
}

let pendingG = 0;

export function installShortcuts(opts: { canCreate: () => boolean; enabled: () => boolean }): () => void {
  const onKey = (e: KeyboardEvent) => {
    if (!opts.enabled() || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (document.querySelector("dialog[open]")) return;
    const now = Date.now();
    if (pendingG && now - pendingG < 1500) {
      pendingG = 0;
      const dest: Record<string, string> = { d: "/", t: "/tickets", c: "/clients", p: "/dispatch", s: "/settings" };
      if (dest[e.key]) {
        e.preventDefault();
        navigate(dest[e.key]);
      }
      return;
    }
    pendingG = 0;
    if (e.key === "g") {
      pendingG = now;
    } else if (e.key === "/") {
      const s = document.getElementById("global-search") as HTMLInputElement | null;
      if (s) {
        e.preventDefault();
        s.focus();
        s.select();
      }
    } else if (e.key === "n" && opts.canCreate()) {
      e.preventDefault();
      navigate("/tickets/new");
    } else if (e.key === "?") {
      e.preventDefault();
      helpOpen.set(true);
    }
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
