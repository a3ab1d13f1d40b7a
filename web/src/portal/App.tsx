/*
 * App.tsx - the client portal: which screen a path under /portal shows.
 * Activating an invitation, asking for and using a reset link need no
 * session; every other screen waits for the session check and sends a
 * signed-out visitor to /portal/signin?next=…. What a signed-in contact
 * sees follows their portal_role: `technical` tickets, assets and help
 * articles; `billing` quotes, invoices and hours left; `admin` all.
 */
import type { ComponentChildren } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { Empty, LinkButton, Toaster } from "../components/ui";
import { match, navigate, useLocation } from "../lib/router";
import { useStore } from "../lib/store";
import { homeOf, nextOr, portalSession, sees, type Contact } from "./api";
import { AccountPage } from "./pages/Account";
import { ArticlePage, ArticlesPage } from "./pages/Articles";
import { AssetsPage } from "./pages/Assets";
import { ActivatePage, ForgotPage, ResetPage, SignInPage } from "./pages/Auth";
import { HoursPage } from "./pages/Hours";
import { InvoicePage, InvoicesPage } from "./pages/Invoices";
import { QuotePage, QuotesPage } from "./pages/Quotes";
import { TicketNewPage } from "./pages/TicketNew";
import { TicketPage } from "./pages/Ticket";
import { TicketsPage } from "./pages/Tickets";
import { Brand, FirmContact } from "./ui";

interface NavItem {
  href: string;
  label: string;
  area: "technical" | "billing";
}

const NAV: NavItem[] = [
  { href: "/portal/tickets", label: "My tickets", area: "technical" },
  { href: "/portal/quotes", label: "Quotes", area: "billing" },
  { href: "/portal/invoices", label: "Invoices", area: "billing" },
  { href: "/portal/hours", label: "Hours left", area: "billing" },
  { href: "/portal/assets", label: "Assets", area: "technical" },
  { href: "/portal/articles", label: "Help articles", area: "technical" },
];

function Shell({ contact, children }: { contact: Contact; children: ComponentChildren }) {
  const { path } = useLocation();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  const items = NAV.filter((n) => sees(contact.portal_role, n.area));
  const current = (href: string) => path === href || path.startsWith(href + "/");
  return (
    <div class="portal">
      <a class="skip-link" href="#portal-main" data-native>
        Skip to the content
      </a>
      <header class="portal-header">
        <div class="portal-bar">
          <a href={homeOf(contact.portal_role)} class="portal-home" aria-label="Home">
            <Brand />
          </a>
          <a href="/portal/account" class="portal-bar-account" aria-current={current("/portal/account") ? "page" : undefined}>
            {contact.first_name} {contact.last_name}
          </a>
          <button type="button" class="portal-menu-btn" aria-expanded={open ? "true" : "false"} aria-controls="portal-nav" onClick={() => setOpen(!open)}>
            <span aria-hidden="true">☰ </span>Menu
          </button>
        </div>
        <nav id="portal-nav" class={`portal-nav ${open ? "is-open" : ""}`} aria-label="Portal">
          <ul>
            {items.map((n) => (
              <li key={n.href}>
                <a href={n.href} aria-current={current(n.href) ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
            <li class="portal-nav-account">
              <a href="/portal/account" aria-current={current("/portal/account") ? "page" : undefined}>
                Account
              </a>
            </li>
          </ul>
        </nav>
      </header>
      <main id="portal-main" class="portal-main">
        {children}
      </main>
      <footer class="portal-foot">
        <div class="small muted">{contact.company_name}</div>
        <FirmContact />
      </footer>
    </div>
  );
}

function NotFound({ path, contact }: { path: string; contact: Contact }) {
  return (
    <Empty title="Page not found" icon="?" action={<LinkButton href={homeOf(contact.portal_role)}>Go to the start page</LinkButton>}>
      There is nothing at {path}.
    </Empty>
  );
}

function Routes({ contact }: { contact: Contact }) {
  const { path } = useLocation();
  const tech = sees(contact.portal_role, "technical");
  const bill = sees(contact.portal_role, "billing");
  let m: Record<string, string> | null;
  const id = (p: Record<string, string>) => (/^\d+$/.test(p.id) ? Number(p.id) : NaN);
  if (tech && path === "/portal/tickets") return <TicketsPage />;
  if (tech && path === "/portal/tickets/new") return <TicketNewPage />;
  if (tech && (m = match("/portal/tickets/:id", path)) && id(m)) return <TicketPage id={id(m)} key={m.id} />;
  if (tech && path === "/portal/assets") return <AssetsPage />;
  if (tech && path === "/portal/articles") return <ArticlesPage />;
  if (tech && (m = match("/portal/articles/:id", path)) && id(m)) return <ArticlePage id={id(m)} key={m.id} />;
  if (bill && path === "/portal/quotes") return <QuotesPage />;
  if (bill && (m = match("/portal/quotes/:id", path)) && id(m)) return <QuotePage id={id(m)} key={m.id} />;
  if (bill && path === "/portal/invoices") return <InvoicesPage />;
  if (bill && (m = match("/portal/invoices/:id", path)) && id(m)) return <InvoicePage id={id(m)} key={m.id} />;
  if (bill && path === "/portal/hours") return <HoursPage />;
  if (path === "/portal/account") return <AccountPage contact={contact} />;
  return <NotFound path={path} contact={contact} />;
}

export function PortalApp() {
  const loc = useLocation();
  const s = useStore(portalSession);
  const first = useRef(true);

  // after moving to another screen, put focus on its heading for screen readers
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const before = document.activeElement;
    const t = setTimeout(() => {
      const now = document.activeElement;
      if (now && now !== before && now !== document.body) return;
      document.querySelector<HTMLElement>("main h1, .portal-auth h1")?.focus({ preventScroll: true });
    }, 50);
    return () => clearTimeout(t);
  }, [loc.path]);

  const path = loc.path.replace(/\/+$/, "") || "/";
  let m: Record<string, string> | null;
  let page: ComponentChildren = null;
  if ((m = match("/portal/activate/:token", path))) page = <ActivatePage token={m.token} key={m.token} />;
  else if ((m = match("/portal/reset/:token", path))) page = <ResetPage token={m.token} key={m.token} />;
  else if (path === "/portal/forgot") page = <ForgotPage />;
  if (page)
    return (
      <>
        {page}
        <Toaster />
      </>
    );

  if (s.state === "loading")
    return (
      <div class="boot" role="status">
        <span class="sr-only">Loading…</span>
      </div>
    );

  if (s.state === "signed-out") {
    if (path !== "/portal/signin") {
      const next = loc.path + loc.search;
      queueMicrotask(() => navigate("/portal/signin" + (path !== "/portal" ? "?next=" + encodeURIComponent(next) : ""), { replace: true }));
      return null;
    }
    return (
      <>
        <SignInPage notice={s.notice} />
        <Toaster />
      </>
    );
  }

  // signed in on the sign-in page (just now, or from a bookmark): on to ?next= or home
  if (path === "/portal" || path === "/portal/signin" || !path.startsWith("/portal/")) {
    const to = path === "/portal/signin" ? nextOr(loc.search, homeOf(s.contact.portal_role)) : homeOf(s.contact.portal_role);
    queueMicrotask(() => navigate(to, { replace: true }));
    return null;
  }

  return (
    <>
      <Shell contact={s.contact}>
        <Routes contact={s.contact} />
      </Shell>
      <Toaster />
    </>
  );
}
