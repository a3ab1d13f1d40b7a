/*
 * layout.tsx - the signed-in frame: sidebar navigation (a drawer on phone
 * screens), the top bar with search, "new" and the user menu, and the
 * keyboard shortcut help.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { navigate, useLocation } from "../lib/router";
import { can, canBillingReports, signOut, type Me } from "../lib/session";
import { helpOpen, SHORTCUTS } from "../lib/shortcuts";
import { useStore } from "../lib/store";
import { NotificationBell } from "./notifications";
import { Avatar, Dialog, LinkButton, Menu } from "./ui";

interface NavItem {
  href: string;
  label: string;
  icon: string;
  show: boolean;
  match: (p: string) => boolean;
  group?: string;
}

function Icon({ name }: { name: string }) {
  const paths: Record<string, string> = {
    home: "M3 11l9-8 9 8v9a1 1 0 0 1-1 1h-5v-6H9v6H4a1 1 0 0 1-1-1z",
    tickets: "M4 5h16v4a2 2 0 0 0 0 4v4H4v-4a2 2 0 0 0 0-4zM9 5v12",
    dispatch: "M4 5h16v15H4zM4 9h16M9 3v4M15 3v4M8 13h3v3H8z",
    clients: "M4 21V5l8-2v18M12 9h8v12M7 8h2M7 12h2M7 16h2M15 13h2M15 17h2",
    pipeline: "M4 4h4v16H4zM10 4h4v11h-4zM16 4h4v7h-4z",
    quotes: "M6 3h9l4 4v14H6zM14 3v5h5M9 12h7M9 16h7",
    activities: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM8 12l3 3 5-6",
    catalog: "M4 8l8-4 8 4-8 4zM4 8v8l8 4 8-4V8M12 12v8",
    run: "M5 4h14v16H5zM9 9l6 3-6 3z",
    invoices: "M6 3h12v18l-3-2-3 2-3-2-3 2zM9 8h6M9 12h6M9 16h3",
    ageing: "M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18zM12 7v5l3 3",
    chart: "M4 20h16M6 16v-5M11 16V6M16 16v-8",
    quality: "M12 3l7 3v6c0 4.5-3 7.5-7 9-4-1.5-7-4.5-7-9V6zM9 12l2 2 4-4",
    timesheet: "M4 5h16v15H4zM4 9h16M9 13h6M9 16h4M8 3v4M16 3v4",
    mail: "M3 6h18v12H3zM3 7l9 6 9-6",
    kb: "M4 4h6a2 2 0 0 1 2 2v14a2 2 0 0 0-2-2H4zM20 4h-6a2 2 0 0 0-2 2v14a2 2 0 0 1 2-2h6z",
    star: "M12 3l2.8 5.7 6.2.9-4.5 4.4 1 6.2L12 17.3 6.5 20.2l1-6.2L3 9.6l6.2-.9z",
    settings: "M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zM12 2v3M12 19v3M2 12h3M19 12h3M5 5l2 2M17 17l2 2M5 19l2-2M17 7l2-2",
  };
  return (
    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" class="nav-icon">
      <path d={paths[name]} fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" />
    </svg>
  );
}

export function Shell({ user, children }: { user: Me; children: ComponentChildren }) {
  const loc = useLocation();
  const [drawer, setDrawer] = useState(false);
  const help = useStore(helpOpen);
  const [search, setSearch] = useState("");

  useEffect(() => setDrawer(false), [loc.path, loc.search]);

  const nav: NavItem[] = [
    { href: "/", label: "Dashboard", icon: "home", show: true, match: (p) => p === "/" },
    { href: "/tickets", label: "Service orders", icon: "tickets", show: true, match: (p) => p.startsWith("/tickets") },
    { href: "/my-day", label: "My day", icon: "activities", show: user.role === "technician", match: (p) => p === "/my-day" },
    { href: "/dispatch", label: "Dispatch", icon: "dispatch", show: true, match: (p) => p.startsWith("/dispatch") },
    { href: "/clients", label: "Clients", icon: "clients", show: true, match: (p) => p.startsWith("/clients") },
    { href: "/kb", label: "Knowledge base", icon: "kb", show: true, match: (p) => p.startsWith("/kb") },
    { href: "/quality/dashboard", label: "Quality dashboard", icon: "chart", show: can("reports.quality", user.role), match: (p) => p === "/quality/dashboard" },
    { href: "/pipeline", label: "Pipeline", icon: "pipeline", group: "Sales", show: can("opportunities.edit", user.role) || can("reports.sales", user.role), match: (p) => p.startsWith("/pipeline") },
    { href: "/quotes", label: "Quotes", icon: "quotes", group: "Sales", show: can("quotes.view", user.role), match: (p) => p.startsWith("/quotes") },
    { href: "/activities", label: "Activities", icon: "activities", group: "Sales", show: true, match: (p) => p.startsWith("/activities") },
    { href: "/catalog", label: "Catalog", icon: "catalog", group: "Sales", show: true, match: (p) => p.startsWith("/catalog") },
    { href: "/billing/run", label: "Invoice run", icon: "run", group: "Billing", show: can("invoices.run", user.role), match: (p) => p.startsWith("/billing/run") },
    { href: "/invoices", label: "Invoices", icon: "invoices", group: "Billing", show: can("invoices.view", user.role), match: (p) => p.startsWith("/invoices") },
    { href: "/billing/ageing", label: "AR ageing", icon: "ageing", group: "Billing", show: can("reports.ageing", user.role), match: (p) => p.startsWith("/billing/ageing") },
    { href: "/billing/reports", label: "Billing reports", icon: "chart", group: "Billing", show: canBillingReports(user.role), match: (p) => p.startsWith("/billing/reports") },
    { href: "/timesheets", label: "Timesheets", icon: "timesheet", group: "Billing", show: can("time.approve", user.role), match: (p) => p.startsWith("/timesheets") },
    { href: "/quality", label: "Quality reviews", icon: "quality", show: can("qa.review", user.role), match: (p) => p.startsWith("/quality") && p !== "/quality/dashboard" },
    { href: "/surveys", label: "Surveys", icon: "star", show: can("surveys.view", user.role), match: (p) => p.startsWith("/surveys") },
    { href: "/mail", label: "Mail", icon: "mail", show: can("mail.inbound", user.role), match: (p) => p.startsWith("/mail") },
    { href: "/settings", label: "Settings", icon: "settings", show: can("settings.view", user.role), match: (p) => p.startsWith("/settings") },
  ];

  return (
    <div class={`shell ${drawer ? "drawer-open" : ""}`}>
      <a href="#main" class="skip-link" data-native>
        Skip to content
      </a>
      <aside class="sidebar" id="sidebar">
        <div class="sidebar-inner">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">S</span>
          <span class="brand-name">Servio</span>
        </div>
        <nav class="nav" aria-label="Main">
          <ul>
            {nav
              .filter((n) => n.show)
              .map((n, i, shown) => (
                <li key={n.href} class={n.group !== shown[i - 1]?.group ? (n.group ? "nav-group-start" : "nav-group-end") : undefined} data-group={n.group !== shown[i - 1]?.group ? n.group : undefined}>
                  <a href={n.href} class={`nav-link ${n.match(loc.path) ? "is-active" : ""}`} aria-current={n.match(loc.path) ? "page" : undefined}>
                    <Icon name={n.icon} />
                    <span>{n.label}</span>
                  </a>
                </li>
              ))}
          </ul>
        </nav>
        <div class="sidebar-foot">
          <button type="button" class="link-btn sidebar-help" onClick={() => helpOpen.set(true)}>
            Keyboard shortcuts <kbd>?</kbd>
          </button>
        </div>
        </div>
      </aside>
      <div class="scrim" onClick={() => setDrawer(false)} aria-hidden="true" />
      <div class="main-col">
        <header class="topbar">
          <button
            type="button"
            class="icon-btn menu-toggle"
            aria-label={drawer ? "Close menu" : "Open menu"}
            aria-expanded={drawer}
            aria-controls="sidebar"
            onClick={() => setDrawer(!drawer)}
          >
            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
              <path d="M4 6h16M4 12h16M4 18h16" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
          </button>
          <form
            class="search"
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              navigate("/tickets?status=&q=" + encodeURIComponent(search.trim()));
              setSearch("");
              (document.getElementById("global-search") as HTMLInputElement | null)?.blur();
            }}
          >
            <label for="global-search" class="sr-only">
              Search service orders
            </label>
            <svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" class="search-icon">
              <path d="M11 4a7 7 0 1 0 0 14 7 7 0 0 0 0-14zM20 20l-4-4" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </svg>
            <input
              id="global-search"
              type="search"
              class="input search-input"
              placeholder="Search service orders"
              value={search}
              onInput={(e) => setSearch((e.currentTarget as HTMLInputElement).value)}
              autoComplete="off"
            />
            <kbd class="search-kbd" aria-hidden="true">/</kbd>
          </form>
          <div class="topbar-actions">
            {can("tickets.create", user.role) && (
              <LinkButton href="/tickets/new" variant="primary" size="sm" aria-keyshortcuts="n">
                <span aria-hidden="true">+</span> <span class="hide-sm">New service order</span>
                <span class="sr-only show-sm-only">New service order</span>
              </LinkButton>
            )}
            <NotificationBell />
            <Menu
              variant="ghost"
              align="right"
              buttonLabel={`Account: ${user.name}`}
              label={
                <span class="user-chip">
                  <Avatar name={user.name} size="sm" />
                  <span class="user-chip-text hide-sm">
                    <span class="user-chip-name">{user.name}</span>
                    <span class="user-chip-role">{user.role}</span>
                  </span>
                </span>
              }
              items={[
                { label: "Notifications", onSelect: () => navigate("/account/notifications") },
                { label: "API tokens", onSelect: () => navigate("/account/api-tokens") },
                { label: "Sign out", onSelect: () => void signOut() },
              ]}
            />
          </div>
        </header>
        <main id="main" class="content" tabIndex={-1}>
          {children}
        </main>
      </div>
      {help && (
        <Dialog title="Keyboard shortcuts" onClose={() => helpOpen.set(false)}>
          <table class="shortcuts">
            <tbody>
              {SHORTCUTS.map(([k, d]) => (
                <tr key={k}>
                  <td>
                    {k.split(" ").map((part, i) => (
                      <>
                        {i > 0 && " then "}
                        <kbd>{part}</kbd>
                      </>
                    ))}
                  </td>
                  <td>{d}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Dialog>
      )}
    </div>
  );
}
