/*
 * Checklist.tsx - the ticket's checklist: tick items (required ones block
 * resolving), add items, or apply a checklist template of any ticket kind
 * (POST /tickets/{id}/checklist/apply: its items after these, labels
 * already here skipped).
 */
import { useState } from "preact/hooks";
import { Alert, Badge, Button, ErrorState, Loading, toast } from "../../components/ui";
import { api, errorMessage, listAll } from "../../lib/api";
import { dateTime } from "../../lib/format";
import type { Loaded } from "../../lib/hooks";
import { userName, users } from "../../lib/lookup";
import { can } from "../../lib/session";
import { KIND_LABELS } from "../../lib/tickets";
import type { ChecklistItem, ChecklistTemplate, Ticket } from "../../lib/types";

type Template = Pick<ChecklistTemplate, "id" | "name" | "ticket_kind" | "items">;

/** "Apply template": choose one of the checklist templates, whatever its kind. */
function ApplyTemplate({ ticket, onDone }: { ticket: Ticket; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [chosen, setChosen] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function show() {
    setOpen(true);
    setError(null);
    try {
      setTemplates(await listAll<Template>("/checklist-templates", { sort: "name" }, 200));
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function apply(e: Event) {
    e.preventDefault();
    if (!chosen) return setError("Choose a template.");
    setBusy(true);
    setError(null);
    try {
      const r = await api.post<{ template_name: string; added: unknown[]; skipped: string[] }>(`/tickets/${ticket.id}/checklist/apply`, { template_id: Number(chosen) });
      const n = r.added.length;
      toast(`${n} item${n === 1 ? "" : "s"} added from “${r.template_name}”` + (r.skipped.length ? `; ${r.skipped.length} already on the checklist` : ""));
      setOpen(false);
      setChosen("");
      onDone();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  if (!open)
    return (
      <Button size="sm" variant="subtle" onClick={show}>
        Apply template…
      </Button>
    );
  return (
    <form class="check-apply" onSubmit={apply} aria-label="Apply a checklist template">
      <label for="check-template" class="small">
        Checklist template
      </label>
      <div class="check-add">
        <select id="check-template" class="input select" value={chosen} disabled={!templates} onChange={(e) => setChosen((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">{templates ? (templates.length ? "Choose a template…" : "No checklist templates yet") : "Loading templates…"}</option>
          {(templates ?? []).map((t) => (
            <option key={t.id} value={String(t.id)}>
              {t.name} ({KIND_LABELS[t.ticket_kind] ?? t.ticket_kind}, {t.items.length} item{t.items.length === 1 ? "" : "s"})
            </option>
          ))}
        </select>
        <Button type="submit" size="sm" variant="primary" busy={busy} disabled={!chosen}>
          Apply
        </Button>
        <Button size="sm" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </div>
      <p class="small muted">Adds the template’s items after these; labels already on the checklist are skipped.</p>
      {error && <Alert>{error}</Alert>}
    </form>
  );
}

export function ChecklistPanel({ ticket, items }: { ticket: Ticket; items: Loaded<ChecklistItem[]> }) {
  const staff = users.use();
  const [busy, setBusy] = useState<number | null>(null);
  const [label, setLabel] = useState("");
  const [adding, setAdding] = useState(false);
  const editable = can("checklist.edit") && ticket.status !== "closed";
  const list = items.data ?? [];
  const done = list.filter((i) => i.done).length;

  async function toggle(it: ChecklistItem) {
    if (busy !== null) return;
    setBusy(it.id);
    // show the tick at once; the server's answer (with who and when) replaces it
    items.set(list.map((x) => (x.id === it.id ? { ...x, done: !it.done } : x)));
    try {
      const updated = await api.patch<ChecklistItem>(`/tickets/${ticket.id}/checklist/${it.id}`, { done: !it.done }, it.version);
      items.set(list.map((x) => (x.id === it.id ? updated : x)));
    } catch (e) {
      toast(errorMessage(e), "error");
      items.reload();
    } finally {
      setBusy(null);
    }
  }

  async function add(e: Event) {
    e.preventDefault();
    if (!label.trim()) return;
    setAdding(true);
    try {
      await api.post(`/tickets/${ticket.id}/checklist`, { label: label.trim() });
      setLabel("");
      items.reload();
    } catch (err) {
      toast(errorMessage(err), "error");
    } finally {
      setAdding(false);
    }
  }

  if (items.error) return <ErrorState message={items.error} onRetry={items.reload} />;
  if (items.loading && !items.data) return <Loading rows={2} />;

  return (
    <div class="checklist">
      {list.length > 0 && (
        <div class="progress-line" aria-hidden="true">
          <div class="progress-fill" style={{ width: `${(done / list.length) * 100}%` }} />
        </div>
      )}
      {list.length > 0 && (
        <p class="small muted checklist-summary">
          {done} of {list.length} done
        </p>
      )}
      {list.length === 0 && <p class="muted small">No checklist for this service order.</p>}
      <ul class="check-items">
        {list.map((it) => (
          <li key={it.id} class={it.done ? "is-done" : ""}>
            <label class="check-item">
              <input type="checkbox" class="check" checked={it.done} disabled={!editable}
                aria-busy={busy === it.id ? "true" : undefined} onChange={() => toggle(it)} />
              <span class="check-label">{it.label}</span>
              {it.required && !it.done && <Badge tone="red">Required</Badge>}
              {it.required && it.done && <Badge tone="gray">Required</Badge>}
            </label>
            {it.done && it.done_at && (
              <div class="check-meta">
                Done by {userName(staff, it.done_by)} · {dateTime(it.done_at)}
              </div>
            )}
          </li>
        ))}
      </ul>
      {editable && can("checklist.apply") && <ApplyTemplate ticket={ticket} onDone={items.reload} />}
      {editable && (
        <form class="check-add" onSubmit={add}>
          <label for="check-new" class="sr-only">
            New checklist item
          </label>
          <input id="check-new" class="input" placeholder="Add an item…" value={label} onInput={(e) => setLabel((e.currentTarget as HTMLInputElement).value)} />
          <Button type="submit" size="sm" busy={adding} disabled={!label.trim()}>
            Add
          </Button>
        </form>
      )}
    </div>
  );
}
