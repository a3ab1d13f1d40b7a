/* Dialogs.tsx - resolving, assigning from the ranked candidates, escalating, editing and merging a ticket. */
import { useState } from "preact/hooks";
import { StatusBadge } from "../../components/badges";
import { UserName } from "../../components/names";
import { SearchPicker, UserSelect } from "../../components/pickers";
import { Alert, Badge, Button, Dialog, Empty, ErrorState, FormDialog, Loading, SelectField, TextArea, TextField } from "../../components/ui";
import { api, ApiError, errorMessage } from "../../lib/api";
import { fromLocalInput, minutes, relative, toLocalInput } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";
import { useRecord } from "../../lib/lookup";
import { can } from "../../lib/session";
import { CHANNEL_LABELS, CHANNELS, KIND_LABELS, KINDS, OPEN_STATUSES, PRIORITIES, PRIORITY_LABELS, STATUS_LABELS } from "../../lib/tickets";
import type { Candidate, ChecklistItem, Ticket, TicketChannel, TicketKind, TicketPriority } from "../../lib/types";
import { useCompanyRelated } from "../TicketNew";

type Done = (t: Ticket) => void;

export function ResolveDialog({ ticket, checklist, onClose, onDone }: { ticket: Ticket; checklist: ChecklistItem[]; onClose: () => void; onDone: Done }) {
  const f = useForm({ resolution: ticket.resolution ?? "" }, ["status"]);
  const open = checklist.filter((i) => i.required && !i.done);
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const t = await api.patch<Ticket>(`/tickets/${ticket.id}`, { status: "resolved", resolution: v.resolution }, ticket.version);
      onDone(t);
    });
  }
  return (
    <Dialog
      title={`Resolve ${ticket.number}`}
      description="Say what was done. The client sees the resolution; it is kept with the service order."
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="resolve-form" variant="primary" busy={f.busy}>
            Resolve
          </Button>
        </>
      }
    >
      <form id="resolve-form" onSubmit={submit} noValidate class="stack">
        {open.length > 0 && (
          <Alert tone="warning" title="Required checklist items are open">
            {open.map((i) => i.label).join(", ")} — tick them first, or the server will refuse.
          </Alert>
        )}
        {f.formError && <Alert>{f.errors.status ?? f.formError}</Alert>}
        {f.errors.status && !f.formError && <Alert>{f.errors.status}</Alert>}
        <TextArea label="Resolution" name="resolution" value={f.values.resolution} onValue={(x) => f.set("resolution", x)} error={f.errors.resolution} rows={5} required autoFocus placeholder="Replaced the fuser unit and tested 50 pages." />
      </form>
    </Dialog>
  );
}

function CandidateCard({ c, current, onAssign, busy }: { c: Candidate; current: boolean; onAssign: () => void; busy: boolean }) {
  return (
    <li class={`candidate ${c.eligible ? "" : "is-ineligible"}`}>
      <div class="candidate-rank" aria-label={`Rank ${c.rank}`}>
        {c.rank}
      </div>
      <div class="candidate-main">
        <div class="candidate-head">
          <strong>{c.name}</strong>
          {c.eligible ? <Badge tone="green">Eligible</Badge> : <Badge tone="amber">Missing requirements</Badge>}
          {current && <Badge tone="blue">Current assignee</Badge>}
        </div>
        <div class="candidate-stats small muted">
          {c.open_tickets} open · {minutes(c.booked_minutes_next_24h)} booked in 24 h
          {c.skills.length > 0 && <> · skills: {c.skills.join(", ")}</>}
        </div>
        {c.certifications.length > 0 && (
          <div class="row candidate-certs">
            {c.certifications.map((cert) => (
              <Badge key={cert.name} tone={cert.status === "valid" ? "green-soft" : cert.status === "expired" ? "orange" : "red"}>
                {cert.name}: {cert.status}
                {cert.expires_on ? ` (${cert.expires_on})` : ""}
              </Badge>
            ))}
          </div>
        )}
        <ul class="reasons">
          {c.reasons.map((r, i) => (
            <li key={i}>{r}</li>
          ))}
        </ul>
      </div>
      <div>
        <Button size="sm" variant={c.eligible ? "primary" : "secondary"} onClick={onAssign} busy={busy} disabled={current} aria-label={`Assign ${c.name}`}>
          Assign
        </Button>
      </div>
    </li>
  );
}

