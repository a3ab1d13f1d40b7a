/*
 * parts.tsx - pieces the sales screens share: status badges, the
 * opportunity and activity dialogs (create and edit, the API's field
 * errors beside the fields), contact / partner / opportunity pickers, a
 * copy-to-clipboard link, and the firm's settings (currency, tax rate).
 */
import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import { SearchPicker, CompanyPicker, UserSelect } from "../../components/pickers";
import { Alert, Badge, Button, Dialog, FormDialog, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, errorMessage, listAll } from "../../lib/api";
import { fromLocalInput, toLocalInput } from "../../lib/format";
import { useForm } from "../../lib/hooks";
import { currentUser } from "../../lib/session";
import { store, useStore } from "../../lib/store";
import type { Company, Contact, Site } from "../../lib/types";
import {
  ACTIVITY_KINDS,
  ACTIVITY_LABELS,
  minorText,
  parseMinor,
  QUOTE_STATUS_LABELS,
  QUOTE_STATUS_TONE,
  STAGE_LABELS,
  STAGE_TONE,
  STAGES,
  type Activity,
  type ActivityKind,
  type Opportunity,
  type QuoteStatus,
  type Settings,
  type Stage,
} from "./model";

export function StageBadge({ stage }: { stage: Stage }) {
  return (
    <Badge tone={STAGE_TONE[stage] ?? "neutral"} dot>
      {STAGE_LABELS[stage] ?? stage}
    </Badge>
  );
}

export function QuoteStatusBadge({ status }: { status: QuoteStatus | null }) {
  if (!status) return <span class="muted">—</span>;
  return (
    <Badge tone={QUOTE_STATUS_TONE[status] ?? "neutral"} dot>
      {QUOTE_STATUS_LABELS[status] ?? status}
    </Badge>
  );
}

/* The firm's settings, loaded once ---------------------------------------------------- */

const settingsStore = store<Settings | null>(null);
let settingsLoading: Promise<void> | null = null;

export function useSettings(): Settings | null {
  const s = useStore(settingsStore);
  useEffect(() => {
    if (!settingsStore.get() && !settingsLoading)
      settingsLoading = api.get<Settings>("/settings").then(
        (v) => settingsStore.set(v),
        () => {
          settingsLoading = null;
        },
      );
  }, []);
  return s;
}

/* Pickers ---------------------------------------------------------------------------- */

export function ContactPicker({ companyId, value, onValue, error, label: lbl = "Contact" }: { companyId: number | null; value: number | null; onValue: (id: number | null) => void; error?: string; label?: string }) {
  if (!companyId)
    return (
      <div class="field">
        <span class="field-label">{lbl}</span>
        <div class="picked picked-empty muted small">Choose the company first</div>
      </div>
    );
  return (
    <SearchPicker<Contact>
      key={companyId}
      label={lbl}
      value={value}
      onValue={(id) => onValue(id)}
      error={error}
      placeholder="Search contacts…"
      kind="contacts"
      query={{ company_id: companyId, sort: "last_name" }}
      display={(c) => `${c.first_name} ${c.last_name}`}
      meta={(c) => c.title ?? c.email ?? ""}
      noneText="No contacts at this company"
    />
  );
}

/** The client's site where the quoted work is done. */
export function SitePicker({ companyId, value, onValue, error }: { companyId: number | null; value: number | null; onValue: (id: number | null) => void; error?: string }) {
  if (!companyId)
    return (
      <div class="field">
        <span class="field-label">Site</span>
        <div class="picked picked-empty muted small">Choose the company first</div>
      </div>
    );
  return (
    <SearchPicker<Site>
      key={companyId}
      label="Site"
      value={value}
      onValue={(id) => onValue(id)}
      error={error}
      placeholder="Search sites…"
      kind="sites"
      query={{ company_id: companyId, sort: "name" }}
      display={(x) => x.name}
      meta={(x) => x.city ?? ""}
      noneText="No sites at this company"
      hint="Where the work is done: the service orders and visits are there."
    />
  );
}

