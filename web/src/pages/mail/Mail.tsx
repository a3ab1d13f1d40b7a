/*
 * Mail.tsx - the Mail area (/mail/:section) for admins and managers:
 *   triage    the messages held for staff (an unknown sender, a contact of
 *             several companies, a flood): who sent what, why it was held;
 *             Assign opens a service order for a company (the sender made
 *             a contact if asked) or adds the message to one, Discard
 *             drops it (it stays on record);
 *   inbound   every message that came in, with its outcome and the reason
 *             in a sentence, filtered by outcome or sender, linked to its
 *             service order;
 *   outbound  every message sent, with its delivery state, the delivery
 *             log of each and Send again for failed or bounced ones.
 * Filters live in the URL; lists are cursor pages with "Load more".
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { CompanyName, TicketLink } from "../../components/names";
import { CompanyPicker, SearchPicker } from "../../components/pickers";
import { Alert, Badge, Button, Card, Checkbox, Confirm, Empty, ErrorState, FormDialog, ListFoot, Loading, PageHeader, toast } from "../../components/ui";
import { api, errorMessage } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useDebounced, useForm, usePaged, useTitle } from "../../lib/hooks";
import { remember } from "../../lib/lookup";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { STATUS_LABELS as TICKET_STATUS_LABELS } from "../../lib/tickets";
import { InboundMessageOutcomeValues, OutboundMessageStatusValues, type InboundMessage, type OutboundMessage, type Ticket } from "../../lib/types";
import { ContactPicker } from "../sales/parts";
import { EVENT_LABELS, OUTCOME_LABELS, sender, STATUS_LABELS, TRIAGE_LABELS } from "./model";
import { AttemptsDialog, canRetry, DeliveryBadge, OutcomeBadge, retryMessage } from "./parts";

const SECTIONS = [
  { id: "triage", label: "Triage" },
  { id: "inbound", label: "Received" },
  { id: "outbound", label: "Sent" },
];

export function MailPage({ section, user }: { section: string; user: Me }) {
  const current = SECTIONS.find((s) => s.id === section) ?? SECTIONS[0];
  useTitle(`Mail · ${current.label}`);
  return (
    <div>
      <PageHeader title="Mail" subtitle="What clients wrote in, what was held for you to sort out, and what Servio sent." />
      <nav class="tabs mail-nav" aria-label="Mail">
        {SECTIONS.map((s) => (
          <a key={s.id} href={`/mail/${s.id}`} class={`tab ${s.id === current.id ? "is-active" : ""}`} aria-current={s.id === current.id ? "page" : undefined}>
            {s.label}
          </a>
        ))}
      </nav>
      {current.id === "triage" && <TriageSection user={user} />}
      {current.id === "inbound" && <InboundSection />}
      {current.id === "outbound" && <OutboundSection user={user} />}
    </div>
  );
}

/* Triage ------------------------------------------------------------------------------ */