export function AssignDialog({ ticket, onClose, onDone }: { ticket: Ticket; onClose: () => void; onDone: Done }) {
  const cands = useLoad(() => api.get<{ candidates: Candidate[]; required_skills: string[]; required_certifications: string[] }>(`/tickets/${ticket.id}/candidates`), [ticket.id]);
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [override, setOverride] = useState<{ userId: number; name: string; message: string } | null>(null);
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();
  const [other, setOther] = useState<number | null>(null);

  async function assign(userId: number | null, name: string, overrideReason?: string) {
    setBusy(userId ?? 0);
    setError(null);
    try {
      const body: Record<string, unknown> = { assignee_id: userId };
      if (overrideReason) body.assignment_override_reason = overrideReason;
      const t = await api.patch<Ticket>(`/tickets/${ticket.id}`, body, ticket.version);
      onDone(t);
    } catch (e) {
      const msg = e instanceof ApiError ? e.fields.assignee_id ?? e.fields.assignment_override_reason : undefined;
      if (e instanceof ApiError && e.status === 409 && msg && /certification/.test(msg) && userId) {
        setOverride({ userId, name, message: msg });
        if (overrideReason) setReasonError(msg);
      } else if (e instanceof ApiError && e.fields.assignment_override_reason) {
        setReasonError(e.fields.assignment_override_reason);
      } else {
        setError(msg ?? errorMessage(e));
      }
    } finally {
      setBusy(null);
    }
  }

  const d = cands.data;
  return (
    <Dialog title={`Assign ${ticket.number}`} description="Technicians ranked by required skills, valid certifications, open tickets and booked time." onClose={onClose} wide>
      <div class="stack">
        {d && (d.required_skills.length > 0 || d.required_certifications.length > 0) && (
          <div class="row small">
            <span class="muted">Needs:</span>
            {d.required_skills.map((s) => (
              <Badge key={s} tone="indigo">{s}</Badge>
            ))}
            {d.required_certifications.map((s) => (
              <Badge key={s} tone="violet">cert: {s}</Badge>
            ))}
          </div>
        )}
        {error && <Alert>{error}</Alert>}
        {override && (
          <form
            class="override"
            onSubmit={(e) => {
              e.preventDefault();
              if (!reason.trim()) return setReasonError("Say why this technician should do it anyway");
              void assign(override.userId, override.name, reason.trim());
            }}
          >
            <Alert tone="warning" title={`${override.name} ${override.message}`}>
              {can("assign.override")
                ? "As a manager you may assign anyway. Your reason is kept in the ticket's history."
                : "Only a manager can assign someone without the required certification. Ask a manager, or choose another technician."}
            </Alert>
            {can("assign.override") && (
              <>
                <TextArea label="Reason for the override" name="assignment_override_reason" value={reason} onValue={(x) => { setReason(x); setReasonError(undefined); }} error={reasonError} rows={2} autoFocus />
                <div class="form-actions">
                  <Button onClick={() => setOverride(null)}>Back</Button>
                  <Button type="submit" variant="danger" busy={busy === override.userId}>
                    Assign anyway
                  </Button>
                </div>
              </>
            )}
          </form>
        )}
        {cands.error ? (
          <ErrorState message={cands.error} onRetry={cands.reload} />
        ) : !d ? (
          <Loading rows={4} label="Ranking technicians…" />
        ) : d.candidates.length === 0 ? (
          <Empty title="No technicians">Add users with the technician role in Settings.</Empty>
        ) : (
          <ol class="candidates" aria-label="Ranked candidates">
            {d.candidates.map((c) => (
              <CandidateCard key={c.user_id} c={c} current={ticket.assignee_id === c.user_id} busy={busy === c.user_id} onAssign={() => assign(c.user_id, c.name)} />
            ))}
          </ol>
        )}
        <div class="assign-other">
          <UserSelect label="Or assign someone else" value={other} onValue={setOther} placeholder="Choose a user…" />
          <div class="row">
            <Button size="sm" disabled={!other} busy={!!other && busy === other} onClick={() => other && assign(other, "This user")}>
              Assign
            </Button>
            {ticket.assignee_id && (
              <Button size="sm" variant="ghost" onClick={() => assign(null, "")} busy={busy === 0}>
                Unassign
              </Button>
            )}
          </div>
        </div>
      </div>
    </Dialog>
  );
}

