/*
 * Run.tsx - the invoice run (/billing/run?from=&to=&company_id=): pick a
 * period (last month unless the URL says otherwise; both days included),
 * preview it as a dry run - what the real run would make, grouped by
 * client, each invoice with every line's rule, explanation and sources -
 * then create the drafts. The drafts are made for the period previewed,
 * not one changed since; the server's real run answers with the drafts it
 * made, which the screen then lists. Earlier runs are listed below.
 */
import { useMemo, useState } from "preact/hooks";
import { CompanyName, UserName } from "../../components/names";
import { CompanyPicker } from "../../components/pickers";
import { Alert, Badge, Button, Card, Empty, ErrorState, LinkButton, Loading, PageHeader, TextField, toast } from "../../components/ui";
import { api, ApiError, errorMessage, type Query } from "../../lib/api";
import { dateTime, money, relative } from "../../lib/format";
import { usePaged, useTitle } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { isDate, lastMonth, periodText, thisMonth, type InvoiceRun, type PlannedInvoice, type RunReply, type RunSummary } from "./model";
import { InvoiceStatusBadge, LinesTable, Totals } from "./parts";

interface Period {
  from: string;
  to: string;
  company: number | null;
}

function readPeriod(search: string): Period {
  const p = new URLSearchParams(search);
  const d = lastMonth();
  return {
    from: isDate(p.get("from")) ? p.get("from")! : d.from,
    to: isDate(p.get("to")) ? p.get("to")! : d.to,
    company: p.get("company_id") ? Number(p.get("company_id")) : null,
  };
}

function writePeriod(p: Period): string {
  const q = new URLSearchParams();
  const d = lastMonth();
  if (p.from !== d.from || p.to !== d.to) {
    q.set("from", p.from);
    q.set("to", p.to);
  }
  if (p.company) q.set("company_id", String(p.company));
  return q.toString() ? "?" + q : "";
}

/** The invoices of a run by client, in the order they came. */
function byClient(invoices: PlannedInvoice[]): [number, PlannedInvoice[]][] {
  const m = new Map<number, PlannedInvoice[]>();
  for (const inv of invoices) m.set(inv.company_id, [...(m.get(inv.company_id) ?? []), inv]);
  return [...m.entries()];
}

function totalsText(invoices: { currency: string; total: number | null }[]): string {
  const m = new Map<string, number>();
  for (const i of invoices) m.set(i.currency, (m.get(i.currency) ?? 0) + (i.total ?? 0));
  return [...m.entries()].map(([c, v]) => money(v, c)).join(" + ") || money(0);
}