function TriageSection({ user }: { user: Me }) {
  const list = usePaged<InboundMessage>("/inbound-messages", { triage: "open", sort: "-received_at" }, []);
  const [assigning, setAssigning] = useState<InboundMessage | null>(null);
  const [discarding, setDiscarding] = useState<InboundMessage | null>(null);
  const [done, setDone] = useState<InboundMessage[]>([]);
  const rows = list.rows;
  const act = can("mail.triage", user.role);

  return (
    <div class="stack">
      {done.map((m) => (
        <Alert tone="success" key={m.id} title="Assigned">
          The message from {sender(m)} {m.note_id ? "was added to" : "opened"} {m.ticket_id ? <TicketLink id={m.ticket_id} /> : "a service order"}.
        </Alert>
      ))}
      <Card title="Held for triage" pad={false} actions={<Button size="sm" onClick={list.reload}>Refresh</Button>}>
        {list.error ? (
          <ErrorState message={list.error} onRetry={list.reload} />
        ) : !rows ? (
          <Loading rows={3} label="Loading held messages…" />
        ) : rows.length === 0 ? (
          <Empty title="Nothing waiting" icon="✉">
            Mail from someone Servio cannot place — an unknown sender, a contact of several clients, a flood — waits here until you assign or discard it.
          </Empty>
        ) : (
          <>
            <ul class="triage-list" aria-label="Held messages">
              {rows.map((m) => (
                <li key={m.id} class="triage-item">
                  <div class="triage-head">
                    <div class="triage-who">
                      <div class="cell-title">{m.subject || "(no subject)"}</div>
                      <div class="cell-sub">
                        from <span class="mono">{sender(m)}</span> · <time dateTime={m.received_at ?? undefined} title={dateTime(m.received_at)}>{relative(m.received_at)}</time>
                        {m.attachments ? ` · ${m.attachments} ${m.attachments === 1 ? "file" : "files"}` : ""}
                      </div>
                    </div>
                    {act && (
                      <div class="triage-actions">
                        <Button size="sm" variant="primary" onClick={() => setAssigning(m)} aria-label={`Assign the message from ${m.from_address}`}>
                          Assign…
                        </Button>
                        <Button size="sm" variant="ghost" onClick={() => setDiscarding(m)} aria-label={`Discard the message from ${m.from_address}`}>
                          Discard
                        </Button>
                      </div>
                    )}
                  </div>
                  <p class="triage-reason">
                    <span class="triage-reason-label">Held because</span> {m.reason ?? "no reason was recorded"}
                  </p>
                  {m.body ? <MessageBody text={m.body} /> : <p class="muted small">The message has no text.</p>}
                </li>
              ))}
            </ul>
            <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} noun="held" />
          </>
        )}
      </Card>
      {assigning && (
        <AssignDialog
          message={assigning}
          onClose={() => setAssigning(null)}
          onDone={(m) => {
            setAssigning(null);
            setDone((d) => [m, ...d].slice(0, 3));
            list.update((r) => r.filter((x) => x.id !== m.id));
            toast("Message assigned");
          }}
        />
      )}
      {discarding && (
        <Confirm
          title="Discard this message?"
          description="It opens no service order and nobody is answered. It stays in the log of received mail."
          confirmLabel="Discard message"
          cancelLabel="Keep it"
          onClose={() => setDiscarding(null)}
          onConfirm={async () => {
            await api.post(`/inbound-messages/${discarding.id}/discard`, {});
            list.update((r) => r.filter((x) => x.id !== discarding.id));
            setDiscarding(null);
            toast("Message discarded");
          }}
        >
          <p>
            <strong>{discarding.subject || "(no subject)"}</strong> from <span class="mono">{sender(discarding)}</span>
          </p>
        </Confirm>
      )}
    </div>
  );
}

/** A message's text: the first lines, the rest behind "Show all". */
export function MessageBody({ text }: { text: string }) {
  const [all, setAll] = useState(false);
  const long = text.length > 400 || text.split("\n").length > 8;
  const shown = all || !long ? text : text.slice(0, 400).split("\n").slice(0, 8).join("\n") + "…";
  return (
    <div class="message-body">
      <div class="pre">{shown}</div>
      {long && (
        <button type="button" class="link-btn small" aria-expanded={all} onClick={() => setAll(!all)}>
          {all ? "Show less" : "Show all"}
        </button>
      )}
    </div>
  );
}

type Target = "company" | "ticket";

