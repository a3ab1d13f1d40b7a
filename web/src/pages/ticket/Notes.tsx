/*
 * Notes.tsx - the ticket's notes as a timeline, internal and public notes
 * told apart at a glance (colour, icon and words), and the composer.
 */
import { UserName } from "../../components/names";
import { Alert, Avatar, Badge, Button, Empty, ErrorState, Loading, TextArea } from "../../components/ui";
import { api, listAll } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";
import { userName, users } from "../../lib/lookup";
import { can } from "../../lib/session";
import type { Note, Ticket } from "../../lib/types";

function LockIcon() {
  return (
    <svg viewBox="0 0 16 16" width="11" height="11" aria-hidden="true">
      <path d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2M3.5 7h9v7h-9z" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linejoin="round" />
    </svg>
  );
}

function EyeIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <path d="M1 8s2.5-5 7-5 7 5 7 5-2.5 5-7 5-7-5-7-5z" fill="none" stroke="currentColor" stroke-width="1.5" />
      <circle cx="8" cy="8" r="2" fill="currentColor" />
    </svg>
  );
}

export function NotesPanel({ ticket, onChange }: { ticket: Ticket; onChange: () => void }) {
  const notes = useLoad(() => listAll<Note>(`/tickets/${ticket.id}/notes`, { sort: "created_at" }, 2000), [ticket.id]);
  const staff = users.use();
  const f = useForm({ body: "", visibility: "internal" as "internal" | "public" });
  const closed = ticket.status === "closed";

  async function add(e: Event) {
    e.preventDefault();
    const ok = await f.submit(async (v) => {
      await api.post<Note>(`/tickets/${ticket.id}/notes`, { body: v.body, visibility: v.visibility });
    });
    if (ok) {
      f.setAll({ body: "", visibility: f.values.visibility });
      notes.reload();
      onChange();
    }
  }

  return (
    <div class="notes">
      {notes.error ? (
        <ErrorState message={notes.error} onRetry={notes.reload} />
      ) : notes.loading && !notes.data ? (
        <Loading rows={3} label="Loading notes…" />
      ) : notes.data!.length === 0 ? (
        <Empty title="No notes yet" icon="✎">
          Record what you found and did. Public notes are the reply the client sees; internal notes stay with the team.
        </Empty>
      ) : (
        <ol class="timeline" aria-label="Notes">
          {notes.data!.map((n) => {
            const author = n.author_id ? userName(staff, n.author_id) : "Client";
            return (
              <li key={n.id} class={`note note-${n.visibility}`} aria-label={`${n.visibility === "public" ? "Public" : "Internal"} note by ${author}`}>
                <div class="note-avatar">
                  <Avatar name={author} size="sm" />
                </div>
                <div class="note-card">
                  <div class="note-head">
                    <span class="note-author">{n.author_id ? <UserName id={n.author_id} /> : "Client"}</span>
                    {n.visibility === "public" ? (
                      <Badge tone="blue" title="The client can see this note">
                        <EyeIcon /> Public reply
                      </Badge>
                    ) : (
                      <Badge tone="amber" title="Only staff can see this note">
                        <LockIcon /> Internal
                      </Badge>
                    )}
                    {n.contact_id && <Badge tone="outline">Client's words</Badge>}
                    <time class="note-time" dateTime={n.created_at} title={dateTime(n.created_at)}>
                      {relative(n.created_at)}
                    </time>
                  </div>
                  <div class="note-body pre">{n.body}</div>
                </div>
              </li>
            );
          })}
        </ol>
      )}

      {can("notes.add") && !closed && (
        <form class={`composer composer-${f.values.visibility}`} onSubmit={add} noValidate aria-label="Add a note">
          {f.formError && <Alert>{f.formError}</Alert>}
          <fieldset class="segmented">
            <legend class="sr-only">Who can see the note</legend>
            <label class={f.values.visibility === "internal" ? "is-on" : ""}>
              <input type="radio" name="visibility" value="internal" checked={f.values.visibility === "internal"} onChange={() => f.set("visibility", "internal")} />
              Internal note
            </label>
            <label class={f.values.visibility === "public" ? "is-on" : ""}>
              <input type="radio" name="visibility" value="public" checked={f.values.visibility === "public"} onChange={() => f.set("visibility", "public")} />
              Public reply
            </label>
          </fieldset>
          <TextArea
            label="Note"
            hideLabel
            name="note"
            value={f.values.body}
            onValue={(x) => f.set("body", x)}
            error={f.errors.body}
            rows={3}
            placeholder={f.values.visibility === "public" ? "Write a reply the client will see…" : "Write an internal note for the team…"}
          />
          <div class="row-between">
            <span class="small muted">
              {f.values.visibility === "public" ? "Visible to the client. The first public reply counts as the SLA response." : "Only staff can see internal notes."}
            </span>
            <Button type="submit" variant="primary" busy={f.busy} disabled={!f.values.body.trim()}>
              {f.values.visibility === "public" ? "Send public reply" : "Add internal note"}
            </Button>
          </div>
        </form>
      )}
      {closed && <p class="muted small">The ticket is closed; reopen it to add notes.</p>}
    </div>
  );
}
