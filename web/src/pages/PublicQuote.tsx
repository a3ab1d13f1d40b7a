/*
 * PublicQuote.tsx - the page a client opens from a quote e-mail
 * (/q/:token). No sign-in: the secret token in the link is the only
 * credential, so every call here is anonymous (no CSRF token, a 401 is no
 * session expiry). The client reads the quote and accepts it by typing
 * their name, or declines with a reason.
 */
import { useState } from "preact/hooks";
import { QuoteTerms } from "../components/quoteterms";
import { Alert, Badge, Button, ErrorState, Loading, TextArea, TextField } from "../components/ui";
import { request } from "../lib/api";
import { bp, date, dateTime, label, money } from "../lib/format";
import { useForm, useLoad, useTitle } from "../lib/hooks";

interface QuoteLine {
  kind: "equipment" | "labor" | "service";
  description: string;
  quantity: number;
  unit_price: number;
  discount_bp: number;
  taxable: boolean;
  amount: number;
}

interface PublicQuoteData {
  quote: {
    number: string;
    revision?: number;
    status: string;
    currency: string;
    valid_until: string | null;
    title?: string | null;
    lines: QuoteLine[];
    subtotal: number;
    tax_rate_bp: number;
    tax: number;
    total: number;
    response_time_minutes?: number | null;
    coverage?: "business_hours" | "extended" | "24x7" | null;
    warranty_days?: number | null;
    qualifications?: string | null;
    coverage_text?: string | null;
    response_text?: string | null;
    required_certifications?: string[] | null;
    notes?: string | null;
    accepted_at?: string | null;
    accepted_name?: string | null;
    declined_at?: string | null;
  };
  company: { name: string };
  firm: { name: string; address?: string | null; phone?: string | null; email?: string | null; website?: string | null; has_logo?: boolean };
  can_respond: boolean;
  pdf_url?: string;
}

const STATUS_TEXT: Record<string, { tone: "success" | "info" | "warning" | "error"; title: string; text: string }> = {
  accepted: { tone: "success", title: "This quote has been accepted", text: "Thank you. We will be in touch to schedule the work." },
  declined: { tone: "info", title: "This quote was declined", text: "Thank you for letting us know. Contact us any time if things change." },
  expired: { tone: "warning", title: "This quote has expired", text: "Please contact us for an updated quote." },
  superseded: { tone: "warning", title: "A newer version of this quote exists", text: "Please use the link in our most recent e-mail." },
  draft: { tone: "info", title: "This quote is not final yet", text: "" },
};

const KIND_LABEL: Record<string, string> = { equipment: "Equipment", labor: "Labour", service: "Service" };