export function PartnerPicker({ value, onValue, error }: { value: number | null; onValue: (id: number | null) => void; error?: string }) {
  return (
    <SearchPicker<Company>
      label="Referral partner"
      value={value}
      onValue={(id) => onValue(id)}
      error={error}
      placeholder="Search partners…"
      kind="companies"
      query={{ kind: "partner", sort: "name" }}
      display={(c) => c.name}
      noneText="No partner companies match"
    />
  );
}

/** The open (and the chosen) opportunities of a company, as a select: a company has few. */
export function OpportunitySelect({ companyId, value, onValue, error, label: lbl = "Opportunity" }: { companyId: number | null; value: number | null; onValue: (id: number | null) => void; error?: string; label?: string }) {
  const [list, setList] = useState<Opportunity[] | null>(null);
  useEffect(() => {
    setList(null);
    if (!companyId) return;
    const ctl = new AbortController();
    api
      .list<Opportunity>("/opportunities", { company_id: companyId, sort: "-created_at", limit: 100 }, ctl.signal)
      .then((p) => setList(p.data))
      .catch(() => setList([]));
    return () => ctl.abort();
  }, [companyId]);
  const opts = (list ?? [])
    .filter((o) => o.id === value || (o.stage !== "won" && o.stage !== "lost"))
    .map((o) => ({ value: String(o.id), label: `${o.title} · ${STAGE_LABELS[o.stage]}` }));
  if (value && list && !opts.some((o) => o.value === String(value))) opts.push({ value: String(value), label: `Opportunity #${value}` });
  return (
    <SelectField
      label={lbl}
      value={value ? String(value) : ""}
      onValue={(v) => onValue(v ? Number(v) : null)}
      options={opts}
      placeholder={!companyId ? "Choose the company first" : list === null ? "Loading…" : opts.length ? "None" : "None open for this company"}
      disabled={!companyId}
      error={error}
    />
  );
}

/* Copy a link --------------------------------------------------------------------------- */

export function CopyLink({ url, label: lbl = "Client link" }: { url: string; label?: string }) {
  const id = "cl" + useId();
  const [copied, setCopied] = useState(false);
  async function copy() {
    try {
      await navigator.clipboard.writeText(url);
    } catch {
      const el = document.getElementById(id) as HTMLInputElement | null;
      el?.select();
      document.execCommand?.("copy");
    }
    setCopied(true);
    toast("Link copied");
    setTimeout(() => setCopied(false), 2500);
  }
  return (
    <div class="field copy-link">
      <label for={id} class="field-label">
        {lbl}
      </label>
      <div class="copy-link-row">
        <input id={id} class="input mono" readOnly value={url} onFocus={(e) => (e.currentTarget as HTMLInputElement).select()} />
        <Button variant="primary" onClick={copy} aria-live="polite">
          {copied ? "Copied ✓" : "Copy"}
        </Button>
        <a class="btn btn-secondary btn-md" href={url} target="_blank" rel="noopener noreferrer" data-native>
          Open
        </a>
      </div>
    </div>
  );
}

/* Opportunity dialog ---------------------------------------------------------------------- */

type OppValues = {
  title: string;
  company_id: number | null;
  stage: Stage;
  estimated_value: string;
  expected_close_on: string;
  owner_id: number | null;
  source: string;
  campaign: string;
  referral_partner_id: number | null;
  lost_reason: string;
  notes: string;
};

const SOURCE_SUGGESTIONS = ["referral", "web", "phone", "trade show", "existing client", "partner", "cold call"];

