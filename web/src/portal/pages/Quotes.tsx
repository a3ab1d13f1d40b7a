/*
 * Quotes.tsx - the quotes we sent the company (never drafts): a list, and
 * one quote to read, download as PDF, accept by typing a name, or decline
 * with a reason. Money is integer minor units in the quote's currency.
 */
import { useState } from "preact/hooks";
import { QuoteTerms } from "../../components/quoteterms";
import { Alert, Button, Empty, ErrorState, ListFoot, Loading, TextArea, TextField, toast } from "../../components/ui";
import { bp, date, dateTime, money } from "../../lib/format";
import { useForm, useLoad, usePaged } from "../../lib/hooks";
import { papi, pdfUrl } from "../api";
import type { PortalQuote } from "../types";
import { DocStatus, PageHead, Totals, usePortalTitle } from "../ui";

export function QuotesPage() {
  usePortalTitle("Quotes");
  const list = usePaged<PortalQuote>("/portal/quotes", {}, []);
  return (
    <>
      <PageHead title="Quotes" />
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.rows ? (
        <Loading rows={4} label="Loading the quotes…" />
      ) : list.rows.length === 0 ? (
        <Empty title="No quotes" icon="○">
          Quotes we send you appear here.
        </Empty>
      ) : (
        <>
          <ul class="portal-cards" aria-label="Quotes">
            {list.rows.map((q) => (
              <li key={q.id}>
                <a class="portal-card" href={`/portal/quotes/${q.id}`}>
                  <span class="portal-card-top">
                    <span class="portal-card-num">{q.number}</span>
                    <DocStatus status={q.status} />
                  </span>
                  <span class="portal-card-title">{q.title}</span>
                  <span class="portal-card-meta">
                    <strong>{money(q.total, q.currency)}</strong>
                    {q.can_respond && q.valid_until ? ` · valid until ${date(q.valid_until)}` : ""}
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

const KIND: Record<string, string> = { equipment: "Equipment", labor: "Labour", service: "Service" };

export function QuotePage({ id }: { id: number }) {
  const q = useLoad((signal) => papi.get<PortalQuote>(`/quotes/${id}`, undefined, signal), [id]);
  const [mode, setMode] = useState<"read" | "accept" | "decline">("read");
  const accept = useForm({ name: "" });
  const decline = useForm({ reason: "" });
  const d = q.data;
  usePortalTitle(d ? `Quote ${d.number}` : "Quote");

  if (q.error) return <ErrorState message={q.error} onRetry={q.reload} />;
  if (!d) return <Loading rows={6} label="Loading the quote…" />;
  const cur = d.currency;

  async function doAccept(e: Event) {
    e.preventDefault();
    if (!accept.values.name.trim()) {
      accept.setErrors({ name: "Type your full name to accept." });
      return;
    }
    const ok = await accept.submit(async (v) => {
      await papi.post(`/quotes/${id}/accept`, { name: v.name.trim() });
    });
    if (ok) {
      setMode("read");
      toast("Thank you — the quote is accepted.");
      q.reload();
    }
  }

  async function doDecline(e: Event) {
    e.preventDefault();
    const ok = await decline.submit(async (v) => {
      await papi.post(`/quotes/${id}/decline`, { reason: v.reason.trim() });
    });
    if (ok) {
      setMode("read");
      toast("Thank you for your answer.");
      q.reload();
    }
  }

  return (
    <>
      <PageHead title={d.title || `Quote ${d.number}`} back={{ href: "/portal/quotes", label: "Quotes" }}>
        <p class="portal-ticket-meta">
          <span class="mono">{d.number}</span> <DocStatus status={d.status} />
          {d.can_respond && d.valid_until && <span class="muted small"> valid until {date(d.valid_until)}</span>}
        </p>
      </PageHead>
      {d.status === "accepted" && (
        <Alert tone="success" title="Accepted">
          {d.accepted_name ? `Accepted by ${d.accepted_name}` : "Accepted"}
          {d.accepted_at ? ` on ${dateTime(d.accepted_at)}` : ""}. We will be in touch to schedule the work.
        </Alert>
      )}
      {d.status === "declined" && (
        <Alert tone="info" title="Declined">
          Declined{d.declined_at ? ` on ${dateTime(d.declined_at)}` : ""}. Contact us any time if things change.
        </Alert>
      )}
      <ul class="portal-lines" aria-label="Quote lines">
        {d.lines.map((l, i) => (
          <li key={i}>
            <span class="portal-line-desc">
              {l.description}
              <span class="muted small">
                {" "}
                {KIND[l.kind] ?? l.kind} · {l.quantity} × {money(l.unit_price, cur)}
                {l.discount_bp ? ` − ${bp(l.discount_bp)}` : ""}
              </span>
            </span>
            <span class="portal-line-amount">{money(l.amount, cur)}</span>
          </li>
        ))}
      </ul>
      <Totals currency={cur} subtotal={d.subtotal} tax={d.tax} taxRateBp={d.tax_rate_bp} rows={[["Total", d.total, true]]} />
      <section class="quote-terms" aria-label="Terms">
        <h2>What you get</h2>
        <QuoteTerms quote={d} />
      </section>
      {d.notes && <p class="pre portal-notes">{d.notes}</p>}
      <div class="portal-actions">
        <a class="btn btn-secondary btn-md" href={d.pdf_url || pdfUrl("quotes", d.id)} target="_blank" rel="noopener" data-native>
          Download PDF
        </a>
        {d.can_respond && mode === "read" && (
          <>
            <Button variant="primary" onClick={() => setMode("accept")}>
              Accept quote
            </Button>
            <Button variant="ghost" onClick={() => setMode("decline")}>
              Decline
            </Button>
          </>
        )}
      </div>
      {d.can_respond && mode === "accept" && (
        <form class="portal-box stack" onSubmit={doAccept} noValidate aria-label="Accept the quote">
          <h2>Accept quote {d.number}</h2>
          <p class="small">
            By typing your full name you accept this quote for a total of <strong>{money(d.total, cur)}</strong>.
          </p>
          {accept.formError && <Alert>{accept.formError}</Alert>}
          <TextField label="Your full name" name="name" autoComplete="name" value={accept.values.name} onValue={(x) => accept.set("name", x)} error={accept.errors.name} required autoFocus />
          <div class="portal-actions">
            <Button type="submit" variant="primary" busy={accept.busy}>
              Accept and sign
            </Button>
            <Button onClick={() => setMode("read")}>Back</Button>
          </div>
        </form>
      )}
      {d.can_respond && mode === "decline" && (
        <form class="portal-box stack" onSubmit={doDecline} noValidate aria-label="Decline the quote">
          <h2>Decline quote {d.number}</h2>
          {decline.formError && <Alert>{decline.formError}</Alert>}
          <TextArea label="Why? (helps us make a better offer)" name="reason" value={decline.values.reason} onValue={(x) => decline.set("reason", x)} error={decline.errors.reason} rows={3} autoFocus />
          <div class="portal-actions">
            <Button type="submit" variant="danger" busy={decline.busy}>
              Decline quote
            </Button>
            <Button onClick={() => setMode("read")}>Back</Button>
          </div>
        </form>
      )}
    </>
  );
}