function AssignDialog({ message, onClose, onDone }: { message: InboundMessage; onClose: () => void; onDone: (m: InboundMessage) => void }) {
  const f = useForm({
    target: "company" as Target,
    company_id: message.company_id as number | null,
    contact_id: message.contact_id as number | null,
    ticket_id: null as number | null,
    add_contact: false,
  });
  const v = f.values;

  async function submit(e: Event) {
    e.preventDefault();
    if (v.target === "company" && !v.company_id) return f.setErrors({ company_id: "Choose the client the message is from" });
    if (v.target === "ticket" && !v.ticket_id) return f.setErrors({ ticket_id: "Choose the service order to add it to" });
    await f.submit(async (v) => {
      const body: Record<string, unknown> =
        v.target === "ticket"
          ? { ticket_id: v.ticket_id }
          : { company_id: v.company_id, ...(v.contact_id ? { contact_id: v.contact_id } : v.add_contact ? { add_contact: true } : {}) };
      const m = await api.post<InboundMessage>(`/inbound-messages/${message.id}/assign`, body);
      onDone(m);
    });
  }

  return (
    <FormDialog
      title="Assign the message"
      description={`“${message.subject || "(no subject)"}” from ${sender(message)}`}
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel={v.target === "ticket" ? "Add to the service order" : "Open a service order"}
      wide
    >
      <fieldset class="segmented">
        <legend class="sr-only">What to do with it</legend>
        <label class={v.target === "company" ? "is-on" : ""}>
          <input type="radio" name="assign-target" value="company" checked={v.target === "company"} onChange={() => f.set("target", "company")} />
          New service order for a client
        </label>
        <label class={v.target === "ticket" ? "is-on" : ""}>
          <input type="radio" name="assign-target" value="ticket" checked={v.target === "ticket"} onChange={() => f.set("target", "ticket")} />
          Add to an existing one
        </label>
      </fieldset>
      {v.target === "company" ? (
        <>
          <CompanyPicker
            label="Client"
            value={v.company_id}
            onValue={(id) => {
              f.set("company_id", id);
              f.set("contact_id", null);
            }}
            error={f.errors.company_id}
            required
          />
          <ContactPicker companyId={v.company_id} value={v.contact_id} onValue={(id) => f.set("contact_id", id)} error={f.errors.contact_id} label="From contact (optional)" />
          <Checkbox
            label={`Add ${message.from_address ?? "the sender"} as a contact of the client`}
            checked={v.add_contact && !v.contact_id}
            disabled={!!v.contact_id}
            onValue={(x) => f.set("add_contact", x)}
            error={f.errors.add_contact}
            hint={v.contact_id ? "A contact is chosen." : "Their next message then opens service orders by itself."}
          />
          <p class="small muted">The service order takes the message's subject and text; its channel is e-mail.</p>
        </>
      ) : (
        <>
          <SearchPicker<Ticket>
            label="Service order"
            value={v.ticket_id}
            onValue={(id, t) => {
              if (t) remember("tickets", t);
              f.set("ticket_id", id);
            }}
            error={f.errors.ticket_id}
            required
            kind="tickets"
            query={{ sort: "-created_at" }}
            display={(r) => `${r.number} ${r.subject}`}
            meta={(r) => `${TICKET_STATUS_LABELS[r.status] ?? r.status} · opened ${relative(r.created_at)}`}
            placeholder="Search by number (T-000123) or words…"
            noneText="No service order matches"
            hint="The message becomes the client's note on it; a resolved one is reopened."
          />
        </>
      )}
    </FormDialog>
  );
}

/* Received ---------------------------------------------------------------------------- */

interface InFilters {
  outcome: string;
  from: string;
}

function readIn(search: string): InFilters {
  const p = new URLSearchParams(search);
  const o = p.get("outcome") ?? "";
  return { outcome: (InboundMessageOutcomeValues as readonly string[]).includes(o) ? o : "", from: p.get("from_address") ?? "" };
}

function writeIn(f: InFilters): string {
  const p = new URLSearchParams();
  if (f.outcome) p.set("outcome", f.outcome);
  if (f.from) p.set("from_address", f.from);
  return p.toString() ? "?" + p : "";
}

