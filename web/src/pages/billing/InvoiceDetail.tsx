/*
 * InvoiceDetail.tsx - one invoice (/invoices/:id): its lines, each with
 * the rule that billed it, the explanation and the sources (the service
 * orders worked, the contract, the devices counted), the totals, and what
 * may be done in its status:
 *
 *   draft    add, change and remove manual lines; remove a planned line
 *            (its work becomes billable again); terms and notes; discard
 *            the draft (everything it billed is freed); issue it
 *   issued   record a payment (partial payments add up), a credit note,
 *            void it (it keeps its number; its work bills again)
 *   paid     a credit note
 *
 * and always the PDF, previewed beside it. Each change is sent with the
 * invoice's version (If-Match); the server's reply replaces the screen's.
 */
import { useState } from "preact/hooks";
import { CompanyName } from "../../components/names";
import { Alert, Badge, Button, Card, Checkbox, Confirm, DefList, ErrorState, FormDialog, Loading, PageHeader, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, listAll, request } from "../../lib/api";
import { bp, date, dateTime, money } from "../../lib/format";
import { useForm, useLoad, useTitle } from "../../lib/hooks";
import { navigate } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { PaymentMethodValues, type PaymentMethod } from "../../lib/types";
import { lineAmount, minorText, parseMinor, parseQuantity, quantityNumber } from "../sales/model";
import { invoiceName, PAYMENT_METHOD_LABELS, periodText, ymd, type CreditNote, type Invoice, type InvoiceLine, type Payment } from "./model";
import { InvoiceStatusBadge, LinesTable, Totals, useBillingSettings } from "./parts";

type Doing =
  | null
  | { kind: "issue" }
  | { kind: "pay" }
  | { kind: "void" }
  | { kind: "credit" }
  | { kind: "discard" }
  | { kind: "details" }
  | { kind: "line"; line?: InvoiceLine }
  | { kind: "remove"; line: InvoiceLine }
  | { kind: "unpay"; payment: Payment };

/** The lines as a merge patch keeps them: planned ones by id, manual ones whole. */
function keep(l: InvoiceLine): Record<string, unknown> {
  if (l.rule !== "manual") return { id: l.id };
  return { id: l.id, description: l.description, quantity: l.quantity, unit_price: l.unit_price, taxable: l.taxable };
}

/**
 * A line with the lines that bill the same time entry or part (an entry
 * half in a block is a drawn line and an overage line): removing one frees
 * the entry whole, so they go together.
 */
function withSharedWork(lines: InvoiceLine[], line: InvoiceLine): InvoiceLine[] {
  const work = (l: InvoiceLine) => (l.sources ?? []).filter((s) => s.type === "time_entry" || s.type === "part").map((s) => `${s.type}:${s.id}`);
  const mine = new Set(work(line));
  if (!mine.size) return [line];
  return lines.filter((l) => l.id === line.id || work(l).some((k) => mine.has(k)));
}

