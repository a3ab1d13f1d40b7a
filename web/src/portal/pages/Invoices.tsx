/*
 * Invoices.tsx - the company's invoices (issued and paid, never drafts):
 * what is owed and overdue on top, the list, and one invoice with its lines
 * and PDF. Money is integer minor units in the invoice's currency.
 */
import { Alert, Empty, ErrorState, ListFoot, Loading } from "../../components/ui";
import { date, money } from "../../lib/format";
import { useLoad, usePaged } from "../../lib/hooks";
import { papi, pdfUrl } from "../api";
import type { Balance, PortalInvoice } from "../types";
import { DocStatus, PageHead, Totals, usePortalTitle } from "../ui";

/** What is owed, one row per currency (none: nothing is owed). */
function BalanceCard() {
  const b = useLoad((signal) => papi.get<{ data: Balance[] }>("/balance", undefined, signal).then((r) => r.data), []);
  if (b.error) return <Alert tone="error">{b.error}</Alert>;
  if (!b.data) return <Loading rows={1} label="Loading the balance…" />;
  if (!b.data.length)
    return (
      <p class="portal-paid" role="status">
        Nothing to pay: every invoice is paid.
      </p>
    );
  return (
    <>
      {b.data.map((d) => (
        <dl class="portal-balance" aria-label={b.data!.length > 1 ? `Balance in ${d.currency}` : "Balance"} key={d.currency}>
          <div>
            <dt>Balance due</dt>
            <dd>{money(d.balance, d.currency)}</dd>
          </div>
          <div class={d.overdue > 0 ? "is-overdue" : ""}>
            <dt>Overdue</dt>
            <dd>{money(d.overdue, d.currency)}</dd>
          </div>
          <div>
            <dt>Open invoices</dt>
            <dd>{d.invoices_open}</dd>
          </div>
        </dl>
      ))}
    </>
  );
}

export function InvoicesPage() {
  usePortalTitle("Invoices");
  const list = usePaged<PortalInvoice>("/portal/invoices", {}, []);
  return (
    <>
      <PageHead title="Invoices" />
      <BalanceCard />
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.rows ? (
        <Loading rows={4} label="Loading the invoices…" />
      ) : list.rows.length === 0 ? (
        <Empty title="No invoices" icon="○">
          Invoices we issue appear here.
        </Empty>
      ) : (
        <>
          <ul class="portal-cards" aria-label="Invoices">
            {list.rows.map((inv) => (
              <li key={inv.id}>
                <a class="portal-card" href={`/portal/invoices/${inv.id}`}>
                  <span class="portal-card-top">
                    <span class="portal-card-num">{inv.number}</span>
                    <DocStatus status={inv.status} overdue={inv.overdue} />
                  </span>
                  <span class="portal-card-title">
                    {money(inv.total, inv.currency)}
                    {inv.balance ? <span class="muted small"> · {money(inv.balance, inv.currency)} to pay</span> : null}
                  </span>
                  <span class="portal-card-meta">
                    Issued {date(inv.issued_on)}
                    {inv.status === "issued" && inv.due_on ? ` · due ${date(inv.due_on)}` : ""}
                  </span>
                </a>
              </li>
            ))}
          </ul>
          <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
    </>
  );
}

export function InvoicePage({ id }: { id: number }) {
  const inv = useLoad((signal) => papi.get<PortalInvoice>(`/invoices/${id}`, undefined, signal), [id]);
  const d = inv.data;
  usePortalTitle(d ? `Invoice ${d.number}` : "Invoice");
  if (inv.error) return <ErrorState message={inv.error} onRetry={inv.reload} />;
  if (!d) return <Loading rows={6} label="Loading the invoice…" />;
  const cur = d.currency;
  return (
    <>
      <PageHead title={`Invoice ${d.number}`} back={{ href: "/portal/invoices", label: "Invoices" }}>
        <p class="portal-ticket-meta">
          <DocStatus status={d.status} overdue={d.overdue} />
          <span class="muted small">
            {" "}
            Issued {date(d.issued_on)}
            {d.due_on ? ` · due ${date(d.due_on)}` : ""}
            {d.paid_on ? ` · paid ${date(d.paid_on)}` : ""}
          </span>
        </p>
      </PageHead>
      {d.period_from && d.period_to && (
        <p class="small muted">
          For {date(d.period_from)} – {date(d.period_to)}
        </p>
      )}
      <ul class="portal-lines" aria-label="Invoice lines">
        {d.lines.map((l, i) => (
          <li key={l.id ?? i}>
            <span class="portal-line-desc">
              {l.description}
              {l.quantity !== undefined && l.unit_price !== undefined && (
                <span class="muted small">
                  {" "}
                  {l.quantity} × {money(l.unit_price, cur)}
                </span>
              )}
            </span>
            <span class="portal-line-amount">{money(l.amount, cur)}</span>
          </li>
        ))}
      </ul>
      <Totals
        currency={cur}
        subtotal={d.subtotal}
        tax={d.tax}
        taxRateBp={d.tax_rate_bp}
        rows={[
          ["Total", d.total],
          ["Paid", d.paid || null],
          ["Credited", d.credited || null],
          ["Balance due", d.balance, true],
        ]}
      />
      {d.notes && <p class="pre portal-notes">{d.notes}</p>}
      <div class="portal-actions">
        <a class="btn btn-secondary btn-md" href={pdfUrl("invoices", d.id)} target="_blank" rel="noopener" data-native>
          Download PDF
        </a>
      </div>
    </>
  );
}