export function RunPage({ user }: { user: Me }) {
  useTitle("Invoice run");
  const loc = useLocation();
  const period = useMemo(() => readPeriod(loc.search), [loc.search]);
  const [from, setFrom] = useState(period.from);
  const [to, setTo] = useState(period.to);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [preview, setPreview] = useState<(RunReply & { company: number | null }) | null>(null);
  const [made, setMade] = useState<RunReply | null>(null);
  const [busy, setBusy] = useState<"" | "dry" | "real">("");
  const [n, setN] = useState(0);
  const mayRun = can("invoices.run", user.role);

  function update(p: Partial<Period>) {
    navigate("/billing/run" + writePeriod({ ...period, ...p }), { replace: true });
  }

  function preset(p: { from: string; to: string }) {
    setFrom(p.from);
    setTo(p.to);
    update(p);
  }

  async function run(dry: boolean) {
    const body: Record<string, unknown> = dry ? { from, to, dry_run: true } : { from: preview!.from, to: preview!.to, dry_run: false };
    const company = dry ? period.company : preview!.company;
    if (company) body.company_id = company;
    setBusy(dry ? "dry" : "real");
    setErrors({});
    setFormError(null);
    try {
      const reply = await api.post<RunReply>("/invoice-runs", body);
      if (dry) {
        setPreview({ ...reply, company });
        setMade(null);
        update({ from, to });
      } else {
        setMade(reply);
        setPreview(null);
        setN((x) => x + 1);
        toast(reply.invoices.length === 1 ? "1 draft invoice created" : `${reply.invoices.length} draft invoices created`);
      }
    } catch (e) {
      if (e instanceof ApiError) {
        const f = e.fields;
        setErrors(f);
        const other = Object.entries(f).filter(([k]) => !["from", "to", "company_id"].includes(k));
        setFormError(other.length ? other.map(([k, m]) => (k ? `${k} ${m}` : m)).join("; ") : Object.keys(f).length ? "Please correct the highlighted fields." : errorMessage(e));
      } else setFormError(errorMessage(e));
    } finally {
      setBusy("");
    }
  }

  const changed = preview && (preview.from !== from || preview.to !== to || preview.company !== period.company);

  return (
    <div class="run-page">
      <PageHeader
        title="Invoice run"
        subtitle="Bill a period: the uninvoiced billable time and parts worked in it, and the fees, blocks and additions due, by each contract's rules."
        actions={<LinkButton href="/invoices">All invoices</LinkButton>}
      />
      <Card class="run-form-card">
        <form
          class="run-form"
          aria-label="Period to bill"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void run(true);
          }}
        >
          <TextField label="From" type="date" required value={from} onValue={(v) => setFrom(v)} error={errors.from} />
          <TextField label="To (included)" type="date" required value={to} onValue={(v) => setTo(v)} error={errors.to} />
          <div class="run-company">
            <CompanyPicker label="Client" value={period.company} onValue={(id) => update({ company: id })} placeholder="All clients" error={errors.company_id} />
          </div>
          <div class="run-actions">
            <Button type="submit" variant={preview ? "secondary" : "primary"} busy={busy === "dry"} disabled={!!busy && busy !== "dry"}>
              Preview the run
            </Button>
          </div>
        </form>
        <div class="row run-presets">
          <span class="small muted">Quick:</span>
          <button type="button" class="link-btn small" onClick={() => preset(lastMonth())}>
            Last month
          </button>
          <button type="button" class="link-btn small" onClick={() => preset(thisMonth())}>
            This month so far
          </button>
        </div>
        {formError && <Alert>{formError}</Alert>}
      </Card>

      {made && <Made reply={made} />}

      {preview && (
        <section class="run-preview" aria-label="Dry run">
          <div class="run-preview-head">
            <div>
              <h2 class="section-title">
                Dry run for {periodText(preview.from, preview.to)}
                {preview.company && (
                  <>
                    {" "}
                    · <CompanyName id={preview.company} />
                  </>
                )}
              </h2>
              <p class="small muted">
                {preview.invoices.length === 0
                  ? "Nothing to bill: no uninvoiced work, fees, blocks or additions are due in this period."
                  : `${preview.invoices.length} ${preview.invoices.length === 1 ? "invoice" : "invoices"} for ${byClient(preview.invoices).length} ${byClient(preview.invoices).length === 1 ? "client" : "clients"}, ${totalsText(preview.invoices)} in all. Nothing is written until you create the drafts.`}
              </p>
            </div>
            {mayRun && preview.invoices.length > 0 && (
              <div class="run-create">
                {changed && <span class="small muted">For the period previewed, not the one now in the form.</span>}
                <Button variant="primary" busy={busy === "real"} disabled={!!busy && busy !== "real"} onClick={() => run(false)}>
                  Create {preview.invoices.length === 1 ? "the draft" : `${preview.invoices.length} drafts`}
                </Button>
              </div>
            )}
          </div>
          {byClient(preview.invoices).map(([company, invs]) => (
            <section key={company} class="run-client card" aria-label={`Client ${company}`} data-company={company}>
              <header class="card-head">
                <h3 class="card-title">
                  <CompanyName id={company} link />
                </h3>
                <span class="card-actions small muted">{totalsText(invs)}</span>
              </header>
              {invs.map((inv, i) => (
                <div key={i} class="run-invoice">
                  {invs.length > 1 && (
                    <p class="small muted run-invoice-cur">
                      Invoice in {inv.currency}
                    </p>
                  )}
                  <LinesTable invoice={inv} label={`Lines of the invoice for client ${company} in ${inv.currency}`} />
                  <Totals invoice={inv} />
                </div>
              ))}
            </section>
          ))}
        </section>
      )}

      {!preview && !made && (
        <Empty title="Preview before you bill" icon="▸">
          The preview is exactly what the run makes: one draft per client and currency, every line with the rule that billed it and why. Drafts can still be changed before they are issued.
        </Empty>
      )}

      <PastRuns refresh={n} />
    </div>
  );
}

