/*
 * Ticket.tsx - one ticket as its client sees it: what was asked, the
 * conversation (public notes only: ours and theirs), its files, a reply
 * box that takes files. When we have resolved it the client confirms
 * ("Confirm resolved", and it closes) or says it is still a problem (it
 * reopens, with their reason); once resolved or closed they rate it 1–5
 * with a comment, and may change the rating while the server allows.
 */
import { useState } from "preact/hooks";
import { Alert, Button, ErrorState, Loading, TextArea, toast } from "../../components/ui";
import { errorMessage } from "../../lib/api";
import { dateTime } from "../../lib/format";
import { useForm, useLoad, type Loaded } from "../../lib/hooks";
import { ApiError } from "../../lib/api";
import { papi } from "../api";
import { FileList, FilePicker, uploadFiles } from "../files";
import type { PortalAttachment, PortalNote, PortalTicket, Survey } from "../types";
import { PageHead, PRIORITY_TEXT, TicketStatus, usePortalTitle } from "../ui";

const OPEN = ["new", "assigned", "in_progress", "waiting_customer", "waiting_parts", "escalated"];

function Conversation({ ticket, notes }: { ticket: PortalTicket; notes: PortalNote[] }) {
  return (
    <ol class="portal-thread" aria-label="Conversation">
      <li class="portal-msg is-client">
        <div class="portal-msg-head">
          <strong>Your request</strong> <span class="muted small">{dateTime(ticket.created_at)}</span>
        </div>
        <div class="pre">{ticket.description || ticket.subject}</div>
      </li>
      {notes.map((n) => (
        <li key={n.id} class={`portal-msg ${n.from_client ? "is-client" : "is-firm"}`}>
          <div class="portal-msg-head">
            <strong>{n.author_name || (n.from_client ? "You" : "Support")}</strong> <span class="muted small">{dateTime(n.created_at)}</span>
          </div>
          <div class="pre">{n.body}</div>
        </li>
      ))}
    </ol>
  );
}

function Reply({ ticket, onDone }: { ticket: PortalTicket; onDone: () => void }) {
  const form = useForm({ body: "" });
  const [files, setFiles] = useState<File[]>([]);
  const [fileError, setFileError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    if (!form.values.body.trim() && !files.length) {
      form.setErrors({ body: "Write a message or add a file." });
      return;
    }
    const ok = await form.submit(async (v) => {
      if (v.body.trim()) await papi.post(`/tickets/${ticket.id}/notes`, { body: v.body.trim() });
    });
    if (!ok) return;
    if (files.length) {
      try {
        await uploadFiles(ticket.id, files);
        setFiles([]);
      } catch (err) {
        setFileError((err as Error).message);
      }
    }
    form.set("body", "");
    toast("Sent. We will answer here and by e-mail.");
    onDone();
  }

  return (
    <form class="portal-reply stack" onSubmit={submit} noValidate aria-label="Reply">
      {form.formError && <Alert tone="error">{form.formError}</Alert>}
      <TextArea label="Your reply" name="body" value={form.values.body} onValue={(x) => form.set("body", x)} error={form.errors.body} rows={4} />
      <FilePicker label="Add files" files={files} onFiles={(f) => { setFiles(f); setFileError(null); }} error={fileError} />
      <div class="portal-actions">
        <Button type="submit" variant="primary" busy={form.busy}>
          Send reply
        </Button>
      </div>
    </form>
  );
}

function ResolvedActions({ ticket, onDone }: { ticket: PortalTicket; onDone: () => void }) {
  const [mode, setMode] = useState<"ask" | "reopen">("ask");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const form = useForm({ reason: "" });

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await papi.post(`/tickets/${ticket.id}/confirm`);
      toast("Thank you — the ticket is closed.");
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  async function reopen(e: Event) {
    e.preventDefault();
    if (!form.values.reason.trim()) {
      form.setErrors({ reason: "Tell us what is still wrong." });
      return;
    }
    const ok = await form.submit(async (v) => {
      await papi.post(`/tickets/${ticket.id}/reopen`, { reason: v.reason.trim() });
    });
    if (ok) {
      toast("The ticket is open again. We are on it.");
      onDone();
    }
  }

  return (
    <section class="portal-box portal-resolved" aria-labelledby="resolved-h">
      <h2 id="resolved-h">We think this is solved</h2>
      {ticket.resolution && <div class="pre portal-resolution">{ticket.resolution}</div>}
      {error && <Alert tone="error">{error}</Alert>}
      {mode === "ask" ? (
        <div class="portal-actions">
          <Button variant="primary" busy={busy} onClick={confirm}>
            Confirm resolved
          </Button>
          <Button onClick={() => setMode("reopen")}>Still a problem — reopen</Button>
        </div>
      ) : (
        <form onSubmit={reopen} noValidate class="stack" aria-label="Reopen the ticket">
          {form.formError && <Alert tone="error">{form.formError}</Alert>}
          <TextArea label="What is still wrong?" name="reason" value={form.values.reason} onValue={(x) => form.set("reason", x)} error={form.errors.reason} rows={3} autoFocus required />
          <div class="portal-actions">
            <Button type="submit" variant="primary" busy={form.busy}>
              Reopen the ticket
            </Button>
            <Button onClick={() => setMode("ask")}>Back</Button>
          </div>
        </form>
      )}
    </section>
  );
}

const STARS = ["Very poor", "Poor", "Fair", "Good", "Excellent"];