export function OpportunityDialog({ record, defaults, onClose, onDone, extraActions }: {
  record?: Opportunity | null;
  defaults?: Partial<Opportunity>;
  onClose: () => void;
  onDone: (o: Opportunity) => void;
  extraActions?: ComponentChildren;
}) {
  const settings = useSettings();
  const currency = record?.currency ?? settings?.currency ?? "USD";
  const src = { ...(defaults ?? {}), ...(record ?? {}) } as Partial<Opportunity>;
  const initial: OppValues = {
    title: src.title ?? "",
    company_id: src.company_id ?? null,
    stage: src.stage ?? "new",
    estimated_value: minorText(src.estimated_value ?? null, currency),
    expected_close_on: src.expected_close_on ?? "",
    owner_id: record ? (record.owner_id ?? null) : (src.owner_id ?? currentUser()?.id ?? null),
    source: src.source ?? "",
    campaign: src.campaign ?? "",
    referral_partner_id: src.referral_partner_id ?? null,
    lost_reason: src.lost_reason ?? "",
    notes: src.notes ?? "",
  };
  const form = useForm<OppValues>(initial, ["currency"]);
  const version = useRef(record?.version ?? 0);
  const v = form.values;
  const listId = "src" + useId();

  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (vals) => {
      const value = vals.estimated_value.trim() ? parseMinor(vals.estimated_value, currency) : null;
      if (vals.estimated_value.trim() && value === null) {
        form.setErrors({ estimated_value: "Enter an amount like 12500.00" });
        throw new Error("Please correct the highlighted fields.");
      }
      const body: Record<string, unknown> = {
        title: vals.title.trim(),
        company_id: vals.company_id,
        stage: vals.stage,
        estimated_value: value,
        expected_close_on: vals.expected_close_on || null,
        owner_id: vals.owner_id,
        source: vals.source.trim() || null,
        campaign: vals.campaign.trim() || null,
        referral_partner_id: vals.referral_partner_id,
        lost_reason: vals.stage === "lost" ? vals.lost_reason.trim() || null : null,
        notes: vals.notes.trim() || null,
      };
      let saved: Opportunity;
      if (record) {
        const patch: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(body)) if (x !== (record as unknown as Record<string, unknown>)[k]) patch[k] = x;
        if (record.stage !== "lost" && vals.stage !== "lost") delete patch.lost_reason;
        if (Object.keys(patch).length === 0) return onClose();
        saved = await patchFresh<Opportunity>(`/opportunities/${record.id}`, patch, version);
      } else {
        for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
        if (settings?.currency) body.currency = settings.currency;
        saved = await api.post<Opportunity>("/opportunities", body);
      }
      onDone(saved);
    });
  }

  return (
    <FormDialog
      title={record ? `Edit ${record.title}` : "New opportunity"}
      onClose={onClose}
      wide
      extraFooter={extraActions && <div class="mr-auto row">{extraActions}</div>}
      onSubmit={submit}
      busy={form.busy}
      formError={form.formError}
      submitLabel={record ? "Save changes" : "Create opportunity"}
    >
      <div class="form-grid">
        <div class="span-2">
          <TextField label="Title" required value={v.title} onValue={(x) => form.set("title", x)} error={form.errors.title} placeholder="Office Wi-Fi upgrade" autoFocus={!record} />
        </div>
        <CompanyPicker label="Company" required value={v.company_id} onValue={(id) => form.set("company_id", id)} error={form.errors.company_id} />
        <SelectField label="Stage" value={v.stage} onValue={(x) => form.set("stage", x as Stage)} options={STAGES.map((s) => ({ value: s, label: STAGE_LABELS[s] }))} error={form.errors.stage} />
        {v.stage === "lost" && (
          <div class="span-2">
            <TextArea label="Why was it lost?" required rows={2} value={v.lost_reason} onValue={(x) => form.set("lost_reason", x)} error={form.errors.lost_reason} />
          </div>
        )}
        <TextField label={`Estimated value (${currency})`} inputMode="decimal" value={v.estimated_value} onValue={(x) => form.set("estimated_value", x)} error={form.errors.estimated_value} placeholder="0.00" />
        <TextField label="Expected close" type="date" value={v.expected_close_on} onValue={(x) => form.set("expected_close_on", x)} error={form.errors.expected_close_on} />
        <UserSelect label="Owner" value={v.owner_id} onValue={(id) => form.set("owner_id", id)} error={form.errors.owner_id} placeholder="Nobody" filter={(u) => u.role !== "technician"} />
        <div class="field">
          <label class="field-label" for={listId + "-in"}>
            Lead source
          </label>
          <input id={listId + "-in"} class="input" list={listId} value={v.source} placeholder="referral, web, trade show…" aria-invalid={form.errors.source ? "true" : undefined} onInput={(e) => form.set("source", (e.currentTarget as HTMLInputElement).value)} />
          <datalist id={listId}>
            {SOURCE_SUGGESTIONS.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
          {form.errors.source && (
            <div class="field-error" role="alert">
              {form.errors.source}
            </div>
          )}
        </div>
        <TextField label="Campaign" value={v.campaign} onValue={(x) => form.set("campaign", x)} error={form.errors.campaign} placeholder="Spring 2027 mailing" />
        <PartnerPicker value={v.referral_partner_id} onValue={(id) => form.set("referral_partner_id", id)} error={form.errors.referral_partner_id} />
        <div class="span-2">
          <TextArea label="Notes" rows={3} value={v.notes} onValue={(x) => form.set("notes", x)} error={form.errors.notes} />
        </div>
      </div>
    </FormDialog>
  );
}

