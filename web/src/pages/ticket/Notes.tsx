/*
 * Notes.tsx - the ticket's notes as a timeline, internal notes, public
 * replies and the client's own words told apart at a glance (colour, icon
 * and words), and the composer with its three modes: an internal note, a
 * public reply, or "Client said" — what a contact of the ticket's company
 * said on the phone or wrote (contact_id; no first response by staff).
 * A note may carry files (uploaded with its note_id once it is made),
 * shown under it.
 */
import { UserName } from "../../components/names";
import { Alert, Avatar, Badge, Button, Empty, ErrorState, Loading, SelectField, TextArea } from "../../components/ui";
import { useRef, useState } from "preact/hooks";
import { api, listAll } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useForm, useLoad, type Loaded } from "../../lib/hooks";
import { remember, useRecord, userName, users } from "../../lib/lookup";
import { can } from "../../lib/session";
import type { Attachment, Contact, Note, Ticket, User } from "../../lib/types";
import { AttachmentChips, fileSize, PreviewDialog, uploadFiles } from "./Attachments";

type Mode = "internal" | "public" | "client";

const MODES: { id: Mode; label: string }[] = [
  { id: "internal", label: "Internal note" },
  { id: "public", label: "Public reply" },
  { id: "client", label: "Client said" },
];

function PhoneIcon() {
  return (
    <svg viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <path d="M4 1.5h2l1 3-1.5 1a8 8 0 0 0 5 5l1-1.5 3 1v2a1.5 1.5 0 0 1-1.5 1.5A12.5 12.5 0 0 1 2.5 3 1.5 1.5 0 0 1 4 1.5z" fill="none" stroke="currentColor" stroke-width="1.4" stroke-linejoin="round" />
    </svg>
  );
}

function contactName(c: Contact | null | undefined): string {
  return c ? `${c.first_name} ${c.last_name}`.trim() : "A client contact";
}

/** One note of the timeline; the client's words under the contact's name. */
function NoteItem({ n, staff, files, onPreview }: { n: Note; staff: User[] | null; files: Attachment[]; onPreview: (a: Attachment) => void }) {
  const contact = useRecord<Contact>("contacts", n.contact_id);
  const author = n.author_id ? userName(staff, n.author_id) : "System";
  if (n.contact_id) {
    const who = contactName(contact);
    return (
      <li class="note note-client" aria-label={`${who} (client) said, recorded by ${author}`}>
        <div class="note-avatar">
          <Avatar name={who} size="sm" />
        </div>
        <div class="note-card">
          <div class="note-head">
            <span class="note-author">
              {who} <span class="note-role">(client)</span>
            </span>
            <Badge tone="green" title="The client's own words, from a call or a message; the client can see this note">
              <PhoneIcon /> Client said
            </Badge>
            <time class="note-time" dateTime={n.created_at} title={dateTime(n.created_at)}>
              {relative(n.created_at)}
            </time>
          </div>
          <div class="note-body pre">{n.body}</div>
          <AttachmentChips files={files} onPreview={onPreview} />
          <div class="note-foot">Recorded by {n.author_id ? <UserName id={n.author_id} /> : "the system"}</div>
        </div>
      </li>
    );
  }
  return (
    <li class={`note note-${n.visibility}`} aria-label={`${n.visibility === "public" ? "Public" : "Internal"} note by ${n.author_id ? author : "Client"}`}>
      <div class="note-avatar">
        <Avatar name={n.author_id ? author : "Client"} size="sm" />
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
          <time class="note-time" dateTime={n.created_at} title={dateTime(n.created_at)}>
            {relative(n.created_at)}
          </time>
        </div>
        <div class="note-body pre">{n.body}</div>
        <AttachmentChips files={files} onPreview={onPreview} />
      </div>
    </li>
  );
}

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

