/*
 * app.tsx - which screen a path shows. /q/:token (a client's quote link)
 * and /s/:token (a survey link) need no session; every other screen waits for the session check and
 * sends a signed-out visitor to /signin?next=….
 */
import { useEffect, useRef } from "preact/hooks";
import { Shell } from "./components/layout";
import { Empty, LinkButton, Toaster } from "./components/ui";
import { match, navigate, useLocation } from "./lib/router";
import { can, canBillingReports, session, type Me } from "./lib/session";
import { installShortcuts } from "./lib/shortcuts";
import { useStore } from "./lib/store";
import { CompanyPage, CompaniesPage } from "./pages/Clients";
import { Dashboard } from "./pages/Dashboard";
import { DispatchPage } from "./pages/Dispatch";
import { MyDayPage } from "./pages/MyDay";
import { AccountNotificationsPage } from "./pages/Notifications";
import { PublicQuote } from "./pages/PublicQuote";
import { QualityPage, QualityReviewPage } from "./pages/Quality";
import { QualityRoute } from "./pages/QualityRoute";
import { PublicSurvey } from "./pages/PublicSurvey";
import { SurveysPage } from "./pages/quality/Surveys";
import { MailPage } from "./pages/mail/Mail";
import { SettingsPage } from "./pages/Settings";
import { SignIn } from "./pages/SignIn";
import { AccountTokensPage } from "./pages/Tokens";
import { TicketDetail } from "./pages/TicketDetail";
import { TicketNew } from "./pages/TicketNew";
import { TicketsPage } from "./pages/Tickets";
import { ArticlePage } from "./pages/kb/Article";
import { ArticleEditorPage } from "./pages/kb/Editor";
import { KnowledgeBasePage } from "./pages/kb/KnowledgeBase";
import { AgeingPage } from "./pages/billing/Ageing";
import { ContractPage } from "./pages/billing/Contracts";
import { InvoicePage } from "./pages/billing/InvoiceDetail";
import { InvoicesPage } from "./pages/billing/Invoices";
import { BillingReportsPage } from "./pages/billing/Reports";
import { RunPage } from "./pages/billing/Run";
import { TimesheetsPage } from "./pages/billing/Timesheets";
import { ActivitiesPage } from "./pages/sales/Activities";
import { CatalogPage } from "./pages/sales/Catalog";
import { PipelinePage } from "./pages/sales/Pipeline";
import { QuoteEditor } from "./pages/sales/QuoteEditor";
import { QuotesPage } from "./pages/sales/Quotes";

