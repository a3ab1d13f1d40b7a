/*
 * Recurring.tsx - Settings → Recurring tickets: preventive work as
 * templates that make a service order at each occurrence of their rule
 * (the job worker makes each once). List with the next run, create, edit,
 * pause and resume (active=false/true). The rule is an RRULE: presets for
 * the usual schedules fill it in, and it can be typed freely; the server's
 * 422 for a bad rule shows beside the field.
 */
import { useState } from "preact/hooks";
import { PriorityBadge } from "../../components/badges";
import { CompanyName, UserName } from "../../components/names";
import { CompanyPicker, UserSelect } from "../../components/pickers";
import { Badge, Button, Card, Checkbox, Empty, ErrorState, FormDialog, ListFoot, Loading, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, errorMessage } from "../../lib/api";
import { dateTime, relative, toLocalInput } from "../../lib/format";
import { useForm, usePaged } from "../../lib/hooks";
import { describe, normalize, presetOf, PRESETS } from "../../lib/rrule";
import { can } from "../../lib/session";
import { KIND_LABELS, KINDS, PRIORITIES, PRIORITY_LABELS } from "../../lib/tickets";
import type { RecurringTicket, RecurringTicketPriority, TicketKind } from "../../lib/types";
import { useCompanyRelated } from "../TicketNew";

/** "Every month on the first Monday at 09:00 (America/Chicago)" */
export function scheduleText(r: Pick<RecurringTicket, "rrule" | "starts_local" | "timezone">): string {
  const words = describe(r.rrule, r.starts_local) ?? r.rrule;
  const at = /T(\d{2}:\d{2})/.exec(r.starts_local)?.[1];
  return `${words}${at ? ` at ${at}` : ""} (${r.timezone})`;
}