export function EscalateDialog({ ticket, onClose, onDone }: { ticket: Ticket; onClose: () => void; onDone: Done }) {
  const f = useForm({ to: ticket.tier < 3 ? "tier" : "user", tier: String(Math.min(3, ticket.tier + 1)), user_id: null as number | null, reference: "", reason: "" });
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const body: Record<string, unknown> = { to: v.to, reason: v.reason };
      if (v.to === "tier") body.tier = Number(v.tier);
      if (v.to === "user") body.user_id = v.user_id;
      if (v.to === "vendor" || v.to === "development") body.reference = v.reference || null;
      const t = await api.post<Ticket>(`/tickets/${ticket.id}/escalate`, body, { version: ticket.version });
      onDone(t);
    });
  }
  const tiers = [1, 2, 3].filter((n) => n > ticket.tier).map((n) => ({ value: String(n), label: `Tier ${n}` }));
  return (
    <FormDialog
      title={`Escalate ${ticket.number}`}
      description={`Currently tier ${ticket.tier}. The ticket becomes Escalated and the history keeps your reason.`}
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Escalate"
    >
      <fieldset class="radio-cards">
        <legend class="field-label">Escalate to</legend>
        {[
          { v: "tier", l: "A higher tier", d: "Second or third line", off: ticket.tier >= 3 },
          { v: "user", l: "A person", d: "Becomes the assignee", off: false },
          { v: "vendor", l: "A vendor", d: "With their case number", off: false },
          { v: "development", l: "Development", d: "With the bug id", off: false },
        ].map((o) => (
          <label key={o.v} class={`radio-card ${v.to === o.v ? "is-on" : ""} ${o.off ? "is-off" : ""}`}>
            <input type="radio" name="to" value={o.v} checked={v.to === o.v} disabled={o.off} onChange={() => f.set("to", o.v)} />
            <span>
              <strong>{o.l}</strong>
              <span class="small muted">{o.d}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {f.errors.to && <div class="field-error">{f.errors.to}</div>}
      {v.to === "tier" && <SelectField label="Tier" value={v.tier} onValue={(x) => f.set("tier", x)} options={tiers} error={f.errors.tier} />}
      {v.to === "user" && <UserSelect label="Person" value={v.user_id} onValue={(x) => f.set("user_id", x)} error={f.errors.user_id} placeholder="Choose…" required />}
      {(v.to === "vendor" || v.to === "development") && (
        <TextField label={v.to === "vendor" ? "Vendor case number" : "Bug id"} value={v.reference} onValue={(x) => f.set("reference", x)} error={f.errors.reference} required />
      )}
      <TextArea label="Reason" name="reason" value={v.reason} onValue={(x) => f.set("reason", x)} error={f.errors.reason} rows={3} required />
    </FormDialog>
  );
}

export function EditDialog({ ticket, onClose, onDone }: { ticket: Ticket; onClose: () => void; onDone: Done }) {
  const init = {
    subject: ticket.subject,
    description: ticket.description ?? "",
    priority: ticket.priority,
    kind: ticket.kind,
    channel: ticket.channel,
    contact_id: ticket.contact_id ? String(ticket.contact_id) : "",
    site_id: ticket.site_id ? String(ticket.site_id) : "",
    asset_id: ticket.asset_id ? String(ticket.asset_id) : "",
    contract_id: ticket.contract_id ? String(ticket.contract_id) : "",
    required_skills: ticket.required_skills.join(", "),
    required_certifications: ticket.required_certifications.join(", "),
    follow_up_at: ticket.follow_up_at ? toLocalInput(new Date(ticket.follow_up_at)) : "",
    follow_up_user_id: ticket.follow_up_user_id,
    follow_up_note: ticket.follow_up_note ?? "",
  };
  const f = useForm(init);
  const v = f.values;
  const rel = useCompanyRelated(ticket.company_id);

  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const patch: Record<string, unknown> = {};
      const list = (s: string) => s.split(",").map((x) => x.trim()).filter(Boolean);
      const idOrNull = (s: string) => (s ? Number(s) : null);
      if (v.subject !== init.subject) patch.subject = v.subject;
      if (v.description !== init.description) patch.description = v.description || null;
      for (const k of ["priority", "kind", "channel"] as const) if (v[k] !== init[k]) patch[k] = v[k];
      for (const k of ["contact_id", "site_id", "asset_id", "contract_id"] as const) if (v[k] !== init[k]) patch[k] = idOrNull(v[k]);
      if (v.required_skills !== init.required_skills) patch.required_skills = list(v.required_skills);
      if (v.required_certifications !== init.required_certifications) patch.required_certifications = list(v.required_certifications);
      if (v.follow_up_at !== init.follow_up_at) patch.follow_up_at = fromLocalInput(v.follow_up_at);
      if (v.follow_up_user_id !== init.follow_up_user_id) patch.follow_up_user_id = v.follow_up_user_id;
      if (v.follow_up_note !== init.follow_up_note) patch.follow_up_note = v.follow_up_note || null;
      if (Object.keys(patch).length === 0) return onClose();
      const t = await api.patch<Ticket>(`/tickets/${ticket.id}`, patch, ticket.version);
      onDone(t);
    });
  }

  const opt = <T extends { id: number }>(list: T[], name: (x: T) => string) => list.map((x) => ({ value: String(x.id), label: name(x) }));
  return (
    <FormDialog
      title={`Edit ${ticket.number}`}
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Save changes"
    >
      <div class="form-grid">
        <div class="span-2">
          <TextField label="Subject" value={v.subject} onValue={(x) => f.set("subject", x)} error={f.errors.subject} required />
        </div>
        <div class="span-2">
          <TextArea label="Description" value={v.description} onValue={(x) => f.set("description", x)} error={f.errors.description} rows={4} />
        </div>
        <SelectField label="Priority" value={v.priority} onValue={(x) => f.set("priority", x as TicketPriority)} options={PRIORITIES.map((k) => ({ value: k, label: PRIORITY_LABELS[k] }))} error={f.errors.priority} hint="A change recomputes the SLA." />
        <SelectField label="Kind" value={v.kind} onValue={(x) => f.set("kind", x as TicketKind)} options={KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))} error={f.errors.kind} />
        <SelectField label="Channel" value={v.channel} onValue={(x) => f.set("channel", x as TicketChannel)} options={CHANNELS.map((k) => ({ value: k, label: CHANNEL_LABELS[k] }))} error={f.errors.channel} />
        <SelectField label="Contact" value={v.contact_id} onValue={(x) => f.set("contact_id", x)} options={opt(rel.contacts, (c) => `${c.first_name} ${c.last_name}`)} placeholder="No contact" error={f.errors.contact_id} />
        <SelectField label="Site" value={v.site_id} onValue={(x) => f.set("site_id", x)} options={opt(rel.sites, (s) => s.name)} placeholder="No site" error={f.errors.site_id} />
        <SelectField label="Asset" value={v.asset_id} onValue={(x) => f.set("asset_id", x)} options={opt(rel.assets, (a) => a.name)} placeholder="No asset" error={f.errors.asset_id} />
        {can("contracts.view") && (
          <SelectField label="Contract" value={v.contract_id} onValue={(x) => f.set("contract_id", x)} options={opt(rel.contracts, (c) => c.name)} placeholder="No contract (default SLA)" error={f.errors.contract_id} />
        )}
        <TextField label="Required skills" value={v.required_skills} onValue={(x) => f.set("required_skills", x)} error={f.errors.required_skills} hint="Comma-separated" />
        <TextField label="Required certifications" value={v.required_certifications} onValue={(x) => f.set("required_certifications", x)} error={f.errors.required_certifications} hint="Comma-separated names" />
      </div>
      <fieldset class="fieldset">
        <legend>Follow-up</legend>
        <div class="form-grid">
          <TextField label="Follow up at" type="datetime-local" value={v.follow_up_at} onValue={(x) => f.set("follow_up_at", x)} error={f.errors.follow_up_at} />
          <UserSelect label="Who follows up" value={v.follow_up_user_id} onValue={(x) => f.set("follow_up_user_id", x)} error={f.errors.follow_up_user_id} placeholder="Nobody" />
          <div class="span-2">
            <TextField label="Follow-up note" value={v.follow_up_note} onValue={(x) => f.set("follow_up_note", x)} error={f.errors.follow_up_note} />
          </div>
        </div>
      </fieldset>
    </FormDialog>
  );
}