function InboundSection() {
  const loc = useLocation();
  const f = useMemo(() => readIn(loc.search), [loc.search]);
  const [from, setFrom] = useState(f.from);
  const fromQ = useDebounced(from.trim().toLowerCase(), 300);
  useEffect(() => {
    if (fromQ !== f.from) navigate("/mail/inbound" + writeIn({ ...f, from: fromQ }), { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [fromQ]);
  const list = usePaged<InboundMessage>("/inbound-messages", { outcome: f.outcome || undefined, from_address: f.from || undefined, sort: "-received_at" }, [loc.search]);
  const rows = list.rows;
  const update = (part: Partial<InFilters>) => navigate("/mail/inbound" + writeIn({ ...f, ...part }), { replace: true });

  return (
    <>
      <div class="list-toolbar">
        <div class="chips" role="group" aria-label="Outcome">
          {[["", "All"] as [string, string], ...InboundMessageOutcomeValues.map((o) => [o, OUTCOME_LABELS[o]] as [string, string])].map(([value, text]) => (
            <button key={value} type="button" class={`chip ${f.outcome === value ? "is-active" : ""}`} aria-pressed={f.outcome === value} onClick={() => update({ outcome: value })}>
              {text}
            </button>
          ))}
        </div>
      </div>
      <section class="card list-card">
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-search">
            <label for="mail-from" class="sr-only">
              Sender's address
            </label>
            <input id="mail-from" type="search" class="input filter-input" placeholder="Sender's exact address" value={from} onInput={(e) => setFrom((e.currentTarget as HTMLInputElement).value)} />
          </div>
        </div>
        {list.error ? (
          <ErrorState message={list.error} onRetry={list.reload} />
        ) : !rows ? (
          <Loading rows={5} label="Loading received mail…" />
        ) : rows.length === 0 ? (
          <Empty title={f.outcome || f.from ? "No messages match" : "No mail received yet"} icon="✉">
            {f.outcome || f.from ? "Try another outcome or sender." : "Mail reaches Servio through the mail server's pipe (servio mail-in) or the IMAP mailbox set in Settings → Mail."}
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="table mail-table" aria-label="Received mail">
                <thead>
                  <tr>
                    <th scope="col">Received</th>
                    <th scope="col">From and subject</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">Service order</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((m) => (
                    <tr key={m.id}>
                      <td class="nowrap" data-label="Received" title={dateTime(m.received_at)}>
                        {relative(m.received_at)}
                        <div class="cell-sub">{m.via === "imap" ? "IMAP" : "pipe"}</div>
                      </td>
                      <td class="col-subject" data-label="From and subject">
                        <div class="cell-title">{m.subject || "(no subject)"}</div>
                        <div class="cell-sub mono">{sender(m)}</div>
                        {m.body && (
                          <details class="small">
                            <summary>Text</summary>
                            <div class="pre mail-text">{m.body}</div>
                          </details>
                        )}
                      </td>
                      <td data-label="Outcome" class="col-outcome">
                        <OutcomeBadge outcome={m.outcome} />
                        {m.triage && (
                          <Badge tone={m.triage === "open" ? "amber-strong" : "outline"}>{TRIAGE_LABELS[m.triage]}</Badge>
                        )}
                        {m.reason && <div class="cell-sub">{m.reason}</div>}
                      </td>
                      <td data-label="Service order">
                        {m.ticket_id ? <TicketLink id={m.ticket_id} /> : m.triage === "open" ? <a href="/mail/triage">Waiting in triage</a> : <span class="muted">—</span>}
                        {m.company_id && (
                          <div class="cell-sub">
                            <CompanyName id={m.company_id} />
                          </div>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
          </>
        )}
      </section>
    </>
  );
}

/* Sent -------------------------------------------------------------------------------- */

function OutboundSection({ user }: { user: Me }) {
  const loc = useLocation();
  const status = new URLSearchParams(loc.search).get("status") ?? "";
  const st = (OutboundMessageStatusValues as readonly string[]).includes(status) ? status : "";
  const list = usePaged<OutboundMessage>("/outbound-messages", { status: st || undefined, sort: "-created_at" }, [st]);
  const [open, setOpen] = useState<OutboundMessage | null>(null);
  const rows = list.rows;
  const mayRetry = can("mail.retry", user.role);

  async function retry(m: OutboundMessage) {
    const r = await retryMessage(m);
    list.update((rs) => rs.map((x) => (x.id === r.id ? r : x)));
    setOpen(null);
    toast("Queued to be sent again");
  }

  return (
    <>
      <div class="list-toolbar">
        <div class="chips" role="group" aria-label="Delivery state">
          {[["", "All"] as [string, string], ...OutboundMessageStatusValues.map((s) => [s, STATUS_LABELS[s]] as [string, string])].map(([value, text]) => (
            <button key={value} type="button" class={`chip ${st === value ? "is-active" : ""}`} aria-pressed={st === value} onClick={() => navigate("/mail/outbound" + (value ? "?status=" + value : ""), { replace: true })}>
              {text}
            </button>
          ))}
        </div>
        <Button size="sm" onClick={list.reload}>
          Refresh
        </Button>
      </div>
      <section class="card list-card">
        {list.error ? (
          <ErrorState message={list.error} onRetry={list.reload} />
        ) : !rows ? (
          <Loading rows={5} label="Loading sent mail…" />
        ) : rows.length === 0 ? (
          <Empty title={st ? "No messages match" : "Nothing sent yet"} icon="✉">
            {st ? "Try another state." : "Servio writes to clients when a service order comes in, gets a public reply or is resolved, and when a quote or invoice goes out — once outgoing mail is set up in Settings → Mail."}
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <OutboundTable rows={rows} onOpen={setOpen} onRetry={mayRetry ? retry : undefined} showTicket />
            </div>
            <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
          </>
        )}
      </section>
      {open && <AttemptsDialog message={open} onClose={() => setOpen(null)} onRetry={mayRetry ? retry : undefined} />}
    </>
  );
}

/** The sent messages as a table (the Sent log, and the ticket's E-mail tab on wide screens). */
export function OutboundTable({ rows, onOpen, onRetry, showTicket }: { rows: OutboundMessage[]; onOpen: (m: OutboundMessage) => void; onRetry?: (m: OutboundMessage) => Promise<void>; showTicket?: boolean }) {
  const [busy, setBusy] = useState<number | null>(null);
  async function retry(m: OutboundMessage) {
    setBusy(m.id);
    try {
      await onRetry!(m);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  }
  return (
    <table class="table mail-table" aria-label="Sent mail">
      <thead>
        <tr>
          <th scope="col">Made</th>
          <th scope="col">To and subject</th>
          <th scope="col">Kind</th>
          {showTicket && <th scope="col">For</th>}
          <th scope="col">Delivery</th>
          <th scope="col">
            <span class="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => (
          <tr key={m.id}>
            <td class="nowrap" data-label="Made" title={dateTime(m.created_at)}>
              {relative(m.created_at)}
            </td>
            <td class="col-subject" data-label="To and subject">
              <div class="cell-title">{m.subject || "(no subject)"}</div>
              <div class="cell-sub mono">{m.to_name ? `${m.to_name} <${m.to_address}>` : m.to_address}</div>
              {m.body && (
                <details class="small">
                  <summary>Text</summary>
                  <div class="pre mail-text">{m.body}</div>
                </details>
              )}
            </td>
            <td data-label="Kind">
              {m.template ? EVENT_LABELS[m.template] : "—"}
              <div class="cell-sub">{m.automatic ? "automatic" : "written by staff"}</div>
            </td>
            {showTicket && (
              <td data-label="For">
                {m.ticket_id ? <TicketLink id={m.ticket_id} subject={false} /> : m.quote_id ? <a href={`/quotes/${m.quote_id}`}>Quote #{m.quote_id}</a> : m.invoice_id ? <a href={`/invoices/${m.invoice_id}`}>Invoice #{m.invoice_id}</a> : <span class="muted">—</span>}
              </td>
            )}
            <td data-label="Delivery" class="col-outcome">
              <DeliveryBadge status={m.status} />
              {m.status === "sent" && m.sent_at && <div class="cell-sub">{dateTime(m.sent_at)}</div>}
              {m.last_error && m.status !== "sent" && <div class="cell-sub mail-error">{m.last_error}</div>}
            </td>
            <td class="col-actions">
              <div class="mail-actions">
                <button type="button" class="link-btn" onClick={() => onOpen(m)} aria-label={`Delivery log of “${m.subject ?? ""}” to ${m.to_address}`}>
                  Log · {m.attempts ?? 0} {m.attempts === 1 ? "try" : "tries"}
                </button>
                {onRetry && canRetry(m) && (
                  <button type="button" class="link-btn" disabled={busy === m.id} onClick={() => retry(m)} aria-label={`Send “${m.subject ?? ""}” to ${m.to_address} again`}>
                    Send again
                  </button>
                )}
              </div>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
