/*
 * Invoices.tsx - the invoices list (/invoices): status chips (drafts,
 * open, overdue, paid, void), the client and the run that made them, and
 * the sort, all in the URL; cursor pages with "Load more". "Overdue" is
 * issued and past its due date (an issued invoice has a balance left: it
 * is paid otherwise). Below, the export of issued invoices for the
 * accounting product (QuickBooks Online, Xero, IIF) over a period of
 * issue dates, downloaded as the file the server makes.
 */
import { useMemo, useState } from "preact/hooks";
import { CompanyName } from "../../components/names";
import { CompanyPicker } from "../../components/pickers";
import { Alert, Button, Card, Empty, ErrorState, LinkButton, ListFoot, Loading, PageHeader, SelectField, TextField, toast } from "../../components/ui";
import { buildQuery, type Problem } from "../../lib/api";
import { usePaged, useTitle } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { date, money } from "../../lib/format";
import { addDays, EXPORT_FORMATS, invoiceName, isDate, lastMonth, periodText, ymd, type Invoice } from "./model";
import { InvoiceStatusBadge } from "./parts";

interface Filters {
  view: string;
  company: number | null;
  run: string;
  sort: string;
}

const VIEWS = [
  { value: "", label: "All" },
  { value: "draft", label: "Drafts" },
  { value: "issued", label: "Open" },
  { value: "overdue", label: "Overdue" },
  { value: "paid", label: "Paid" },
  { value: "void", label: "Void" },
];

const SORTS = [
  { value: "-created_at", label: "Newest first" },
  { value: "due_on", label: "Due soonest" },
  { value: "-balance", label: "Balance (high to low)" },
  { value: "-total", label: "Total (high to low)" },
  { value: "-number", label: "Number (high to low)" },
];

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const view = p.get("overdue") === "1" ? "overdue" : (p.get("status") ?? "");
  return {
    view: VIEWS.some((v) => v.value === view) ? view : "",
    company: p.get("company_id") ? Number(p.get("company_id")) : null,
    run: p.get("run_id") ?? "",
    sort: SORTS.some((s) => s.value === p.get("sort")) ? p.get("sort")! : "-created_at",
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  if (f.view === "overdue") p.set("overdue", "1");
  else if (f.view) p.set("status", f.view);
  if (f.company) p.set("company_id", String(f.company));
  if (f.run) p.set("run_id", f.run);
  if (f.sort !== "-created_at") p.set("sort", f.sort);
  return p.toString() ? "?" + p : "";
}