function Made({ reply }: { reply: RunReply }) {
  return (
    <Card title={`Drafts created for ${periodText(reply.from, reply.to)}`} class="run-made">
      {reply.invoices.length === 0 ? (
        <p class="muted">Nothing was left to bill: everything in the period was billed meanwhile.</p>
      ) : (
        <>
          <ul class="run-made-list" aria-label="Drafts created">
            {reply.invoices.map((inv) => (
              <li key={inv.id}>
                <a href={`/invoices/${inv.id}`}>
                  <CompanyName id={inv.company_id} />
                </a>
                <InvoiceStatusBadge invoice={inv} />
                <span class="small muted">{inv.lines.length === 1 ? "1 line" : `${inv.lines.length} lines`}</span>
                <span class="num">{money(inv.total, inv.currency)}</span>
              </li>
            ))}
          </ul>
          {reply.run && (
            <LinkButton href={`/invoices?run_id=${reply.run.id}&status=draft`} variant="primary">
              Review the drafts
            </LinkButton>
          )}
        </>
      )}
    </Card>
  );
}

function PastRuns({ refresh }: { refresh: number }) {
  const q: Query = { sort: "-created_at" };
  const runs = usePaged<InvoiceRun>("/invoice-runs", q, [refresh], 10);
  return (
    <Card title="Earlier runs" pad={false} class="past-runs">
      {runs.error ? (
        <ErrorState message={runs.error} onRetry={runs.reload} />
      ) : !runs.rows ? (
        <Loading rows={2} />
      ) : runs.rows.length === 0 ? (
        <p class="muted small card-body">No run yet.</p>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table" aria-label="Earlier runs">
              <thead>
                <tr>
                  <th scope="col">Period</th>
                  <th scope="col">Client</th>
                  <th scope="col" class="hide-sm">
                    Run by
                  </th>
                  <th scope="col" class="hide-sm">
                    When
                  </th>
                  <th scope="col" class="num">
                    Drafts
                  </th>
                  <th scope="col" class="num">
                    Total
                  </th>
                </tr>
              </thead>
              <tbody>
                {runs.rows.map((r) => {
                  const summary = (Array.isArray(r.summary) ? r.summary : []) as RunSummary[];
                  return (
                    <tr key={r.id}>
                      <td class="nowrap">
                        <a href={`/invoices?run_id=${r.id}&status=`}>{periodText(r.period_from, r.period_to)}</a>
                      </td>
                      <td>{r.company_id ? <CompanyName id={r.company_id} /> : <span class="muted">All</span>}</td>
                      <td class="hide-sm">
                        <UserName id={r.run_by_id} empty="—" />
                      </td>
                      <td class="hide-sm nowrap" title={dateTime(r.created_at)}>
                        {relative(r.created_at)}
                      </td>
                      <td class="num">{r.invoices ?? 0}</td>
                      <td class="num nowrap">{summary.length ? totalsText(summary) : <Badge tone="gray">None</Badge>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <div class="table-foot">
            <span>
              {runs.rows.length} shown{runs.hasMore ? "" : " · that is all"}
            </span>
            {runs.hasMore && (
              <Button size="sm" busy={runs.more} onClick={() => runs.loadMore().catch((e) => toast(errorMessage(e), "error"))}>
                Load more
              </Button>
            )}
          </div>
        </>
      )}
    </Card>
  );
}