/**
 * A merge patch with If-Match. When someone else saved meanwhile (412) the
 * current version is fetched, so that saving again applies this person's
 * changes on top of theirs; the 412 still reaches the form, whose message
 * says the record was reloaded and asks to try again.
 */
async function patchFresh<T extends { version: number }>(path: string, patch: Record<string, unknown>, version: { current: number }): Promise<T> {
  try {
    return await api.patch<T>(path, patch, version.current);
  } catch (e) {
    if (e instanceof ApiError && e.status === 412) {
      try {
        version.current = (await api.get<T>(path)).version;
      } catch {
        /* the message stands */
      }
    }
    throw e;
  }
}

/* Lost reason ------------------------------------------------------------------------------- */

export function LostDialog({ opp, onClose, onConfirm }: { opp: Opportunity; onClose: () => void; onConfirm: (reason: string) => Promise<void> }) {
  const form = useForm({ lost_reason: "" });
  async function submit(e: Event) {
    e.preventDefault();
    const ok = await form.submit(async (v) => {
      if (!v.lost_reason.trim()) {
        form.setErrors({ lost_reason: "Say why, so the team learns from it." });
        throw new Error("A reason is needed to mark a deal lost.");
      }
      await onConfirm(v.lost_reason.trim());
    });
    if (ok) onClose();
  }
  return (
    <Dialog
      title={`Mark “${opp.title}” lost`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Keep it open</Button>
          <Button type="submit" form="lost-form" variant="danger" busy={form.busy}>
            Mark lost
          </Button>
        </>
      }
    >
      <form id="lost-form" class="stack" onSubmit={submit} noValidate>
        {form.formError && <Alert>{form.formError}</Alert>}
        <TextArea label="Why was it lost?" required rows={3} autoFocus value={form.values.lost_reason} onValue={(x) => form.set("lost_reason", x)} error={form.errors.lost_reason} placeholder="Chose a cheaper provider, project postponed…" />
      </form>
    </Dialog>
  );
}

/* Activity dialog ------------------------------------------------------------------------------ */

type ActValues = {
  kind: ActivityKind;
  subject: string;
  due_at: string;
  company_id: number | null;
  contact_id: number | null;
  opportunity_id: number | null;
  owner_id: number | null;
  notes: string;
  done: boolean;
};

