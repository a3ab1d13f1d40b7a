/*
 * Attachments.tsx - the files of a service order: upload by button or by
 * dropping files on the card, a list with size, who sent it and when,
 * thumbnails for images with a larger preview on click, download links,
 * and removing (archiving) a file. Notes use AttachmentChips and
 * uploadFiles to carry files of their own.
 *
 * Downloads are the server's /attachments/{id}/content (sent as a
 * download, nosniff); images are shown with ?inline=1, which the server
 * allows only for png, jpeg, gif and webp.
 */
import { useRef, useState } from "preact/hooks";
import { ContactName, UserName } from "../../components/names";
import { Alert, Button, Card, Confirm, Dialog, Empty, ErrorState, LinkButton, Loading, toast } from "../../components/ui";
import { api, ApiError, errorMessage } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import type { Loaded } from "../../lib/hooks";
import { can, currentUser } from "../../lib/session";
import type { Attachment, Ticket } from "../../lib/types";

const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif", "image/webp"];
/** What the server takes (docs/openapi.yaml): the file picker offers these. */
const ACCEPT =
  ".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.log,.csv,.zip,.eml,.rtf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.msg,.odt,.ods,.odp";
const MAX_BYTES = 25 * 1024 * 1024;

export function isImage(a: Attachment): boolean {
  return IMAGE_TYPES.includes(a.content_type);
}