/**
 * Merge a duplicate: this ticket is cancelled with merged_into_id set, and
 * its notes, time and parts move to the one chosen (an open ticket of the
 * same company, found by search). If-Match is this ticket's version.
 */
export function MergeDialog({ ticket, onClose, onDone, onStale }: { ticket: Ticket; onClose: () => void; onDone: (merged: Ticket, into: Ticket | null) => void; onStale: () => void }) {
  const f = useForm({ into_id: null as number | null });
  const target = useRecord<Ticket>("tickets", f.values.into_id);
  async function submit(e: Event) {
    e.preventDefault();
    if (!f.values.into_id) {
      f.setErrors({ into_id: "Choose the service order this one duplicates" });
      return;
    }
    await f.submit(async (v) => {
      try {
        const t = await api.post<Ticket>(`/tickets/${ticket.id}/merge`, { into_id: v.into_id }, { version: ticket.version });
        onDone(t, target ?? null);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) {
          onStale();
          throw new Error("Someone else changed this record in the meantime; it is reloaded. Check it, then merge again.");
        }
        throw err;
      }
    });
  }
  return (
    <FormDialog
      title={`Merge ${ticket.number} into another service order`}
      description="For a duplicate: this service order is cancelled and its notes, time entries and parts move to the one you choose. Both histories record the merge."
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel={target ? `Merge into ${target.number}` : "Merge"}
    >
      <SearchPicker<Ticket>
        label="Merge into"
        value={f.values.into_id}
        onValue={(id) => f.set("into_id", id)}
        error={f.errors.into_id}
        required
        kind="tickets"
        query={{ company_id: ticket.company_id, status: OPEN_STATUSES.join(","), sort: "-created_at" }}
        exclude={(r) => r.id === ticket.id}
        display={(r) => `${r.number} ${r.subject}`}
        meta={(r) => `${STATUS_LABELS[r.status] ?? r.status} · opened ${relative(r.created_at)}`}
        placeholder="Search this client's open service orders by words or number…"
        noneText="No other open service order of this client matches"
        hint="Only open service orders of the same client can take a duplicate."
      />
      {target && (
        <div class="merge-preview" aria-live="polite">
          <div class="merge-row">
            <span class="ticket-no">{ticket.number}</span>
            <span class="merge-subject">{ticket.subject}</span>
            <StatusBadge status="cancelled" />
          </div>
          <div class="merge-arrow" aria-hidden="true">
            ↓ notes, time and parts move to
          </div>
          <div class="merge-row">
            <span class="ticket-no">{target.number}</span>
            <span class="merge-subject">{target.subject}</span>
            <StatusBadge status={target.status} />
            <span class="small muted">
              <UserName id={target.assignee_id} />
            </span>
          </div>
        </div>
      )}
    </FormDialog>
  );
}