function qty(n: number): string {
  return n.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

export function PublicQuote({ token }: { token: string }) {
  const path = `/public/quotes/${encodeURIComponent(token)}`;
  const q = useLoad((signal) => request<PublicQuoteData>("GET", path, { anonymous: true, signal }).then((r) => r.data), [token]);
  const [mode, setMode] = useState<"read" | "accept" | "decline">("read");
  const [done, setDone] = useState<string | null>(null);
  const accept = useForm({ name: "" });
  const decline = useForm({ reason: "" });
  const d = q.data;
  useTitle(d ? `Quote ${d.quote.number} from ${d.firm.name}` : "Quote");

  if (q.error) {
    return (
      <div class="quote-page">
        <div class="quote-doc">
          <ErrorState message={/not found|no such|404/i.test(q.error) ? "This quote link is not valid, or the quote was withdrawn. Please check the link in your e-mail." : q.error} />
        </div>
      </div>
    );
  }
  if (!d)
    return (
      <div class="quote-page">
        <div class="quote-doc">
          <Loading rows={8} label="Loading the quote…" />
        </div>
      </div>
    );

  const qt = d.quote;
  const cur = qt.currency || "USD";
  const status = STATUS_TEXT[qt.status];
  const hasDiscount = qt.lines.some((l) => l.discount_bp);

  async function doAccept(e: Event) {
    e.preventDefault();
    const ok = await accept.submit(async (v) => {
      await request("POST", `${path}/accept`, { body: { name: v.name.trim() }, anonymous: true });
    });
    if (ok) {
      setDone("accepted");
      setMode("read");
      q.reload();
    }
  }
  async function doDecline(e: Event) {
    e.preventDefault();
    const ok = await decline.submit(async (v) => {
      await request("POST", `${path}/decline`, { body: { reason: v.reason.trim() }, anonymous: true });
    });
    if (ok) {
      setDone("declined");
      setMode("read");
      q.reload();
    }
  }

  return (
    <div class="quote-page">
      <article class="quote-doc" aria-labelledby="quote-title">
        <header class="quote-head">
          <div>
            <div class="quote-firm">{d.firm.name}</div>
            <div class="quote-firm-meta small">
              {[d.firm.address, d.firm.phone, d.firm.email].filter(Boolean).join(" · ")}
              {d.firm.website && (
                <>
                  {" · "}
                  <a href={d.firm.website} target="_blank" rel="noopener noreferrer">
                    {d.firm.website.replace(/^https?:\/\//, "")}
                  </a>
                </>
              )}
            </div>
          </div>
          <div class="quote-id">
            <div class="quote-label">Quote</div>
            <div class="quote-number">
              {qt.number}
              {qt.revision && qt.revision > 1 ? <span class="muted"> rev. {qt.revision}</span> : null}
            </div>
            <Badge tone={qt.status === "accepted" ? "green" : qt.status === "sent" ? "blue" : qt.status === "declined" ? "gray" : "amber"}>{label(qt.status)}</Badge>
          </div>
        </header>

        <h1 id="quote-title" class="quote-title" tabIndex={-1}>
          {qt.title || `Quote for ${d.company.name}`}
        </h1>
        <p class="quote-for">
          Prepared for <strong>{d.company.name}</strong>
          {qt.valid_until && (
            <>
              {" "}· valid until <strong>{date(qt.valid_until)}</strong>
            </>
          )}
        </p>

        {done && qt.status === "sent" && <Alert tone="info">Saving your answer…</Alert>}
        {status && (
          <Alert tone={status.tone} title={done === "accepted" && qt.status === "accepted" ? "Thank you — the quote is accepted" : done === "declined" && qt.status === "declined" ? "Thank you for your answer" : status.title}>
            {qt.status === "accepted" && qt.accepted_name ? `Accepted by ${qt.accepted_name}${qt.accepted_at ? " on " + dateTime(qt.accepted_at) : ""}. ` : ""}
            {qt.status === "declined" && qt.declined_at ? `Declined on ${dateTime(qt.declined_at)}. ` : ""}
            {status.text}
          </Alert>
        )}

        <div class="table-wrap">
          <table class="table quote-lines" aria-label="Quote lines">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col" class="num">Qty</th>
                <th scope="col" class="num">Unit price</th>
                {hasDiscount && (
                  <th scope="col" class="num">
                    Discount
                  </th>
                )}
                <th scope="col" class="num">
                  Amount
                </th>
              </tr>
            </thead>
            <tbody>
              {qt.lines.map((l, i) => (
                <tr key={i}>
                  <td>
                    <div>{l.description}</div>
                    <div class="cell-sub">
                      {KIND_LABEL[l.kind] ?? l.kind}
                      {!l.taxable && " · not taxed"}
                    </div>
                  </td>
                  <td class="num">{qty(l.quantity)}</td>
                  <td class="num nowrap">{money(l.unit_price, cur)}</td>
                  {hasDiscount && <td class="num">{l.discount_bp ? bp(l.discount_bp) : ""}</td>}
                  <td class="num nowrap">{money(l.amount, cur)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        <dl class="quote-totals">
          <div>
            <dt>Subtotal</dt>
            <dd>{money(qt.subtotal, cur)}</dd>
          </div>
          <div>
            <dt>Tax ({bp(qt.tax_rate_bp)})</dt>
            <dd>{money(qt.tax, cur)}</dd>
          </div>
          <div class="quote-total">
            <dt>Total</dt>
            <dd>{money(qt.total, cur)}</dd>
          </div>
        </dl>

        <section class="quote-terms" aria-label="Terms">
          <h2>What you get</h2>
          <QuoteTerms quote={qt} />
          {qt.notes && <div class="pre quote-notes">{qt.notes}</div>}
        </section>

        <footer class="quote-actions">
          {d.pdf_url && (
            <a class="btn btn-secondary btn-md" href={d.pdf_url} target="_blank" rel="noopener" data-native>
              Download PDF
            </a>
          )}
          {d.can_respond && !done && mode === "read" && (
            <>
              <Button variant="ghost" onClick={() => setMode("decline")}>
                Decline
              </Button>
              <Button variant="primary" onClick={() => setMode("accept")}>
                Accept quote
              </Button>
            </>
          )}
        </footer>

        {d.can_respond && !done && mode === "accept" && (
          <form class="quote-respond" onSubmit={doAccept} noValidate aria-label="Accept the quote">
            <h2>Accept quote {qt.number}</h2>
            <p class="small">
              By typing your full name you accept this quote on behalf of {d.company.name} for a total of <strong>{money(qt.total, cur)}</strong>.
            </p>
            {accept.formError && <Alert>{accept.formError}</Alert>}
            <TextField label="Your full name" name="name" autoComplete="name" value={accept.values.name} onValue={(x) => accept.set("name", x)} error={accept.errors.name} required autoFocus />
            <div class="form-actions">
              <Button onClick={() => setMode("read")}>Back</Button>
              <Button type="submit" variant="primary" busy={accept.busy} disabled={!accept.values.name.trim()}>
                Accept and sign
              </Button>
            </div>
          </form>
        )}
        {d.can_respond && !done && mode === "decline" && (
          <form class="quote-respond" onSubmit={doDecline} noValidate aria-label="Decline the quote">
            <h2>Decline quote {qt.number}</h2>
            {decline.formError && <Alert>{decline.formError}</Alert>}
            <TextArea label="Why? (helps us make a better offer)" name="reason" value={decline.values.reason} onValue={(x) => decline.set("reason", x)} error={decline.errors.reason} rows={3} autoFocus />
            <div class="form-actions">
              <Button onClick={() => setMode("read")}>Back</Button>
              <Button type="submit" variant="danger" busy={decline.busy}>
                Decline quote
              </Button>
            </div>
          </form>
        )}
      </article>
      <p class="quote-foot small muted">Sent with Servio on behalf of {d.firm.name}.</p>
    </div>
  );
}