function Rating({ ticket, survey }: { ticket: PortalTicket; survey: Loaded<Survey | null> }) {
  // an unanswered survey is no rating yet
  const s = survey.data && survey.data.rating ? { ...survey.data, rating: survey.data.rating } : null;
  const [editing, setEditing] = useState(false);
  const form = useForm({ rating: s?.rating ?? 0, comment: s?.comment ?? "" });
  const until = s?.changeable_until ?? (s?.first_answered_at ? new Date(s.first_answered_at).getTime() + 7 * 86400000 : null);
  const canChange = !s || until === null || new Date(until).getTime() > Date.now();
  const v = form.values;

  async function submit(e: Event) {
    e.preventDefault();
    if (!v.rating) {
      form.setErrors({ rating: "Choose from 1 to 5 stars." });
      return;
    }
    const ok = await form.submit(async () => {
      await papi.post(`/tickets/${ticket.id}/rate`, { rating: v.rating, comment: v.comment.trim() || undefined });
    });
    if (ok) {
      setEditing(false);
      toast("Thank you for your rating.");
      survey.reload(); // what the server kept
    }
  }

  if (s && !editing)
    return (
      <section class="portal-box" aria-labelledby="rate-h">
        <h2 id="rate-h">Your rating</h2>
        <p class="portal-stars-read">
          <span role="img" aria-label={`${s.rating} of 5 stars`}>
            {"★".repeat(s.rating) + "☆".repeat(5 - s.rating)}
          </span>{" "}
          {STARS[s.rating - 1]}
        </p>
        {s.comment && <p class="pre">{s.comment}</p>}
        <p class="small muted">Rated {dateTime(s.answered_at)}.</p>
        {canChange && (
          <Button size="sm" onClick={() => { form.setAll({ rating: s.rating, comment: s.comment ?? "" }); setEditing(true); }}>
            Change your rating
          </Button>
        )}
      </section>
    );

  return (
    <section class="portal-box" aria-labelledby="rate-h">
      <h2 id="rate-h">How did we do?</h2>
      <form onSubmit={submit} noValidate class="stack" aria-label="Rate the service">
        {form.formError && <Alert tone="error">{form.formError}</Alert>}
        <fieldset class={`portal-stars ${form.errors.rating ? "has-error" : ""}`} aria-describedby={form.errors.rating ? "rating-error" : undefined}>
          <legend class="field-label">Your rating</legend>
          <div class="portal-stars-row">
            {[1, 2, 3, 4, 5].map((n) => (
              <label key={n} class={`portal-star ${n <= v.rating ? "is-on" : ""}`} title={STARS[n - 1]}>
                <input type="radio" name="rating" value={n} checked={v.rating === n} onChange={() => form.set("rating", n)} aria-label={`${n} star${n > 1 ? "s" : ""}: ${STARS[n - 1]}`} />
                <span aria-hidden="true">★</span>
              </label>
            ))}
          </div>
          {v.rating > 0 && <div class="small">{STARS[v.rating - 1]}</div>}
          {form.errors.rating && (
            <div class="field-error" id="rating-error" role="alert">
              {form.errors.rating}
            </div>
          )}
        </fieldset>
        <TextArea label="Comment (optional)" name="comment" value={v.comment} onValue={(x) => form.set("comment", x)} error={form.errors.comment} rows={3} />
        <div class="portal-actions">
          <Button type="submit" variant="primary" busy={form.busy}>
            Send rating
          </Button>
          {s && <Button onClick={() => setEditing(false)}>Cancel</Button>}
        </div>
      </form>
    </section>
  );
}

export function TicketPage({ id }: { id: number }) {
  const ticket = useLoad((signal) => papi.get<PortalTicket>(`/tickets/${id}`, undefined, signal), [id]);
  const notes = useLoad((signal) => papi.list<PortalNote>(`/tickets/${id}/notes`, undefined, signal).then((r) => r.data), [id]);
  const files = useLoad((signal) => papi.list<PortalAttachment>(`/tickets/${id}/attachments`, { limit: 200 }, signal).then((r) => r.data), [id]);
  const survey = useLoad(
    (signal) =>
      papi.get<Survey>(`/tickets/${id}/survey`, undefined, signal).catch((e) => {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }),
    [id],
  );
  const t = ticket.data;
  usePortalTitle(t ? `${t.number} ${t.subject}` : "Ticket");

  function reloadAll() {
    ticket.reload();
    notes.reload();
    files.reload();
  }

  if (ticket.error) return <ErrorState message={ticket.error} onRetry={ticket.reload} />;
  if (!t) return <Loading rows={6} label="Loading the ticket…" />;
  const rateable = t.status === "resolved" || t.status === "closed";

  return (
    <>
      <PageHead title={t.subject} back={{ href: "/portal/tickets", label: "My tickets" }}>
        <p class="portal-ticket-meta">
          <span class="mono">{t.number}</span> <TicketStatus status={t.status} /> <span class="muted small">{PRIORITY_TEXT[t.priority]?.split(" — ")[0] ?? t.priority} priority</span>
        </p>
      </PageHead>
      {t.status === "resolved" && <ResolvedActions ticket={t} onDone={reloadAll} />}
      {notes.error ? <ErrorState message={notes.error} onRetry={notes.reload} /> : !notes.data ? <Loading rows={3} /> : <Conversation ticket={t} notes={notes.data} />}
      {files.data && files.data.length > 0 && (
        <section class="portal-box" aria-labelledby="files-h">
          <h2 id="files-h">Files</h2>
          <FileList files={files.data} />
        </section>
      )}
      {OPEN.includes(t.status) || t.status === "resolved" ? (
        <Reply ticket={t} onDone={reloadAll} />
      ) : (
        <p class="muted small portal-closed-note">This ticket is {t.status}. Something else wrong? <a href="/portal/tickets/new">Open a new ticket</a>.</p>
      )}
      {rateable && !survey.loading && !survey.error && <Rating ticket={t} survey={survey} key={survey.data ? "s" : "n"} />}
    </>
  );
}
