/*
 * Email.tsx - the ticket's E-mail tab: the thread by mail, oldest first.
 * What the client wrote: for admins and managers the messages as received
 * (GET /inbound-messages?ticket_id=, with what became of each); the other
 * roles may not read the inbound log (403), so they see the client's words
 * as recorded on the ticket (notes with contact_id). What we sent: every
 * outbound message of the ticket with its delivery state (queued, sent,
 * failed, bounced and why), its delivery log, and Send again for admins
 * and managers. A contact whose address bounced is called out on top.
 */
import { useState } from "preact/hooks";
import { Alert, Avatar, Badge, Empty, ErrorState, Loading, toast } from "../../components/ui";
import { errorMessage, listAll } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import { useRecord } from "../../lib/lookup";
import { can } from "../../lib/session";
import type { Contact, InboundMessage, Note, OutboundMessage, Ticket } from "../../lib/types";
import { MessageBody } from "../mail/Mail";
import { EVENT_LABELS, sender } from "../mail/model";
import { AttemptsDialog, canRetry, DeliveryBadge, OutcomeBadge, retryMessage } from "../mail/parts";

type Item =
  | { kind: "in"; at: string; m: InboundMessage }
  | { kind: "note"; at: string; n: Note }
  | { kind: "out"; at: string; m: OutboundMessage };

interface Thread {
  items: Item[];
  /** the inbound log could be read (admins, managers) */
  raw: boolean;
}

export function EmailPanel({ ticket }: { ticket: Ticket }) {
  const raw = can("mail.inbound");
  const thread = useLoad<Thread>(async () => {
    const out = await listAll<OutboundMessage>("/outbound-messages", { ticket_id: ticket.id, sort: "created_at" }, 500);
    const items: Item[] = out.map((m) => ({ kind: "out", at: m.created_at, m }));
    if (raw) {
      const ins = await listAll<InboundMessage>("/inbound-messages", { ticket_id: ticket.id, sort: "received_at" }, 500);
      items.push(...ins.map((m): Item => ({ kind: "in", at: m.received_at ?? m.created_at, m })));
    } else {
      const notes = await listAll<Note>(`/tickets/${ticket.id}/notes`, { sort: "created_at" }, 2000);
      items.push(...notes.filter((n) => n.contact_id).map((n): Item => ({ kind: "note", at: n.created_at, n })));
    }
    items.sort((a, b) => a.at.localeCompare(b.at));
    return { items, raw };
  }, [ticket.id, ticket.version]);
  const contact = useRecord<Contact>("contacts", ticket.contact_id);
  const [open, setOpen] = useState<OutboundMessage | null>(null);
  const mayRetry = can("mail.retry");

  async function retry(m: OutboundMessage) {
    await retryMessage(m);
    setOpen(null);
    thread.reload();
    toast("Queued to be sent again");
  }

  return (
    <div class="email-thread">
      {contact?.email_bounced_at && (
        <Alert tone="warning" title={`Mail to ${contact.email} bounced`}>
          Since {dateTime(contact.email_bounced_at)} nothing is sent to {contact.first_name} {contact.last_name}
          {contact.email_bounce_reason ? <>: <span class="mono small">{contact.email_bounce_reason}</span>.</> : "."} Correct the address on the client's page to send again.
        </Alert>
      )}
      {thread.error ? (
        <ErrorState message={thread.error} onRetry={thread.reload} />
      ) : !thread.data ? (
        <Loading rows={3} label="Loading the mail of this service order…" />
      ) : thread.data.items.length === 0 ? (
        <Empty title="No e-mail yet" icon="✉">
          Mail the client sends about this service order, and what Servio sends them (the confirmation, public replies, the resolution), shows here.
        </Empty>
      ) : (
        <ol class="timeline" aria-label="E-mail">
          {thread.data.items.map((it) =>
            it.kind === "out" ? (
              <OutItem key={"o" + it.m.id} m={it.m} onOpen={setOpen} onRetry={mayRetry ? retry : undefined} />
            ) : it.kind === "in" ? (
              <InItem key={"i" + it.m.id} m={it.m} />
            ) : (
              <ClientNoteItem key={"n" + it.n.id} n={it.n} />
            ),
          )}
        </ol>
      )}
      {thread.data && !thread.data.raw && (
        <p class="small muted">The client's words are shown as recorded on the service order; the messages as received are in the mail log, for managers.</p>
      )}
      {open && <AttemptsDialog message={open} onClose={() => setOpen(null)} onRetry={mayRetry ? retry : undefined} />}
    </div>
  );
}