export function RecurringSection() {
  const list = usePaged<RecurringTicket>("/recurring-tickets", { sort: "name" }, []);
  const [editing, setEditing] = useState<RecurringTicket | "new" | null>(null);
  const [busy, setBusy] = useState<number | null>(null);
  const edit = can("recurring.edit");
  const rows = list.rows;

  async function setActive(r: RecurringTicket, active: boolean) {
    setBusy(r.id);
    try {
      const saved = await api.patch<RecurringTicket>(`/recurring-tickets/${r.id}`, { active }, r.version);
      list.update((rows) => rows.map((x) => (x.id === saved.id ? saved : x)));
      toast(active ? `“${r.name}” resumed: next ticket ${saved.next_run_at ? dateTime(saved.next_run_at) : "never (the rule has ended)"}` : `“${r.name}” paused: it makes no tickets until resumed`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) list.reload();
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card
      title="Recurring tickets"
      actions={
        edit && (
          <Button variant="primary" size="sm" onClick={() => setEditing("new")}>
            New recurring ticket
          </Button>
        )
      }
      pad={false}
    >
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !rows ? (
        <Loading rows={3} label="Loading recurring tickets…" />
      ) : rows.length === 0 ? (
        <Empty
          title="No recurring tickets"
          icon="↻"
          action={
            edit && (
              <Button size="sm" variant="subtle" onClick={() => setEditing("new")}>
                New recurring ticket
              </Button>
            )
          }
        >
          Preventive maintenance, backups to check, monthly health checks: a recurring ticket opens a service order on its schedule.
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table recurring-table" aria-label="Recurring tickets">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Client</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Next ticket</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id} class={r.active ? "" : "is-inactive"}>
                    <td>
                      <div class="cell-title">{r.name}</div>
                      <div class="cell-sub">
                        {r.subject} · <PriorityBadge priority={r.priority} />
                      </div>
                    </td>
                    <td>
                      <CompanyName id={r.company_id} link />
                      {r.assignee_id && (
                        <div class="cell-sub">
                          <UserName id={r.assignee_id} />
                        </div>
                      )}
                    </td>
                    <td class="small">{scheduleText(r)}</td>
                    <td class="nowrap">
                      {!r.active ? (
                        <span class="muted">Paused</span>
                      ) : r.next_run_at ? (
                        <>
                          <div>{dateTime(r.next_run_at)}</div>
                          <div class="cell-sub">{relative(r.next_run_at)}</div>
                        </>
                      ) : (
                        <span class="muted">None: the rule has ended</span>
                      )}
                    </td>
                    <td>{r.active ? <Badge tone="green-soft">Active</Badge> : <Badge tone="gray">Paused</Badge>}</td>
                    <td class="right nowrap">
                      {edit && (
                        <>
                          <button type="button" class="link-btn" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                            Edit
                          </button>
                          {" · "}
                          <button type="button" class="link-btn" disabled={busy === r.id} onClick={() => setActive(r, !r.active)} aria-label={`${r.active ? "Pause" : "Resume"} ${r.name}`}>
                            {r.active ? "Pause" : "Resume"}
                          </button>
                        </>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
      {editing && (
        <RecurringDialog
          rec={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(saved) => {
            const isNew = editing === "new";
            setEditing(null);
            if (isNew) list.reload();
            else list.update((rows) => rows.map((x) => (x.id === saved.id ? saved : x)));
            toast(`${isNew ? "Recurring ticket created" : "Saved"}: next ticket ${saved.active && saved.next_run_at ? dateTime(saved.next_run_at) : saved.active ? "never (the rule has ended)" : "none while paused"}`);
          }}
        />
      )}
    </Card>
  );
}

function tomorrowAt8(): string {
  const d = new Date(Date.now() + 86400000);
  d.setHours(8, 0, 0, 0);
  return toLocalInput(d);
}

function RecurringDialog({ rec, onClose, onDone }: { rec: RecurringTicket | null; onClose: () => void; onDone: (r: RecurringTicket) => void }) {
  const init = {
    name: rec?.name ?? "",
    company_id: rec?.company_id ?? (null as number | null),
    assignee_id: rec?.assignee_id ?? (null as number | null),
    rrule: rec?.rrule ?? "FREQ=MONTHLY;BYDAY=1MO",
    starts_local: rec?.starts_local ?? tomorrowAt8(),
    timezone: rec?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC",
    active: rec?.active ?? true,
    subject: rec?.subject ?? "",
    description: rec?.description ?? "",
    kind: rec?.kind ?? "maintenance",
    priority: rec?.priority ?? "medium",
    site_id: rec?.site_id ? String(rec.site_id) : "",
    asset_id: rec?.asset_id ? String(rec.asset_id) : "",
    contract_id: rec?.contract_id ? String(rec.contract_id) : "",
    required_skills: rec?.required_skills.join(", ") ?? "",
  };
  const f = useForm(init);
  const v = f.values;
  const rel = useCompanyRelated(v.company_id);
  const [custom, setCustom] = useState(false);
  const preset = custom ? undefined : presetOf(v.rrule);
  const words = describe(v.rrule, v.starts_local);

  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const idOrNull = (s: string) => (s ? Number(s) : null);
      const all: Record<string, unknown> = {
        name: v.name.trim(),
        company_id: v.company_id,
        assignee_id: v.assignee_id,
        rrule: normalize(v.rrule),
        starts_local: v.starts_local,
        timezone: v.timezone.trim(),
        active: v.active,
        subject: v.subject.trim(),
        description: v.description.trim() || null,
        kind: v.kind,
        priority: v.priority,
        site_id: idOrNull(v.site_id),
        asset_id: idOrNull(v.asset_id),
        contract_id: idOrNull(v.contract_id),
        required_skills: v.required_skills.split(",").map((x) => x.trim()).filter(Boolean),
      };
      let saved: RecurringTicket;
      if (rec) {
        const patch: Record<string, unknown> = {};
        for (const k of Object.keys(init) as (keyof typeof init)[]) if (v[k] !== init[k]) patch[k] = all[k];
        if (Object.keys(patch).length === 0) return onClose();
        saved = await api.patch<RecurringTicket>(`/recurring-tickets/${rec.id}`, patch, rec.version);
      } else {
        const body: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(all)) if (x !== null && !(Array.isArray(x) && x.length === 0)) body[k] = x;
        saved = await api.post<RecurringTicket>("/recurring-tickets", body);
      }
      onDone(saved);
    });
  }

  const opt = <T extends { id: number }>(list: T[], name: (x: T) => string) => list.map((x) => ({ value: String(x.id), label: name(x) }));
  return (
    <FormDialog
      title={rec ? `Edit ${rec.name}` : "New recurring ticket"}
      description="Opens a service order for the client at every occurrence of the schedule, from now on."
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel={rec ? "Save changes" : "Create"}
    >
      <div class="form-grid">
        <div class="span-2">
          <TextField label="Name" name="name" value={v.name} onValue={(x) => f.set("name", x)} error={f.errors.name} required placeholder="Monthly server health check" />
        </div>
        <CompanyPicker
          label="Client"
          value={v.company_id}
          onValue={(id) => {
            f.set("company_id", id);
            f.set("site_id", "");
            f.set("asset_id", "");
            f.set("contract_id", "");
          }}
          error={f.errors.company_id}
          required
        />
        <UserSelect label="Assign to" value={v.assignee_id} onValue={(x) => f.set("assignee_id", x)} error={f.errors.assignee_id} placeholder="Nobody (the dispatcher assigns)" />
      </div>

      <fieldset class="fieldset">
        <legend>Schedule</legend>
        <div class="form-grid">
          <SelectField
            label="Repeats"
            name="preset"
            value={preset?.rule ?? "custom"}
            onValue={(x) => {
              setCustom(x === "custom");
              if (x !== "custom") f.set("rrule", x);
              else setTimeout(() => document.getElementById("rec-rrule")?.focus(), 0);
            }}
            options={[...PRESETS.map((p) => ({ value: p.rule, label: p.label })), { value: "custom", label: "Custom rule (type it below)" }]}
          />
          <TextField
            id="rec-rrule"
            label="Rule (RRULE)"
            name="rrule"
            value={v.rrule}
            onValue={(x) => f.set("rrule", x)}
            error={f.errors.rrule}
            required
            autoComplete="off"
            hint={words ? `Reads: ${words}.` : "RFC 5545, e.g. FREQ=MONTHLY;BYDAY=1MO — daily or longer, no BYHOUR or BYMINUTE."}
          />
          <TextField
            label="First occurrence (local time)"
            name="starts_local"
            type="datetime-local"
            value={v.starts_local}
            onValue={(x) => f.set("starts_local", x.slice(0, 16))}
            error={f.errors.starts_local}
            required
            hint="Every ticket is made at this time of day."
          />
          <TextField label="Time zone" name="timezone" value={v.timezone} onValue={(x) => f.set("timezone", x)} error={f.errors.timezone} required hint="IANA name, e.g. America/Chicago" />
        </div>
        {rec && rec.active && rec.next_occurrences && rec.next_occurrences.length > 0 && (
          <div class="small next-runs">
            <span class="muted">Next tickets as saved:</span>{" "}
            {rec.next_occurrences.map((t, i) => (
              <span key={t}>
                {i > 0 && " · "}
                <time dateTime={t}>{dateTime(t)}</time>
              </span>
            ))}
          </div>
        )}
        <Checkbox label="Active (makes tickets on schedule)" checked={v.active} onValue={(x) => f.set("active", x)} error={f.errors.active} hint={v.active ? undefined : "— paused: no tickets until resumed"} />
      </fieldset>

      <fieldset class="fieldset">
        <legend>The service orders it opens</legend>
        <div class="form-grid">
          <div class="span-2">
            <TextField label="Subject" name="subject" value={v.subject} onValue={(x) => f.set("subject", x)} error={f.errors.subject} required placeholder="Server health check" />
          </div>
          <div class="span-2">
            <TextArea label="Description" name="description" value={v.description} onValue={(x) => f.set("description", x)} error={f.errors.description} rows={3} placeholder="What to check, where the checklist is…" />
          </div>
          <SelectField label="Kind" name="kind" value={v.kind} onValue={(x) => f.set("kind", x as TicketKind)} options={KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))} error={f.errors.kind} />
          <SelectField label="Priority" name="priority" value={v.priority} onValue={(x) => f.set("priority", x as RecurringTicketPriority)} options={PRIORITIES.map((k) => ({ value: k, label: PRIORITY_LABELS[k] }))} error={f.errors.priority} />
          <SelectField label="Site" name="site_id" value={v.site_id} onValue={(x) => f.set("site_id", x)} options={opt(rel.sites, (s) => s.name)} placeholder={v.company_id ? "No site" : "Choose the client first"} disabled={!v.company_id} error={f.errors.site_id} />
          <SelectField label="Asset" name="asset_id" value={v.asset_id} onValue={(x) => f.set("asset_id", x)} options={opt(rel.assets, (a) => a.name)} placeholder={v.company_id ? "No asset" : "Choose the client first"} disabled={!v.company_id} error={f.errors.asset_id} />
          {can("contracts.view") && (
            <SelectField label="Contract" name="contract_id" value={v.contract_id} onValue={(x) => f.set("contract_id", x)} options={opt(rel.contracts, (c) => c.name)} placeholder={v.company_id ? "No contract (default SLA)" : "Choose the client first"} disabled={!v.company_id} error={f.errors.contract_id} />
          )}
          <TextField label="Required skills" name="required_skills" value={v.required_skills} onValue={(x) => f.set("required_skills", x)} error={f.errors.required_skills} hint="Comma-separated" />
        </div>
      </fieldset>
    </FormDialog>
  );
}