export function NotesPanel({ ticket, onChange, files }: { ticket: Ticket; onChange: () => void; files: Loaded<Attachment[]> }) {
  const picker = useRef<HTMLInputElement>(null);
  const [chosen, setChosen] = useState<File[]>([]);
  const [preview, setPreview] = useState<Attachment | null>(null);
  const notes = useLoad(() => listAll<Note>(`/tickets/${ticket.id}/notes`, { sort: "created_at" }, 2000), [ticket.id]);
  const staff = users.use();
  const f = useForm({ body: "", mode: "internal" as Mode, contact_id: ticket.contact_id ? String(ticket.contact_id) : "" });
  const mode = f.values.mode;
  // the company's contacts, loaded when "Client said" is first chosen
  const contacts = useLoad(
    async () => {
      if (mode !== "client") return null;
      const list = await listAll<Contact>("/contacts", { company_id: ticket.company_id, sort: "last_name" }, 400);
      list.forEach((c) => remember("contacts", c));
      return list;
    },
    [mode === "client", ticket.company_id],
  );
  const closed = ticket.status === "closed";

  async function add(e: Event) {
    e.preventDefault();
    if (mode === "client" && !f.values.contact_id) {
      f.setErrors({ contact_id: "Choose who said it" });
      return;
    }
    let made: Note | null = null;
    const ok = await f.submit(async (v) => {
      const body: Record<string, unknown> = { body: v.body, visibility: v.mode === "internal" ? "internal" : "public" };
      if (v.mode === "client") body.contact_id = Number(v.contact_id);
      made = await api.post<Note>(`/tickets/${ticket.id}/notes`, body);
    });
    if (ok) {
      f.setAll({ ...f.values, body: "" });
      notes.reload();
      onChange();
    }
    if (ok && made && chosen.length) {
      try {
        await uploadFiles(ticket.id, chosen, (made as Note).id);
        setChosen([]);
        if (picker.current) picker.current.value = "";
      } catch (err) {
        f.setErrors({ files: `The note is saved, but its files are not: ${(err as Error).message}` });
      }
      files.reload();
    }
  }

  const list = contacts.data ?? null;
  const placeholder =
    mode === "public" ? "Write a reply the client will see…" : mode === "client" ? "What did the client say? Sum up the call, or paste their message…" : "Write an internal note for the team…";
  const help =
    mode === "public"
      ? "Visible to the client. The first public reply counts as the SLA response."
      : mode === "client"
        ? "Their words, kept under their name; the client can see it. It is no response of yours: the SLA clock keeps running."
        : "Only staff can see internal notes.";

  return (
    <div class="notes">
      {notes.error ? (
        <ErrorState message={notes.error} onRetry={notes.reload} />
      ) : notes.loading && !notes.data ? (
        <Loading rows={3} label="Loading notes…" />
      ) : notes.data!.length === 0 ? (
        <Empty title="No notes yet" icon="✎">
          Record what you found and did. Public notes are the reply the client sees; internal notes stay with the team; "Client said" keeps what the client told you.
        </Empty>
      ) : (
        <ol class="timeline" aria-label="Notes">
          {notes.data!.map((n) => (
            <NoteItem key={n.id} n={n} staff={staff} files={(files.data ?? []).filter((a) => a.note_id === n.id)} onPreview={setPreview} />
          ))}
        </ol>
      )}

      {can("notes.add") && !closed && (
        <form class={`composer composer-${mode}`} onSubmit={add} noValidate aria-label="Add a note">
          {f.formError && <Alert>{f.formError}</Alert>}
          <fieldset class="segmented">
            <legend class="sr-only">Kind of note</legend>
            {MODES.map((m) => (
              <label key={m.id} class={mode === m.id ? "is-on" : ""}>
                <input type="radio" name="note-mode" value={m.id} checked={mode === m.id} onChange={() => f.set("mode", m.id)} />
                {m.label}
              </label>
            ))}
          </fieldset>
          {mode === "client" && (
            <div class="composer-contact">
              <SelectField
                label="Who said it"
                name="contact_id"
                value={f.values.contact_id}
                onValue={(x) => f.set("contact_id", x)}
                options={(list ?? []).map((c) => ({ value: String(c.id), label: contactName(c) }))}
                placeholder={!list ? "Loading contacts…" : list.length ? "Choose a contact…" : "This client has no contacts yet"}
                error={f.errors.contact_id}
                required
                hint={list && list.length === 0 ? "Add the person on the client's page first." : undefined}
              />
            </div>
          )}
          <TextArea label="Note" hideLabel name="note" value={f.values.body} onValue={(x) => f.set("body", x)} error={f.errors.body} rows={3} placeholder={placeholder} />
          {can("attachments.add") && (
            <div class="composer-files">
              <input
                ref={picker}
                type="file"
                multiple
                class="sr-only"
                aria-label="Files for this note"
                onChange={(e) => setChosen(Array.from((e.target as HTMLInputElement).files ?? []))}
              />
              <Button size="sm" variant="ghost" onClick={() => picker.current?.click()}>
                Attach files…
              </Button>
              {chosen.length > 0 && (
                <span class="small muted" data-testid="note-files">
                  {chosen.map((c) => `${c.name} (${fileSize(c.size)})`).join(", ")}
                </span>
              )}
              {f.errors.files && <span class="field-error">{f.errors.files}</span>}
            </div>
          )}
          <div class="row-between">
            <span class="small muted">{help}</span>
            <Button type="submit" variant="primary" busy={f.busy} disabled={!f.values.body.trim()}>
              {mode === "public" ? "Send public reply" : mode === "client" ? "Record what they said" : "Add internal note"}
            </Button>
          </div>
        </form>
      )}
      {closed && <p class="muted small">The ticket is closed; reopen it to add notes.</p>}
      {preview && <PreviewDialog a={preview} onClose={() => setPreview(null)} />}
    </div>
  );
}