export function contentUrl(a: Attachment, inline = false): string {
  return `/api/v1/attachments/${a.id}/content${inline ? "?inline=1" : ""}`;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Uploads files to the ticket (and note): resolves with the records made,
 * or rejects with a message naming what the server refused.
 */
export async function uploadFiles(ticketId: number, files: File[], noteId?: number): Promise<Attachment[]> {
  const tooBig = files.find((f) => f.size > MAX_BYTES);
  if (tooBig) throw new Error(`"${tooBig.name}" is larger than 25 MB, the most a file may have.`);
  const form = new FormData();
  if (noteId) form.append("note_id", String(noteId));
  for (const f of files) form.append("file", f, f.name);
  try {
    const reply = await api.upload<{ data: Attachment[] }>(`/tickets/${ticketId}/attachments`, form);
    return reply.data;
  } catch (e) {
    if (e instanceof ApiError && e.problem.errors?.length) {
      // "file[1].content_type": name the file the server refused
      const first = e.problem.errors[0];
      const m = /^file\[(\d+)\]/.exec(first.field);
      const file = m ? files[Number(m[1])] : undefined;
      throw new Error(file ? `"${file.name}": ${first.message}` : first.message);
    }
    throw new Error(errorMessage(e));
  }
}

function FileIcon({ type }: { type: string }) {
  const tag = type === "application/pdf" ? "PDF" : type === "text/csv" ? "CSV" : type.startsWith("text/") ? "TXT" : type.includes("zip") ? "ZIP" : type.startsWith("message/") ? "EML" : "DOC";
  return (
    <span class="file-icon" aria-hidden="true">
      {tag}
    </span>
  );
}

/** A file's sender: the staff member who uploaded it, or the client contact who mailed it. */
function Sender({ a }: { a: Attachment }) {
  if (a.contact_id) return <ContactName id={a.contact_id} />;
  if (a.uploaded_by_id) return <UserName id={a.uploaded_by_id} />;
  return <>the system</>;
}

/** The files of one note, as small links (with thumbnails for images). */
export function AttachmentChips({ files, onPreview }: { files: Attachment[]; onPreview: (a: Attachment) => void }) {
  if (!files.length) return null;
  return (
    <ul class="attachment-chips" aria-label="Attached files">
      {files.map((a) =>
        isImage(a) ? (
          <li key={a.id}>
            <button type="button" class="chip-thumb" onClick={() => onPreview(a)} aria-label={`Preview ${a.filename}`}>
              <img src={contentUrl(a, true)} alt="" loading="lazy" />
            </button>
          </li>
        ) : (
          <li key={a.id}>
            <a class="file-chip" href={contentUrl(a)} download={a.filename}>
              <FileIcon type={a.content_type} /> {a.filename} <span class="muted">{fileSize(a.size)}</span>
            </a>
          </li>
        ),
      )}
    </ul>
  );
}

/** The larger preview of an image, with its download link. */
export function PreviewDialog({ a, onClose }: { a: Attachment; onClose: () => void }) {
  return (
    <Dialog
      title={a.filename}
      wide
      onClose={onClose}
      footer={
        <LinkButton href={contentUrl(a)} download={a.filename}>
          Download ({fileSize(a.size)})
        </LinkButton>
      }
    >
      <div class="attachment-preview">
        <img src={contentUrl(a, true)} alt={a.filename} />
      </div>
    </Dialog>
  );
}

export function AttachmentsCard({ ticket, files }: { ticket: Ticket; files: Loaded<Attachment[]> }) {
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [preview, setPreview] = useState<Attachment | null>(null);
  const [removing, setRemoving] = useState<Attachment | null>(null);
  const me = currentUser();
  const canAdd = can("attachments.add");
  const mayRemove = (a: Attachment) =>
    can("attachments.archive") && (me?.role === "admin" || me?.role === "manager" || a.uploaded_by_id === me?.id);

  async function send(list: File[]) {
    if (!list.length) return;
    setBusy(true);
    setError(null);
    try {
      const made = await uploadFiles(ticket.id, list);
      files.reload();
      toast(made.length === 1 ? `${made[0].filename} attached` : `${made.length} files attached`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = "";
    }
  }

  /** Archives it (Confirm shows a refusal). */
  async function remove(a: Attachment) {
    await api.del(`/attachments/${a.id}`, a.version);
    setRemoving(null);
    files.reload();
    toast(`${a.filename} removed`);
  }

  const list = files.data ?? [];
  return (
    <Card
      title={`Attachments${list.length ? ` (${list.length})` : ""}`}
      id="attachments"
      actions={
        canAdd && (
          <Button size="sm" variant="subtle" busy={busy} onClick={() => input.current?.click()}>
            Upload files
          </Button>
        )
      }
    >
      <div
        class={`dropzone ${dragging ? "is-dragging" : ""}`}
        data-testid="attachments-dropzone"
        onDragOver={(e) => {
          if (!canAdd) return;
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          if (!canAdd) return;
          e.preventDefault();
          setDragging(false);
          void send(Array.from(e.dataTransfer?.files ?? []));
        }}
      >
        {canAdd && (
          <input
            ref={input}
            type="file"
            multiple
            accept={ACCEPT}
            class="sr-only"
            aria-label="Choose files to attach"
            onChange={(e) => void send(Array.from((e.target as HTMLInputElement).files ?? []))}
          />
        )}
        {error && <Alert>{error}</Alert>}
        {files.error ? (
          <ErrorState message={files.error} onRetry={files.reload} />
        ) : !files.data ? (
          <Loading rows={1} label="Loading files…" />
        ) : list.length === 0 ? (
          <Empty title="No files yet" icon="⎘">
            {canAdd ? "Drop screenshots, logs or documents here, or use Upload files (up to 25 MB each)." : "Nobody has attached a file."}
          </Empty>
        ) : (
          <ul class="attachments" aria-label="Files">
            {list.map((a) => (
              <li key={a.id} class="attachment">
                {isImage(a) ? (
                  <button type="button" class="attachment-thumb" onClick={() => setPreview(a)} aria-label={`Preview ${a.filename}`}>
                    <img src={contentUrl(a, true)} alt="" loading="lazy" />
                  </button>
                ) : (
                  <span class="attachment-thumb">
                    <FileIcon type={a.content_type} />
                  </span>
                )}
                <div class="attachment-text">
                  <a href={contentUrl(a)} download={a.filename} class="attachment-name">
                    {a.filename}
                  </a>
                  <span class="small muted">
                    {fileSize(a.size)} · <Sender a={a} /> · <time dateTime={a.created_at} title={dateTime(a.created_at)}>{relative(a.created_at)}</time>
                    {a.note_id ? " · with a note" : ""}
                  </span>
                </div>
                {mayRemove(a) && (
                  <button type="button" class="icon-btn" aria-label={`Remove ${a.filename}`} title="Remove" onClick={() => setRemoving(a)}>
                    ✕
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        {canAdd && list.length > 0 && <p class="small muted dropzone-hint">Drop files here to attach them.</p>}
      </div>
      {preview && <PreviewDialog a={preview} onClose={() => setPreview(null)} />}
      {removing && (
        <Confirm
          title={`Remove ${removing.filename}?`}
          description="It leaves the service order; a manager can restore it."
          confirmLabel="Remove"
          onConfirm={() => remove(removing)}
          onClose={() => setRemoving(null)}
        />
      )}
    </Card>
  );
}