export function ActivityDialog({ record, defaults, onClose, onDone }: { record?: Activity | null; defaults?: Partial<Activity>; onClose: () => void; onDone: (a: Activity) => void }) {
  const src = { ...(defaults ?? {}), ...(record ?? {}) } as Partial<Activity>;
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  tomorrow.setHours(10, 0, 0, 0);
  const initial: ActValues = {
    kind: src.kind ?? "call",
    subject: src.subject ?? "",
    due_at: src.due_at ? toLocalInput(new Date(src.due_at)) : record ? "" : toLocalInput(tomorrow),
    company_id: src.company_id ?? null,
    contact_id: src.contact_id ?? null,
    opportunity_id: src.opportunity_id ?? null,
    owner_id: record ? (record.owner_id ?? null) : (src.owner_id ?? currentUser()?.id ?? null),
    notes: src.notes ?? "",
    done: !!src.done_at,
  };
  const form = useForm<ActValues>(initial);
  const version = useRef(record?.version ?? 0);
  const v = form.values;
  const kindName = "kind" + useId();

  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (vals) => {
      const body: Record<string, unknown> = {
        kind: vals.kind,
        subject: vals.subject.trim(),
        due_at: fromLocalInput(vals.due_at),
        company_id: vals.company_id,
        contact_id: vals.contact_id,
        opportunity_id: vals.opportunity_id,
        owner_id: vals.owner_id,
        notes: vals.notes.trim() || null,
      };
      let saved: Activity;
      if (record) {
        if (vals.done !== !!record.done_at) body.done_at = vals.done ? new Date().toISOString().replace(/\.\d{3}Z$/, "Z") : null;
        const patch: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(body)) if (x !== (record as unknown as Record<string, unknown>)[k]) patch[k] = x;
        if (Object.keys(patch).length === 0) return onClose();
        saved = await patchFresh<Activity>(`/activities/${record.id}`, patch, version);
      } else {
        for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
        saved = await api.post<Activity>("/activities", body);
      }
      onDone(saved);
    });
  }

  return (
    <FormDialog
      title={record ? "Edit activity" : "New activity"}
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={form.busy}
      formError={form.formError}
      submitLabel={record ? "Save changes" : "Create activity"}
    >
      <fieldset class="plain-fieldset">
        <legend class="field-label">Kind</legend>
        <div class="chips kind-chips" role="radiogroup" aria-label="Kind">
          {ACTIVITY_KINDS.map((k) => (
            <label key={k} class={`chip ${v.kind === k ? "is-active" : ""}`}>
              <input type="radio" class="sr-only" name={kindName} value={k} checked={v.kind === k} onChange={() => form.set("kind", k)} />
              {ACTIVITY_LABELS[k]}
            </label>
          ))}
        </div>
        {form.errors.kind && <div class="field-error">{form.errors.kind}</div>}
      </fieldset>
      <div class="form-grid">
        <div class="span-2">
          <TextField label="Subject" required value={v.subject} onValue={(x) => form.set("subject", x)} error={form.errors.subject} placeholder="Call about the Wi-Fi survey" autoFocus={!record} />
        </div>
        <TextField label="Due" type="datetime-local" value={v.due_at} onValue={(x) => form.set("due_at", x)} error={form.errors.due_at} />
        <UserSelect label="Owner" value={v.owner_id} onValue={(id) => form.set("owner_id", id)} error={form.errors.owner_id} placeholder="Nobody" />
        <CompanyPicker
          label="Company"
          value={v.company_id}
          onValue={(id) => {
            form.set("company_id", id);
            if (id !== v.company_id) {
              form.set("contact_id", null);
              form.set("opportunity_id", null);
            }
          }}
          error={form.errors.company_id}
        />
        <ContactPicker companyId={v.company_id} value={v.contact_id} onValue={(id) => form.set("contact_id", id)} error={form.errors.contact_id} />
        <OpportunitySelect companyId={v.company_id} value={v.opportunity_id} onValue={(id) => form.set("opportunity_id", id)} error={form.errors.opportunity_id} />
        {record && (
          <div class="field field-check align-end">
            <input id="act-done" type="checkbox" class="check" checked={v.done} onChange={(e) => form.set("done", (e.currentTarget as HTMLInputElement).checked)} />
            <label for="act-done">Done</label>
          </div>
        )}
        <div class="span-2">
          <TextArea label="Notes" rows={3} value={v.notes} onValue={(x) => form.set("notes", x)} error={form.errors.notes} />
        </div>
      </div>
    </FormDialog>
  );
}

/** Marks an activity done now (PATCH with If-Match); returns the saved record. */
export async function markDone(a: Activity, done = true): Promise<Activity | null> {
  const body = { done_at: done ? new Date().toISOString().replace(/\.\d{3}Z$/, "Z") : null };
  try {
    try {
      return await api.patch<Activity>(`/activities/${a.id}`, body, a.version);
    } catch (e) {
      // changed meanwhile (a new due time, notes…): marking it done still makes sense on the newer version
      if (!(e instanceof ApiError && e.status === 412)) throw e;
      const fresh = await api.get<Activity>(`/activities/${a.id}`);
      if (!!fresh.done_at === done) return fresh;
      return await api.patch<Activity>(`/activities/${a.id}`, body, fresh.version);
    }
  } catch (e) {
    toast(errorMessage(e), "error");
    return null;
  }
}

/** The company's opportunities, all of them (a company has few). */
export function loadCompanyOpportunities(companyId: number): Promise<Opportunity[]> {
  return listAll<Opportunity>("/opportunities", { company_id: companyId, sort: "-created_at" }, 200);
}