export function InvoicesPage({ user }: { user: Me }) {
  useTitle("Invoices");
  const loc = useLocation();
  const f = useMemo(() => readFilters(loc.search), [loc.search]);
  const today = ymd(new Date());
  const query = {
    status: f.view === "overdue" ? "issued" : f.view || undefined,
    due_on_before: f.view === "overdue" ? today : undefined,
    company_id: f.company ?? undefined,
    run_id: f.run || undefined,
    sort: f.sort,
  };
  const list = usePaged<Invoice>("/invoices", query, [loc.search]);

  function update(part: Partial<Filters>) {
    navigate("/invoices" + writeFilters({ ...f, ...part }), { replace: true });
  }
  const filtered = !!(f.view || f.company || f.run);

  return (
    <div>
      <PageHeader
        title="Invoices"
        subtitle="Drafts from invoice runs, issued invoices and what is still owed."
        actions={
          can("invoices.run", user.role) && (
            <LinkButton href="/billing/run" variant="primary">
              Invoice run
            </LinkButton>
          )
        }
      />
      <div class="list-toolbar">
        <div class="chips" role="group" aria-label="Status">
          {VIEWS.map((v) => (
            <button key={v.value} type="button" class={`chip ${f.view === v.value ? "is-active" : ""}`} aria-pressed={f.view === v.value} onClick={() => update({ view: v.value })}>
              {v.label}
            </button>
          ))}
        </div>
        <div class="filter-select sort-select">
          <label for="invoice-sort" class="sr-only">
            Sort
          </label>
          <select id="invoice-sort" class="input select filter-input" value={f.sort} onChange={(e) => update({ sort: (e.currentTarget as HTMLSelectElement).value })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <section class="card list-card">
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-company">
            <CompanyPicker label="Client" hideLabel value={f.company} onValue={(id) => update({ company: id })} placeholder="Any client" />
          </div>
          {f.run && (
            <span class="chip is-active">
              Run #{f.run}
              <button type="button" class="chip-x" aria-label="Clear the run filter" onClick={() => update({ run: "" })}>
                ✕
              </button>
            </span>
          )}
        </div>
        {list.error ? (
          <ErrorState message={list.error} onRetry={list.reload} />
        ) : !list.rows ? (
          <Loading rows={6} label="Loading invoices…" />
        ) : list.rows.length === 0 ? (
          <Empty title={filtered ? "No invoices match" : "No invoices yet"} icon="❏" action={!filtered && can("invoices.run", user.role) ? <LinkButton href="/billing/run" variant="primary">Invoice run</LinkButton> : undefined}>
            {f.view === "overdue" ? "Nothing is past due." : filtered ? "Try another status or client." : "An invoice run makes draft invoices from the month's work and the contracts' fees."}
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="table invoices-table" aria-label="Invoices">
                <thead>
                  <tr>
                    <th scope="col">Invoice</th>
                    <th scope="col">Client</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="hide-sm">
                      Issued
                    </th>
                    <th scope="col" class="hide-sm">
                      Due
                    </th>
                    <th scope="col" class="num">
                      Total
                    </th>
                    <th scope="col" class="num">
                      Balance
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {list.rows.map((x) => (
                    <tr
                      key={x.id}
                      class={`clickable ${x.overdue ? "is-overdue" : ""}`}
                      onClick={(e) => {
                        if (!(e.target as HTMLElement).closest("a")) navigate(`/invoices/${x.id}`);
                      }}
                    >
                      <td>
                        <a href={`/invoices/${x.id}`} class="cell-title">
                          <span class="ticket-no">{invoiceName(x)}</span>
                        </a>
                        <div class="cell-sub">{x.period_from ? periodText(x.period_from, x.period_to) : "Made by hand"}</div>
                      </td>
                      <td data-label="Client">
                        <CompanyName id={x.company_id} />
                      </td>
                      <td data-label="Status">
                        <InvoiceStatusBadge invoice={x} />
                      </td>
                      <td class="hide-sm nowrap">{date(x.issued_on)}</td>
                      <td class={`hide-sm nowrap ${x.overdue ? "text-danger" : ""}`}>{date(x.due_on)}</td>
                      <td class="num nowrap" data-label="Total">
                        {money(x.total, x.currency)}
                      </td>
                      <td class="num nowrap" data-label="Balance">
                        {x.status === "draft" || x.status === "void" ? <span class="muted">—</span> : money(x.balance, x.currency)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
          </>
        )}
      </section>
      {can("invoices.export", user.role) && <ExportCard />}
    </div>
  );
}

/** "attachment; filename=\"x.csv\"" -> "x.csv" */
function filenameOf(disposition: string | null, fallback: string): string {
  const m = /filename="?([^";]+)"?/.exec(disposition ?? "");
  return m ? m[1] : fallback;
}

function ExportCard() {
  const d = lastMonth();
  const [format, setFormat] = useState("qbo");
  const [from, setFrom] = useState(d.from);
  const [to, setTo] = useState(d.to);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});

  async function download(e: Event) {
    e.preventDefault();
    setError(null);
    setFieldErrors({});
    const fe: Record<string, string> = {};
    if (from && !isDate(from)) fe.from = "A date";
    if (to && !isDate(to)) fe.to = "A date";
    if (from && to && to < from) fe.to = "Not before the first day";
    if (Object.keys(fe).length) {
      setFieldErrors(fe);
      return;
    }
    // the export's period leaves its last day out: ask for the day after the one chosen
    const q = buildQuery({ format, from: from || undefined, to: to ? addDays(to, 1) : undefined });
    setBusy(true);
    try {
      const res = await fetch("/api/v1/exports/invoices" + q, { credentials: "same-origin", headers: { Accept: "text/csv, application/problem+json, */*" } });
      if (!res.ok) {
        let p: Partial<Problem> = {};
        try {
          p = await res.json();
        } catch {
          /* no problem document */
        }
        const fields: Record<string, string> = {};
        for (const x of p.errors ?? []) fields[x.field] = x.message;
        setFieldErrors(fields);
        setError(p.detail || p.title || `The server answered ${res.status}.`);
        return;
      }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = document.createElement("a");
      a.href = url;
      a.download = filenameOf(res.headers.get("Content-Disposition"), `invoices.${format === "iif" ? "iif" : "csv"}`);
      a.dataset.native = "";
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      toast(`Exported ${a.download}`);
    } catch (err) {
      setError((err as Error).message || "The export failed.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card title="Export for accounting" class="export-card">
      <form class="export-form" aria-label="Export issued invoices" onSubmit={download} noValidate>
        <SelectField label="Format" value={format} onValue={setFormat} options={EXPORT_FORMATS} error={fieldErrors.format} />
        <TextField label="Issued from" type="date" value={from} onValue={setFrom} error={fieldErrors.from} />
        <TextField label="Issued to (included)" type="date" value={to} onValue={setTo} error={fieldErrors.to} />
        <div class="export-go">
          <Button type="submit" variant="primary" busy={busy}>
            Download
          </Button>
        </div>
      </form>
      <p class="small muted">Issued and paid invoices (not drafts, not void ones) issued {from && to ? periodText(from, to) : "in the period"}, one row per line, for the accounting product's import.</p>
      {error && <Alert>{error}</Alert>}
    </Card>
  );
}