export function InvoicePage({ id, user }: { id: number; user: Me }) {
  const invoice = useLoad((signal) => api.get<Invoice>(`/invoices/${id}`, undefined, signal), [id]);
  const inv = invoice.data;
  const payments = useLoad(() => listAll<Payment>(`/invoices/${id}/payments`, { sort: "received_on" }, 500), [id, inv?.version]);
  const credits = useLoad(() => listAll<CreditNote>("/credit-notes", { invoice_id: id }, 200), [id, inv?.version]);
  const [doing, setDoing] = useState<Doing>(null);
  useTitle(inv ? `${invoiceName(inv)} · Invoice` : "Invoice");

  if (invoice.error) return <ErrorState message={invoice.error} onRetry={invoice.reload} />;
  if (!inv) return <Loading rows={8} label="Loading the invoice…" />;

  const status = inv.status ?? "draft";
  const draft = status === "draft";
  const edit = draft && can("invoices.edit", user.role);
  const done = (x: Invoice, message: string) => {
    invoice.set(x);
    setDoing(null);
    toast(message);
  };

  async function patchLines(lines: Record<string, unknown>[]): Promise<Invoice> {
    return api.patch<Invoice>(`/invoices/${inv!.id}`, { lines }, inv!.version);
  }

  return (
    <div class="invoice-page">
      <PageHeader
        crumbs={<a href="/invoices">Invoices</a>}
        title={
          <>
            <span class="quote-no">{invoiceName(inv)}</span> <CompanyName id={inv.company_id} />
          </>
        }
        subtitle={
          <>
            <InvoiceStatusBadge invoice={inv} />
            <CompanyName id={inv.company_id} link />
            {inv.period_from && <span>{periodText(inv.period_from, inv.period_to)}</span>}
            {inv.due_on && status === "issued" && <span class={inv.overdue ? "text-danger" : "muted"}>Due {date(inv.due_on)}</span>}
          </>
        }
        actions={
          <div class="row">
            <a class="btn btn-ghost btn-md" href={`/api/v1/invoices/${inv.id}.pdf`} target="_blank" rel="noopener" data-native>
              Open PDF
            </a>
            {draft && can("invoices.discard", user.role) && (
              <Button variant="ghost" onClick={() => setDoing({ kind: "discard" })}>
                Discard draft
              </Button>
            )}
            {status === "issued" && can("invoices.void", user.role) && (inv.paid ?? 0) === 0 && (inv.credited ?? 0) === 0 && (
              <Button variant="ghost" onClick={() => setDoing({ kind: "void" })}>
                Void
              </Button>
            )}
            {(status === "issued" || status === "paid") && can("invoices.credit", user.role) && <Button onClick={() => setDoing({ kind: "credit" })}>Credit note</Button>}
            {status === "issued" && can("payments.add", user.role) && (
              <Button variant="primary" onClick={() => setDoing({ kind: "pay" })}>
                Record payment
              </Button>
            )}
            {draft && can("invoices.issue", user.role) && (
              <Button variant="primary" onClick={() => setDoing({ kind: "issue" })} disabled={inv.lines.length === 0} title={inv.lines.length === 0 ? "An invoice needs a line to be issued" : undefined}>
                Issue invoice
              </Button>
            )}
          </div>
        }
      />
      <StatusNote invoice={inv} />

      <div class="detail-grid">
        <div class="detail-main">
          <Card
            title="Lines"
            pad={false}
            class="inv-lines-card"
            actions={
              edit && (
                <Button size="sm" variant="subtle" onClick={() => setDoing({ kind: "line" })}>
                  + Manual line
                </Button>
              )
            }
          >
            <LinesTable
              invoice={inv}
              label="Invoice lines"
              actions={
                edit
                  ? (l) => (
                      <span class="row">
                        {l.rule === "manual" && (
                          <button type="button" class="link-btn" aria-label={`Edit line ${l.id}`} onClick={() => setDoing({ kind: "line", line: l })}>
                            Edit
                          </button>
                        )}
                        <button type="button" class="link-btn link-danger" aria-label={`Remove line ${l.id}`} onClick={() => setDoing({ kind: "remove", line: l })}>
                          Remove
                        </button>
                      </span>
                    )
                  : undefined
              }
            />
            <Totals invoice={inv} full />
          </Card>
          {(status === "issued" || status === "paid" || (payments.data?.length ?? 0) > 0) && (
            <Card title="Payments" pad={false} class="payments-card">
              {payments.error ? (
                <ErrorState message={payments.error} onRetry={payments.reload} />
              ) : !payments.data ? (
                <Loading rows={2} />
              ) : payments.data.length === 0 ? (
                <p class="small muted card-body">No payment recorded yet.</p>
              ) : (
                <div class="table-wrap">
                  <table class="table" aria-label="Payments">
                    <thead>
                      <tr>
                        <th scope="col">Received</th>
                        <th scope="col">Method</th>
                        <th scope="col" class="hide-sm">
                          Reference
                        </th>
                        <th scope="col" class="num">
                          Amount
                        </th>
                        {can("payments.remove", user.role) && (
                          <th scope="col">
                            <span class="sr-only">Actions</span>
                          </th>
                        )}
                      </tr>
                    </thead>
                    <tbody>
                      {payments.data.map((p) => (
                        <tr key={p.id}>
                          <td class="nowrap">{date(p.received_on)}</td>
                          <td>{PAYMENT_METHOD_LABELS[p.method]}</td>
                          <td class="hide-sm">{p.reference ?? <span class="muted">—</span>}</td>
                          <td class="num nowrap">{money(p.amount, inv.currency)}</td>
                          {can("payments.remove", user.role) && (
                            <td class="right">
                              <button type="button" class="link-btn link-danger" aria-label={`Remove the payment of ${date(p.received_on)}`} onClick={() => setDoing({ kind: "unpay", payment: p })}>
                                Remove
                              </button>
                            </td>
                          )}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </Card>
          )}
          {(credits.data?.length ?? 0) > 0 && (
            <Card title="Credit notes" pad={false}>
              <div class="table-wrap">
                <table class="table" aria-label="Credit notes">
                  <thead>
                    <tr>
                      <th scope="col">Number</th>
                      <th scope="col">Issued</th>
                      <th scope="col">Reason</th>
                      <th scope="col" class="num">
                        Credited
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {credits.data!.map((n) => (
                      <tr key={n.id}>
                        <td class="nowrap">
                          <span class="ticket-no">{n.number}</span>
                        </td>
                        <td class="nowrap">{date(n.issued_on)}</td>
                        <td>{n.reason}</td>
                        <td class="num nowrap">
                          {money(n.total, n.currency ?? inv.currency)}
                          {(n.tax ?? 0) > 0 && <div class="cell-sub">incl. {money(n.tax, n.currency ?? inv.currency)} tax</div>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </Card>
          )}
        </div>
        <aside class="detail-side">
          <Card
            title="Summary"
            actions={
              edit && (
                <Button size="sm" variant="subtle" onClick={() => setDoing({ kind: "details" })}>
                  Edit
                </Button>
              )
            }
          >
            <DefList
              items={[
                ["Number", inv.number ?? <span class="muted">Given when issued</span>],
                ["Client", <CompanyName id={inv.company_id} link />],
                ["Period", inv.period_from ? periodText(inv.period_from, inv.period_to) : null],
                ["Issued", inv.issued_on ? date(inv.issued_on) : null],
                ["Due", inv.due_on ? date(inv.due_on) : inv.payment_terms_days !== null ? `${inv.payment_terms_days} days after issue` : "By the client's terms"],
                ["Tax rate", bp(inv.tax_rate_bp)],
                ["Total", money(inv.total, inv.currency)],
                ...(status !== "draft" && status !== "void" ? ([["Balance", <strong>{money(inv.balance, inv.currency)}</strong>]] as [string, preact.ComponentChildren][]) : []),
                ["Paid on", inv.paid_on ? date(inv.paid_on) : null],
                ["Run", inv.run_id ? <a href={`/invoices?run_id=${inv.run_id}`}>Run #{inv.run_id}</a> : "Made by hand"],
              ]}
            />
            {inv.notes && <div class="pre small inv-notes">{inv.notes}</div>}
          </Card>
          <Card title="PDF">
            <iframe class="pdf-preview" key={`${inv.id}-${inv.version}`} src={`/api/v1/invoices/${inv.id}.pdf#view=FitH`} title={`PDF of ${invoiceName(inv)}`} loading="lazy" />
            <div class="row">
              <a class="btn btn-secondary btn-md" href={`/api/v1/invoices/${inv.id}.pdf`} target="_blank" rel="noopener" data-native>
                Open PDF
              </a>
              <a class="btn btn-ghost btn-md" href={`/api/v1/invoices/${inv.id}.pdf`} download={`${inv.number ?? `draft-invoice-${inv.id}`}.pdf`} data-native>
                Download
              </a>
            </div>
          </Card>
        </aside>
      </div>

      {doing?.kind === "issue" && <IssueDialog invoice={inv} onClose={() => setDoing(null)} onDone={(x) => done(x, `Issued as ${x.number}`)} />}
      {doing?.kind === "pay" && (
        <PaymentDialog
          invoice={inv}
          onClose={() => setDoing(null)}
          onDone={async () => {
            const x = await api.get<Invoice>(`/invoices/${inv.id}`);
            done(x, x.status === "paid" ? "Payment recorded: the invoice is paid" : `Payment recorded: ${money(x.balance, x.currency)} still due`);
          }}
        />
      )}
      {doing?.kind === "void" && <VoidDialog invoice={inv} onClose={() => setDoing(null)} onDone={(x) => done(x, `${x.number} is void; what it billed will bill again`)} />}
      {doing?.kind === "credit" && (
        <CreditDialog
          invoice={inv}
          onClose={() => setDoing(null)}
          onDone={async (n) => {
            const x = await api.get<Invoice>(`/invoices/${inv.id}`);
            done(x, `Credit note ${n.number} issued`);
          }}
        />
      )}
      {doing?.kind === "details" && <DetailsDialog invoice={inv} onClose={() => setDoing(null)} onDone={(x) => done(x, "Saved")} />}
      {doing?.kind === "line" && (
        <LineDialog
          invoice={inv}
          line={doing.line}
          onClose={() => setDoing(null)}
          onSave={async (body) => {
            const lines = doing.line ? inv.lines.map((l) => (l.id === doing.line!.id ? { id: l.id, ...body } : keep(l))) : [...inv.lines.map(keep), body];
            const x = await patchLines(lines);
            done(x, doing.line ? "Line saved" : "Line added");
          }}
        />
      )}
      {doing?.kind === "remove" &&
        (() => {
          const gone = withSharedWork(inv.lines, doing.line);
          return (
            <Confirm
              title={gone.length > 1 ? `Remove these ${gone.length} lines?` : "Remove this line?"}
              description={doing.line.rule === "manual" ? undefined : "The work, fee or part it billed becomes billable again: the next run bills it."}
              confirmLabel={gone.length > 1 ? `Remove ${gone.length} lines` : "Remove line"}
              onClose={() => setDoing(null)}
              onConfirm={async () => {
                const ids = new Set(gone.map((l) => l.id));
                const x = await patchLines(inv.lines.filter((l) => !ids.has(l.id)).map(keep));
                done(x, gone.length > 1 ? `${gone.length} lines removed` : "Line removed");
              }}
            >
              {gone.length > 1 && <p>The time entry or part it bills is split over more than one line (drawn from the block and beyond it). Freeing it frees it whole, so its lines go together; the next run bills it again.</p>}
              <ul class="plain-list">
                {gone.map((l) => (
                  <li key={l.id}>
                    <strong>{l.description}</strong> — {money(l.amount ?? 0, inv.currency)}
                  </li>
                ))}
              </ul>
            </Confirm>
          );
        })()}
      {doing?.kind === "discard" && (
        <Confirm
          title="Discard this draft?"
          description="Everything it billed becomes billable again: the next run bills it. No number is used."
          confirmLabel="Discard draft"
          onClose={() => setDoing(null)}
          onConfirm={async () => {
            await api.del(`/invoices/${inv.id}`, inv.version);
            toast("Draft discarded");
            navigate("/invoices");
          }}
        />
      )}
      {doing?.kind === "unpay" && (
        <Confirm
          title="Remove this payment?"
          description="For a payment recorded by mistake. The invoice's balance grows again."
          confirmLabel="Remove payment"
          onClose={() => setDoing(null)}
          onConfirm={async () => {
            await api.del(`/invoices/${inv.id}/payments/${doing.payment.id}`, doing.payment.version);
            const x = await api.get<Invoice>(`/invoices/${inv.id}`);
            done(x, "Payment removed");
          }}
        >
          <p>
            {money(doing.payment.amount, inv.currency)} received {date(doing.payment.received_on)}
          </p>
        </Confirm>
      )}
    </div>
  );
}

function StatusNote({ invoice }: { invoice: Invoice }) {
  switch (invoice.status) {
    case "draft":
      return (
        <Alert tone="info" title="A draft">
          Check the lines, then issue it: it gets the next invoice number and today's date, and from then on it does not change (corrections are credit notes).
        </Alert>
      );
    case "void":
      return (
        <Alert tone="warning" title={`Void since ${dateTime(invoice.voided_at)}`}>
          {invoice.void_reason ? `Reason: ${invoice.void_reason}. ` : ""}It keeps its number; what it billed bills again with the next run.
        </Alert>
      );
    case "issued":
      return invoice.overdue ? (
        <Alert tone="error" title="Overdue">
          {money(invoice.balance, invoice.currency)} was due {date(invoice.due_on)}.
        </Alert>
      ) : null;
    default:
      return null;
  }
}

/* Dialogs -------------------------------------------------------------------------------- */

function IssueDialog({ invoice, onClose, onDone }: { invoice: Invoice; onClose: () => void; onDone: (x: Invoice) => void }) {
  const settings = useBillingSettings();
  async function issue() {
    onDone((await request<Invoice>("POST", `/invoices/${invoice.id}/issue`, { body: {}, version: invoice.version })).data);
  }
  const days = invoice.payment_terms_days ?? null;
  return (
    <Confirm title="Issue this invoice?" confirmLabel="Issue invoice" variant="primary" onConfirm={issue} onClose={onClose}>
      <p>
        It gets the next invoice number and today's date, due{" "}
        {days !== null ? `in ${days} days` : settings ? `by the client's terms (the firm's are ${settings.payment_terms_days} days)` : "by the client's terms"}. For{" "}
        <strong>{money(invoice.total, invoice.currency)}</strong>.
      </p>
      <p class="muted small">An issued invoice, and the time and parts on it, no longer change. Corrections are credit notes.</p>
    </Confirm>
  );
}

function PaymentDialog({ invoice, onClose, onDone }: { invoice: Invoice; onClose: () => void; onDone: () => Promise<void> }) {
  const cur = invoice.currency;
  const form = useForm({ amount: minorText(invoice.balance ?? 0, cur), received_on: ymd(new Date()), method: "bank_transfer" as PaymentMethod, reference: "", notes: "" });
  const v = form.values;
  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (vals) => {
      const amount = parseMinor(vals.amount, cur);
      if (amount === null || amount <= 0) {
        form.setErrors({ amount: "An amount above 0, like 125.00" });
        throw new Error("Please correct the highlighted fields.");
      }
      const body: Record<string, unknown> = { amount, received_on: vals.received_on, method: vals.method };
      if (vals.reference.trim()) body.reference = vals.reference.trim();
      if (vals.notes.trim()) body.notes = vals.notes.trim();
      await api.post<Payment>(`/invoices/${invoice.id}/payments`, body);
      await onDone();
    });
  }
  return (
    <FormDialog title={`Record a payment on ${invoiceName(invoice)}`} description={`Balance due: ${money(invoice.balance, cur)}. A partial payment leaves the rest due.`} onClose={onClose} onSubmit={submit} busy={form.busy} formError={form.formError} submitLabel="Record payment">
      <div class="form-grid">
        <TextField label={`Amount (${cur})`} required inputMode="decimal" autoFocus value={v.amount} onValue={(x) => form.set("amount", x)} error={form.errors.amount} />
        <TextField label="Received on" type="date" required value={v.received_on} onValue={(x) => form.set("received_on", x)} error={form.errors.received_on} />
        <SelectField label="Method" value={v.method} onValue={(x) => form.set("method", x as PaymentMethod)} options={PaymentMethodValues.map((m) => ({ value: m, label: PAYMENT_METHOD_LABELS[m] }))} error={form.errors.method} />
        <TextField label="Reference" value={v.reference} onValue={(x) => form.set("reference", x)} error={form.errors.reference} placeholder="Bank reference, check number…" />
        <div class="span-2">
          <TextArea label="Notes" rows={2} value={v.notes} onValue={(x) => form.set("notes", x)} error={form.errors.notes} />
        </div>
      </div>
    </FormDialog>
  );
}

function VoidDialog({ invoice, onClose, onDone }: { invoice: Invoice; onClose: () => void; onDone: (x: Invoice) => void }) {
  const form = useForm({ reason: "" });
  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (v) => {
      onDone((await request<Invoice>("POST", `/invoices/${invoice.id}/void`, { body: { reason: v.reason.trim() }, version: invoice.version })).data);
    });
  }
  return (
    <FormDialog title={`Void ${invoiceName(invoice)}?`} description="It keeps its number and shows VOID; the work, fees and parts it billed become billable again." onClose={onClose} onSubmit={submit} busy={form.busy} formError={form.formError} submitLabel="Void invoice">
      <TextArea label="Reason" required autoFocus rows={2} value={form.values.reason} onValue={(x) => form.set("reason", x)} error={form.errors.reason} placeholder="Billed to the wrong client" />
    </FormDialog>
  );
}

function CreditDialog({ invoice, onClose, onDone }: { invoice: Invoice; onClose: () => void; onDone: (n: CreditNote) => Promise<void> }) {
  const cur = invoice.currency;
  const form = useForm({ amount: "", taxable: (invoice.tax_rate_bp ?? 0) > 0, reason: "" });
  const v = form.values;
  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (vals) => {
      const amount = parseMinor(vals.amount, cur);
      if (amount === null || amount <= 0) {
        form.setErrors({ amount: "An amount above 0, like 50.00" });
        throw new Error("Please correct the highlighted fields.");
      }
      const note = (await request<CreditNote>("POST", `/invoices/${invoice.id}/credit`, { body: { amount, taxable: vals.taxable, reason: vals.reason.trim() }, version: invoice.version })).data;
      await onDone(note);
    });
  }
  return (
    <FormDialog title={`Credit note against ${invoiceName(invoice)}`} description={`Takes the amount off what the client owes (${money(invoice.balance, cur)} now).`} onClose={onClose} onSubmit={submit} busy={form.busy} formError={form.formError} submitLabel="Issue credit note">
      <div class="form-grid">
        <TextField label={`Amount before tax (${cur})`} required inputMode="decimal" autoFocus value={v.amount} onValue={(x) => form.set("amount", x)} error={form.errors.amount} />
        <div class="align-end">
          <Checkbox label={`Credit tax too (${bp(invoice.tax_rate_bp)})`} checked={v.taxable} onValue={(x) => form.set("taxable", x)} error={form.errors.taxable} />
        </div>
        <div class="span-2">
          <TextArea label="Reason" required rows={2} value={v.reason} onValue={(x) => form.set("reason", x)} error={form.errors.reason} placeholder="Goodwill for the delayed visit" />
        </div>
      </div>
    </FormDialog>
  );
}

function DetailsDialog({ invoice, onClose, onDone }: { invoice: Invoice; onClose: () => void; onDone: (x: Invoice) => void }) {
  const form = useForm({ payment_terms_days: invoice.payment_terms_days === null ? "" : String(invoice.payment_terms_days), notes: invoice.notes ?? "" });
  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (v) => {
      const patch: Record<string, unknown> = {};
      const terms = v.payment_terms_days.trim() === "" ? null : /^\d{1,3}$/.test(v.payment_terms_days.trim()) ? Number(v.payment_terms_days) : v.payment_terms_days;
      if (terms !== invoice.payment_terms_days) patch.payment_terms_days = terms;
      const notes = v.notes.trim() || null;
      if (notes !== invoice.notes) patch.notes = notes;
      if (!Object.keys(patch).length) return onClose();
      onDone(await api.patch<Invoice>(`/invoices/${invoice.id}`, patch, invoice.version));
    });
  }
  return (
    <FormDialog title="Terms and notes" onClose={onClose} onSubmit={submit} busy={form.busy} formError={form.formError} submitLabel="Save">
      <TextField label="Days to pay" inputMode="numeric" value={form.values.payment_terms_days} onValue={(x) => form.set("payment_terms_days", x)} error={form.errors.payment_terms_days} hint="Empty: the client's terms, else the firm's." />
      <TextArea label="Notes on the invoice" rows={3} value={form.values.notes} onValue={(x) => form.set("notes", x)} error={form.errors.notes} />
    </FormDialog>
  );
}

function LineDialog({ invoice, line, onClose, onSave }: { invoice: Invoice; line?: InvoiceLine; onClose: () => void; onSave: (body: Record<string, unknown>) => Promise<void> }) {
  const cur = invoice.currency;
  const form = useForm({
    description: line?.description ?? "",
    quantity: line ? String(line.quantity ?? 1) : "1",
    unit_price: line ? minorText(line.unit_price ?? 0, cur) : "",
    taxable: line?.taxable ?? true,
  });
  const v = form.values;
  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (vals) => {
      const errs: Record<string, string> = {};
      const q = parseQuantity(vals.quantity.replace(/^-/, ""));
      const neg = vals.quantity.trim().startsWith("-");
      const price = parseMinor(vals.unit_price.replace(/^-/, ""), cur);
      if (!vals.description.trim()) errs.description = "Describe the line";
      if (q === null || q === 0n) errs.quantity = "A quantity with at most 3 decimals";
      if (price === null) errs.unit_price = "An amount like 25.00";
      if (Object.keys(errs).length) {
        form.setErrors(errs);
        throw new Error("Please correct the highlighted fields.");
      }
      const body = {
        description: vals.description.trim(),
        quantity: (neg ? -1 : 1) * quantityNumber(q!),
        unit_price: (vals.unit_price.trim().startsWith("-") ? -1 : 1) * price!,
        taxable: vals.taxable,
      };
      try {
        await onSave(body);
      } catch (err) {
        // "[3].unit_price: is required" -> beside the field
        if (err instanceof ApiError) {
          const fields: Record<string, string> = {};
          for (const x of err.problem.errors ?? []) {
            const m = /^\[\d+\]\.(\w+): (.*)$/s.exec(x.message);
            if (x.field === "lines" && m && m[1] in vals) fields[m[1]] = m[2];
          }
          if (Object.keys(fields).length) {
            form.setErrors(fields);
            throw new Error("Please correct the highlighted fields.");
          }
        }
        throw err;
      }
    });
  }
  return (
    <FormDialog title={line ? "Edit the line" : "Add a manual line"} description="A line typed by hand: travel, a fixed price, a discount (a negative price)." onClose={onClose} onSubmit={submit} busy={form.busy} formError={form.formError} submitLabel={line ? "Save line" : "Add line"}>
      <div class="form-grid">
        <div class="span-2">
          <TextField label="Description" required autoFocus value={v.description} onValue={(x) => form.set("description", x)} error={form.errors.description} placeholder="Travel, flat rate" />
        </div>
        <TextField label="Quantity" inputMode="decimal" value={v.quantity} onValue={(x) => form.set("quantity", x)} error={form.errors.quantity} />
        <TextField label={`Unit price (${cur})`} inputMode="decimal" value={v.unit_price} onValue={(x) => form.set("unit_price", x)} error={form.errors.unit_price} />
        <div class="span-2">
          <Checkbox label="Taxed" checked={v.taxable} onValue={(x) => form.set("taxable", x)} />
        </div>
      </div>
      {(() => {
        const q = parseQuantity(v.quantity.replace(/^-/, ""));
        const p = parseMinor(v.unit_price.replace(/^-/, ""), cur);
        if (q === null || p === null) return null;
        const sign = (v.quantity.trim().startsWith("-") ? -1 : 1) * (v.unit_price.trim().startsWith("-") ? -1 : 1);
        const amount = Number(lineAmount(q, sign * p, 0));
        return (
          <p class="small muted">
            Amount: <Badge tone="outline">{money(amount, cur)}</Badge>
          </p>
        );
      })()}
    </FormDialog>
  );
}
