/*
 * parts.tsx - pieces the mail screens and the ticket's E-mail tab share:
 * the outcome and delivery badges, the delivery log of one message (each
 * try: when, taken or not, what the server said) and sending a failed or
 * bounced message again.
 */
import { useState } from "preact/hooks";
import { Alert, Badge, Button, Dialog, ErrorState, Loading } from "../../components/ui";
import { api, errorMessage } from "../../lib/api";
import { dateTime } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import type { InboundMessageOutcome, OutboundMessage, OutboundMessageStatus } from "../../lib/types";
import { OUTCOME_LABELS, OUTCOME_TONE, STATUS_LABELS, STATUS_TONE, type Attempt } from "./model";

export function OutcomeBadge({ outcome }: { outcome: InboundMessageOutcome | null }) {
  if (!outcome) return <span class="muted">—</span>;
  return (
    <Badge tone={OUTCOME_TONE[outcome]} dot>
      {OUTCOME_LABELS[outcome]}
    </Badge>
  );
}

export function DeliveryBadge({ status, title }: { status: OutboundMessageStatus | null; title?: string }) {
  if (!status) return <span class="muted">—</span>;
  return (
    <Badge tone={STATUS_TONE[status]} dot title={title}>
      {STATUS_LABELS[status]}
    </Badge>
  );
}

export function canRetry(m: OutboundMessage): boolean {
  return m.status === "failed" || m.status === "bounced";
}

/** Each try to hand one message to the SMTP server, oldest first. */
export function AttemptsDialog({ message, onClose, onRetry }: { message: OutboundMessage; onClose: () => void; onRetry?: (m: OutboundMessage) => Promise<void> }) {
  const log = useLoad((signal) => api.get<{ data: Attempt[] }>(`/outbound-messages/${message.id}/attempts`, undefined, signal), [message.id]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const rows = log.data?.data;
  async function retry() {
    setBusy(true);
    setError(null);
    try {
      await onRetry!(message);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }
  return (
    <Dialog
      title="Delivery log"
      description={`${message.subject ?? "(no subject)"} — to ${message.to_address ?? "nobody"}`}
      onClose={onClose}
      wide
      footer={
        <>
          {onRetry && canRetry(message) && (
            <Button variant="primary" busy={busy} onClick={retry}>
              Send again
            </Button>
          )}
          <Button onClick={onClose}>Close</Button>
        </>
      }
    >
      <div class="stack">
        {error && <Alert>{error}</Alert>}
        <div class="row">
          <DeliveryBadge status={message.status} />
          <span class="small muted">
            {message.attempts ?? 0} {message.attempts === 1 ? "try" : "tries"}
            {message.sent_at ? ` · sent ${dateTime(message.sent_at)}` : ""}
          </span>
        </div>
        {message.last_error && (
          <Alert tone={message.status === "queued" ? "warning" : "error"} title={message.status === "queued" ? "The last try failed; it is tried again" : "Why it was not delivered"}>
            <span class="mono small">{message.last_error}</span>
          </Alert>
        )}
        {log.error ? (
          <ErrorState message={log.error} onRetry={log.reload} />
        ) : !rows ? (
          <Loading rows={2} label="Loading the delivery log…" />
        ) : rows.length === 0 ? (
          <p class="muted small">Not tried yet: the worker sends queued mail within seconds once outgoing mail is set up.</p>
        ) : (
          <ol class="attempts" aria-label="Tries">
            {rows.map((a, i) => (
              <li key={i} class={a.ok ? "is-ok" : "is-failed"}>
                <span class="attempt-mark" aria-hidden="true">
                  {a.ok ? "✓" : "✕"}
                </span>
                <div>
                  <div class="small">
                    <strong>{a.ok ? "Taken by the server" : "Not taken"}</strong> · <time dateTime={a.at}>{dateTime(a.at)}</time>
                  </div>
                  <div class="mono small attempt-detail">{a.detail}</div>
                </div>
              </li>
            ))}
          </ol>
        )}
      </div>
    </Dialog>
  );
}

/** POST …/retry; the message, queued again. */
export async function retryMessage(m: OutboundMessage): Promise<OutboundMessage> {
  return api.post<OutboundMessage>(`/outbound-messages/${m.id}/retry`, {});
}