function Routes({ user }: { user: Me }) {
  const { path } = useLocation();
  let m: Record<string, string> | null;
  if (path === "/" || path === "/dashboard") return <Dashboard user={user} />;
  if (path === "/tickets") return <TicketsPage user={user} />;
  if (path === "/tickets/new") return <TicketNew />;
  if ((m = match("/tickets/:id", path))) return <TicketDetail id={Number(m.id)} user={user} key={m.id} />;
  if (path === "/clients") return <CompaniesPage />;
  if ((m = match("/clients/:id", path))) return <CompanyPage id={Number(m.id)} key={m.id} />;
  if (path === "/dispatch") return <DispatchPage user={user} />;
  if (path === "/my-day") return <MyDayPage user={user} />;
  if (path === "/kb") return <KnowledgeBasePage />;
  if (path === "/kb/new" && can("kb.edit", user.role)) return <ArticleEditorPage id={null} key="new" />;
  if ((m = match("/kb/:id", path)) && /^\d+$/.test(m.id)) return <ArticlePage id={Number(m.id)} key={m.id} />;
  if ((m = match("/kb/:id/edit", path)) && /^\d+$/.test(m.id) && can("kb.edit", user.role)) return <ArticleEditorPage id={Number(m.id)} key={m.id + "-edit"} />;
  if (path === "/quality/dashboard" && can("reports.quality", user.role)) return <QualityRoute />;
  if (path === "/settings" && can("settings.view", user.role)) return <SettingsPage section="users" user={user} />;
  if ((m = match("/settings/:section", path)) && can("settings.view", user.role)) return <SettingsPage section={m.section} user={user} />;
  if (path === "/mail" && can("mail.inbound", user.role)) return <MailPage section="triage" user={user} />;
  if ((m = match("/mail/:section", path)) && can("mail.inbound", user.role)) return <MailPage section={m.section} user={user} />;
  if (path === "/account/api-tokens") return <AccountTokensPage user={user} />;
  if (path === "/account/notifications") return <AccountNotificationsPage />;
  if (path === "/pipeline") return <PipelinePage user={user} />;
  if (path === "/activities") return <ActivitiesPage user={user} />;
  if (path === "/catalog") return <CatalogPage user={user} />;
  if (path === "/quotes" && can("quotes.view", user.role)) return <QuotesPage user={user} />;
  if (path === "/quotes/new" && can("quotes.edit", user.role)) return <QuoteEditor id={null} user={user} key="new" />;
  if ((m = match("/quotes/:id", path)) && /^\d+$/.test(m.id) && can("quotes.view", user.role)) return <QuoteEditor id={Number(m.id)} user={user} key={m.id} />;
  if ((m = match("/contracts/:id", path)) && /^\d+$/.test(m.id) && can("contracts.view", user.role)) return <ContractPage id={Number(m.id)} user={user} key={m.id} />;
  if (path === "/billing/run" && can("invoices.run", user.role)) return <RunPage user={user} />;
  if (path === "/invoices" && can("invoices.view", user.role)) return <InvoicesPage user={user} />;
  if ((m = match("/invoices/:id", path)) && /^\d+$/.test(m.id) && can("invoices.view", user.role)) return <InvoicePage id={Number(m.id)} user={user} key={m.id} />;
  if (path === "/billing/ageing" && can("reports.ageing", user.role)) return <AgeingPage />;
  if (path === "/billing/reports" && canBillingReports(user.role)) return <BillingReportsPage user={user} />;
  if (path === "/timesheets" && can("time.approve", user.role)) return <TimesheetsPage user={user} />;
  if (path === "/quality" && can("qa.review", user.role)) return <QualityPage user={user} />;
  if ((m = match("/quality/:id", path)) && /^\d+$/.test(m.id) && can("qa.review", user.role)) return <QualityReviewPage id={Number(m.id)} user={user} key={m.id} />;
  if (path === "/surveys" && can("surveys.view", user.role)) return <SurveysPage user={user} />;
  return (
    <Empty title="Page not found" icon="?" action={<LinkButton href="/">Go to the dashboard</LinkButton>}>
      There is nothing at {path}.
    </Empty>
  );
}

export function App() {
  const loc = useLocation();
  const s = useStore(session);
  const first = useRef(true);

  useEffect(() => {
    return installShortcuts({
      enabled: () => session.get().state === "signed-in",
      canCreate: () => can("tickets.create"),
    });
  }, []);

  // after moving to another screen, put focus on its heading for screen readers
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // …unless the person has already put focus somewhere themselves (a shortcut, a click)
    const before = document.activeElement;
    const t = setTimeout(() => {
      const now = document.activeElement;
      if (now && now !== before && now !== document.body) return;
      document.querySelector<HTMLElement>("main h1, .auth-page h1, .quote-page h1")?.focus({ preventScroll: true });
    }, 50);
    return () => clearTimeout(t);
  }, [loc.path]);

  const pub = match("/q/:token", loc.path);
  if (pub)
    return (
      <>
        <PublicQuote token={pub.token} />
        <Toaster />
      </>
    );
  const survey = match("/s/:token", loc.path);
  if (survey)
    return (
      <>
        <PublicSurvey token={survey.token} search={loc.search} />
        <Toaster />
      </>
    );

  if (s.state === "loading")
    return (
      <div class="boot" role="status">
        <span class="brand-mark" aria-hidden="true">S</span>
        <span class="sr-only">Loading Servio…</span>
      </div>
    );

  if (s.state === "signed-out") {
    if (loc.path !== "/signin") {
      const next = loc.path + loc.search;
      queueMicrotask(() => navigate("/signin" + (next !== "/" ? "?next=" + encodeURIComponent(next) : ""), { replace: true }));
      return null;
    }
    return (
      <>
        <SignIn notice={s.notice} />
        <Toaster />
      </>
    );
  }

  if (loc.path === "/signin") {
    queueMicrotask(() => navigate("/", { replace: true }));
    return null;
  }

  return (
    <>
      <Shell user={s.user}>
        <Routes user={s.user} />
      </Shell>
      <Toaster />
    </>
  );
}
