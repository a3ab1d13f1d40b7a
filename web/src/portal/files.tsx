/*
 * files.tsx - files on a portal ticket: the picker (what the server takes,
 * at most 25 MB each), the upload (multipart/form-data, field `file`, as
 * the staff route takes it) and the list of a ticket's files with their
 * download links.
 */
import { useId } from "preact/hooks";
import { ApiError, errorMessage } from "../lib/api";
import { dateTime } from "../lib/format";
import { fileSize } from "../pages/ticket/Attachments";
import { downloadUrl, papi } from "./api";
import type { PortalAttachment } from "./types";

/** What the server takes (docs/openapi.yaml, the attachments upload). */
const ACCEPT = ".png,.jpg,.jpeg,.gif,.webp,.pdf,.txt,.log,.csv,.zip,.eml,.rtf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.msg,.odt,.ods,.odp";
const MAX_BYTES = 25 * 1024 * 1024;

/** Uploads files to the ticket; rejects with a message naming the file the server refused. */
export async function uploadFiles(ticketId: number, files: File[]): Promise<PortalAttachment[]> {
  const tooBig = files.find((f) => f.size > MAX_BYTES);
  if (tooBig) throw new Error(`"${tooBig.name}" is larger than 25 MB, the most a file may have.`);
  const form = new FormData();
  for (const f of files) form.append("file", f, f.name);
  try {
    const reply = await papi.upload<{ data: PortalAttachment[] } | PortalAttachment>(`/tickets/${ticketId}/attachments`, form);
    return "data" in reply ? reply.data : [reply];
  } catch (e) {
    if (e instanceof ApiError && e.problem.errors?.length) {
      const first = e.problem.errors[0];
      const m = /^file\[(\d+)\]/.exec(first.field);
      const file = m ? files[Number(m[1])] : undefined;
      throw new Error(file ? `"${file.name}": ${first.message}` : first.message);
    }
    throw new Error(errorMessage(e));
  }
}

/** A file input with a label, and the chosen files listed under it. */
export function FilePicker({ label, files, onFiles, error }: { label: string; files: File[]; onFiles: (f: File[]) => void; error?: string | null }) {
  const id = "files" + useId();
  return (
    <div class={`field ${error ? "has-error" : ""}`}>
      <label for={id} class="field-label">
        {label}
      </label>
      <input
        id={id}
        type="file"
        multiple
        accept={ACCEPT}
        class="portal-file-input"
        aria-describedby={id + (error ? "-error" : "-hint")}
        aria-invalid={error ? "true" : undefined}
        onChange={(e) => {
          const input = e.currentTarget as HTMLInputElement;
          onFiles([...files, ...Array.from(input.files ?? [])]);
          input.value = "";
        }}
      />
      {error ? (
        <div class="field-error" id={id + "-error"} role="alert">
          {error}
        </div>
      ) : (
        <div class="field-hint" id={id + "-hint"}>
          Photos, PDFs, documents or logs, up to 25 MB each.
        </div>
      )}
      {files.length > 0 && (
        <ul class="portal-chosen" aria-label="Files to send">
          {files.map((f, i) => (
            <li key={i}>
              <span class="portal-chosen-name">{f.name}</span> <span class="muted small">{fileSize(f.size)}</span>
              <button type="button" class="link-btn" aria-label={`Remove ${f.name}`} onClick={() => onFiles(files.filter((_, j) => j !== i))}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function FileList({ files, label = "Files" }: { files: PortalAttachment[]; label?: string }) {
  if (!files.length) return null;
  return (
    <ul class="portal-files" aria-label={label}>
      {files.map((a) => (
        <li key={a.id}>
          <a href={downloadUrl(a.id)} download={a.filename} data-native>
            {a.filename}
          </a>
          <span class="muted small">
            {" "}
            {fileSize(a.size)} · {dateTime(a.created_at)}
          </span>
        </li>
      ))}
    </ul>
  );
}