function InItem({ m }: { m: InboundMessage }) {
  const who = m.from_name || m.from_address || "The client";
  return (
    <li class={`note note-client mail-in mail-in-${m.outcome}`} aria-label={`Received from ${sender(m)}`}>
      <div class="note-avatar">
        <Avatar name={who} size="sm" />
      </div>
      <div class="note-card">
        <div class="note-head">
          <span class="note-author">
            {who} <span class="note-role">wrote</span>
          </span>
          <Badge tone="green" title="A message received by e-mail">
            ✉ Received
          </Badge>
          <OutcomeBadge outcome={m.outcome} />
          <time class="note-time" dateTime={m.received_at ?? undefined} title={dateTime(m.received_at)}>
            {relative(m.received_at)}
          </time>
        </div>
        <div class="mail-meta small">
          <span class="mono">{sender(m)}</span> · <strong>{m.subject || "(no subject)"}</strong>
          {m.attachments ? ` · ${m.attachments} ${m.attachments === 1 ? "file" : "files"} (under Files)` : ""}
        </div>
        {m.body ? <MessageBody text={m.body} /> : <p class="muted small">No text.</p>}
        {m.reason && <div class="note-foot">{m.reason}</div>}
      </div>
    </li>
  );
}

function ClientNoteItem({ n }: { n: Note }) {
  const c = useRecord<Contact>("contacts", n.contact_id);
  const who = c ? `${c.first_name} ${c.last_name}` : "The client";
  return (
    <li class="note note-client" aria-label={`${who} (client) said`}>
      <div class="note-avatar">
        <Avatar name={who} size="sm" />
      </div>
      <div class="note-card">
        <div class="note-head">
          <span class="note-author">
            {who} <span class="note-role">(client)</span>
          </span>
          <Badge tone="green" title="The client's own words, by mail, the portal or a call">
            Client wrote
          </Badge>
          <time class="note-time" dateTime={n.created_at} title={dateTime(n.created_at)}>
            {relative(n.created_at)}
          </time>
        </div>
        <MessageBody text={n.body} />
      </div>
    </li>
  );
}

function OutItem({ m, onOpen, onRetry }: { m: OutboundMessage; onOpen: (m: OutboundMessage) => void; onRetry?: (m: OutboundMessage) => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  async function retry() {
    setBusy(true);
    try {
      await onRetry!(m);
    } catch (e) {
      toast(errorMessage(e), "error");
      setBusy(false);
    }
  }
  return (
    <li class={`note mail-out mail-out-${m.status}`} aria-label={`Sent to ${m.to_address}: ${m.status}`}>
      <div class="note-avatar">
        <span class="mail-out-icon" aria-hidden="true">
          ➤
        </span>
      </div>
      <div class="note-card">
        <div class="note-head">
          <span class="note-author">
            To {m.to_name || m.to_address}
          </span>
          <Badge tone={m.automatic ? "slate" : "blue"} title={m.automatic ? "Sent by Servio by itself (Auto-Submitted)" : "A reply written by staff"}>
            {m.template ? EVENT_LABELS[m.template] : "Mail"} · {m.automatic ? "automatic" : "written"}
          </Badge>
          <DeliveryBadge status={m.status} />
          <time class="note-time" dateTime={m.created_at} title={dateTime(m.created_at)}>
            {relative(m.created_at)}
          </time>
        </div>
        <div class="mail-meta small">
          <span class="mono">{m.to_address}</span> · <strong>{m.subject || "(no subject)"}</strong>
          {m.status === "sent" && m.sent_at ? ` · sent ${dateTime(m.sent_at)}` : ""}
        </div>
        {m.last_error && m.status !== "sent" && (
          <div class={`mail-error small ${m.status === "queued" ? "is-pending" : ""}`}>
            {m.status === "queued" ? "Last try failed, trying again: " : "Not delivered: "}
            <span class="mono">{m.last_error}</span>
          </div>
        )}
        {m.body && (
          <details class="small">
            <summary>The text sent</summary>
            <div class="pre mail-text">{m.body}</div>
          </details>
        )}
        <div class="note-foot mail-actions">
          <button type="button" class="link-btn" onClick={() => onOpen(m)}>
            Delivery log ({m.attempts ?? 0} {m.attempts === 1 ? "try" : "tries"})
          </button>
          {onRetry && canRetry(m) && (
            <button type="button" class="link-btn" disabled={busy} onClick={retry}>
              Send again
            </button>
          )}
        </div>
      </div>
    </li>
  );
}
