/*
 * Settings.tsx - for admins and managers: users and roles with skills,
 * certifications per user, calendars and holidays, SLA policies, work
 * types, checklist templates, recurring tickets (settings/Recurring.tsx),
 * the audit log (settings/Audit.tsx) and, for admins, everyone's API
 * tokens (Tokens.tsx; each user manages their own from the account menu)
 * and the webhooks (settings/Webhooks.tsx); mail servers and templates
 * (settings/Mail.tsx); the firm profile with its public URL, the start of
 * every client link (settings/Firm.tsx, admins); CSV import and export of
 * companies, contacts, sites, assets and products (settings/Transfer.tsx).
 * What a role may change follows the route table: only admins edit users;
 * managers edit the rest.
 */
import { useState } from "preact/hooks";
import { HoursGrid, hoursOf, hoursSummary, weekOf } from "../components/hours";
import { RecordDialog, type FieldSpec } from "../components/recordform";
import { Badge, Button, Card, Checkbox, Dialog, Empty, ErrorState, FormDialog, Loading, PageHeader, SelectField, TextField, toast } from "../components/ui";
import { api, errorMessage, listAll } from "../lib/api";
import { date, minutes, money } from "../lib/format";
import { useForm, useLoad, useTitle } from "../lib/hooks";
import { slaPolicies, users as usersCache, workTypes as workTypesCache } from "../lib/lookup";
import { can, type Capability, type Me } from "../lib/session";
import { KIND_LABELS, KINDS, PRIORITIES, PRIORITY_LABELS, STATUS_LABELS } from "../lib/tickets";
import { UserRoleValues, type Calendar, type Certification, type ChecklistTemplate, type SlaPolicy, type TicketKind, type User, type WorkType } from "../lib/types";
import { AuditSection } from "./settings/Audit";
import { FirmSettingsSection } from "./settings/Firm";
import { MailSettingsSection } from "./settings/Mail";
import { QualitySettingsSection } from "./settings/Quality";
import { RecurringSection } from "./settings/Recurring";
import { TransferSection } from "./settings/Transfer";
import { WebhooksSection } from "./settings/Webhooks";
import { AllTokensSection } from "./Tokens";

const SECTIONS: { id: string; label: string; show?: Capability }[] = [
  { id: "users", label: "Users and roles" },
  { id: "firm", label: "Firm profile", show: "firm.edit" },
  { id: "work-types", label: "Work types" },
  { id: "calendars", label: "Calendars and holidays" },
  { id: "sla-policies", label: "SLA policies" },
  { id: "checklists", label: "Checklist templates" },
  { id: "recurring", label: "Recurring tickets" },
  { id: "audit", label: "Audit log", show: "audit.view" },
  { id: "api-tokens", label: "API tokens", show: "tokens.all" },
  { id: "webhooks", label: "Webhooks", show: "webhooks.manage" },
  { id: "mail", label: "Mail", show: "mail.templates" },
  { id: "quality", label: "Quality reviews", show: "qa.templates.edit" },
  { id: "import", label: "Import and export", show: "transfer.run" },
];

export function SettingsPage({ section, user }: { section: string; user: Me }) {
  const sections = SECTIONS.filter((s) => !s.show || can(s.show, user.role));
  const current = sections.find((s) => s.id === section) ?? sections[0];
  useTitle(`Settings · ${current.label}`);
  return (
    <div>
      <PageHeader title="Settings" subtitle={user.role === "admin" ? "Everything about how your firm works in Servio." : "You can change work types, calendars, SLA policies, checklists, recurring tickets and certifications, and read the audit log. Users are managed by admins."} />
      <div class="settings">
        <nav class="settings-nav" aria-label="Settings sections">
          <ul>
            {sections.map((s) => (
              <li key={s.id}>
                <a href={`/settings/${s.id}`} class={s.id === current.id ? "is-active" : ""} aria-current={s.id === current.id ? "page" : undefined}>
                  {s.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="settings-body">
          {current.id === "users" && <UsersSection me={user} />}
          {current.id === "firm" && <FirmSettingsSection />}
          {current.id === "work-types" && <WorkTypesSection />}
          {current.id === "calendars" && <CalendarsSection />}
          {current.id === "sla-policies" && <SlaSection />}
          {current.id === "checklists" && <ChecklistSection />}
          {current.id === "recurring" && <RecurringSection />}
          {current.id === "audit" && <AuditSection />}
          {current.id === "api-tokens" && <AllTokensSection me={user} />}
          {current.id === "webhooks" && <WebhooksSection />}
          {current.id === "mail" && <MailSettingsSection />}
          {current.id === "quality" && <QualitySettingsSection />}
          {current.id === "import" && <TransferSection />}
        </div>
      </div>
    </div>
  );
}

const ROLE_TONE: Record<string, string> = { admin: "red", manager: "violet", technician: "blue", sales: "green", billing: "amber" };
const ROLES = UserRoleValues.map((r) => ({ value: r, label: r[0].toUpperCase() + r.slice(1) }));

/* Users ---------------------------------------------------------------------------- */

function UsersSection({ me }: { me: Me }) {
  const list = useLoad(() => listAll<User>("/users", { sort: "name", archived: "all" }, 1000), []);
  const [editing, setEditing] = useState<User | "new" | null>(null);
  const [certsFor, setCertsFor] = useState<User | null>(null);
  const admin = can("users.edit");
  const types = workTypesCache.use();
  const fields: FieldSpec[] = [
    { name: "name", label: "Name", required: true },
    { name: "email", label: "E-mail", type: "email", required: true },
    { name: "role", label: "Role", type: "select", options: ROLES, required: true, hint: "Decides what the user may see and change." },
    { name: "skills", label: "Skills", type: "list", placeholder: "printers, wifi, firewalls", hint: "Comma-separated; used to rank technicians." },
    {
      name: "manager_id",
      label: "Reports to",
      type: "select",
      none: "Nobody (every manager)",
      options: (list.data ?? []).filter((u) => (u.role === "manager" || u.role === "admin") && u.active && !u.archived_at).map((u) => ({ value: String(u.id), label: u.name })),
      hint: "Told of a satisfaction rating of 1 or 2 on this user's work.",
    },
    {
      name: "default_work_type_id",
      label: "Default work type",
      type: "select",
      none: "None (asked at check-out)",
      options: (types ?? []).filter((w) => !w.archived_at).map((w) => ({ value: String(w.id), label: w.name })),
      hint: "The work a visit's check-out logs its time as, unless the technician says otherwise.",
    },
    { name: "password", label: "Password", type: "password", createOnly: true, required: true, hint: "At least 10 characters, not the user's name or e-mail. A few unrelated words make a good one." },
    { name: "active", label: "Active (may sign in)", type: "checkbox", span: true },
  ];
  return (
    <Card
      title="Users and roles"
      actions={
        admin && (
          <Button variant="primary" size="sm" onClick={() => setEditing("new")}>
            New user
          </Button>
        )
      }
      pad={false}
    >
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={4} />
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Users">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Skills</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((u) => (
                <tr key={u.id} class={u.active && !u.archived_at ? "" : "is-inactive"}>
                  <td>
                    <div class="cell-title">{u.name}</div>
                    <div class="cell-sub">{u.email}</div>
                  </td>
                  <td>
                    <Badge tone={ROLE_TONE[u.role]}>{u.role}</Badge>
                  </td>
                  <td>
                    <span class="row">
                      {u.skills.length ? u.skills.map((s) => <Badge key={s} tone="outline">{s}</Badge>) : <span class="muted">—</span>}
                    </span>
                  </td>
                  <td class="nowrap">
                    {u.archived_at ? <Badge tone="gray">Archived</Badge> : u.active ? <Badge tone="green-soft">Active</Badge> : <Badge tone="gray">Deactivated</Badge>}
                    {u.totp_enabled && (
                      <Badge tone="slate" title="Signs in with an authenticator code">
                        2FA
                      </Badge>
                    )}
                  </td>
                  <td class="right nowrap">
                    <button type="button" class="link-btn" onClick={() => setCertsFor(u)} aria-label={`Certifications of ${u.name}`}>
                      Certifications
                    </button>
                    {admin && (
                      <>
                        {" · "}
                        <button type="button" class="link-btn" onClick={() => setEditing(u)} aria-label={`Edit ${u.name}`}>
                          Edit
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <RecordDialog<User>
          title={editing === "new" ? "New user" : `Edit ${editing.name}`}
          description={editing !== "new" && editing.id === me.id ? "You cannot change your own role or deactivate yourself." : undefined}
          path="/users"
          fields={fields}
          record={editing === "new" ? null : editing}
          defaults={{ role: "technician", active: true, skills: [] }}
          onClose={() => setEditing(null)}
          onDone={(u) => {
            setEditing(null);
            list.reload();
            usersCache.invalidate();
            toast(editing === "new" ? `${u.name} added` : "Saved");
          }}
        />
      )}
      {certsFor && <CertificationsDialog user={certsFor} onClose={() => setCertsFor(null)} />}
    </Card>
  );
}

function CertificationsDialog({ user, onClose }: { user: User; onClose: () => void }) {
  const certs = useLoad(() => listAll<Certification>(`/users/${user.id}/certifications`, {}, 500), [user.id]);
  const [editing, setEditing] = useState<Certification | "new" | null>(null);
  const edit = can("certifications.edit");
  const today = new Date().toISOString().slice(0, 10);
  const fields: FieldSpec[] = [
    { name: "name", label: "Certification", required: true, placeholder: "Electrical safety", span: true },
    { name: "issuer", label: "Issuer" },
    { name: "number", label: "Number" },
    { name: "issued_on", label: "Issued on", type: "date" },
    { name: "expires_on", label: "Expires on", type: "date" },
  ];
  async function remove(c: Certification) {
    try {
      await api.del(`/users/${user.id}/certifications/${c.id}`, c.version);
      certs.reload();
      toast("Certification removed");
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  }
  if (editing)
    return (
      <RecordDialog<Certification>
        title={editing === "new" ? `New certification for ${user.name}` : `Edit ${editing.name}`}
        path={`/users/${user.id}/certifications`}
        fields={fields}
        record={editing === "new" ? null : editing}
        onClose={() => setEditing(null)}
        onDone={() => {
          setEditing(null);
          certs.reload();
          toast("Certification saved");
        }}
      />
    );
  return (
    <Dialog title={`Certifications of ${user.name}`} description="Tickets can require certifications; assignment checks they are valid today." onClose={onClose} wide>
      {certs.error ? (
        <ErrorState message={certs.error} onRetry={certs.reload} />
      ) : !certs.data ? (
        <Loading rows={2} />
      ) : certs.data.length === 0 ? (
        <Empty title="No certifications" action={edit && <Button size="sm" variant="subtle" onClick={() => setEditing("new")}>Add certification</Button>} />
      ) : (
        <div class="stack">
          <table class="table" aria-label="Certifications">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Issuer</th>
                <th scope="col">Expires</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {certs.data.map((c) => (
                <tr key={c.id}>
                  <td class="cell-title">{c.name}</td>
                  <td>{c.issuer ?? <span class="muted">—</span>}</td>
                  <td>
                    {c.expires_on ? (
                      <Badge tone={c.expires_on < today ? "red" : "green-soft"}>
                        {c.expires_on < today ? "Expired " : ""}
                        {date(c.expires_on)}
                      </Badge>
                    ) : (
                      <span class="muted">Never</span>
                    )}
                  </td>
                  <td class="right nowrap">
                    {edit && (
                      <>
                        <button type="button" class="link-btn" onClick={() => setEditing(c)}>
                          Edit
                        </button>
                        {" · "}
                        <button type="button" class="link-btn" onClick={() => remove(c)}>
                          Remove
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {edit && (
            <div>
              <Button size="sm" variant="subtle" onClick={() => setEditing("new")}>
                Add certification
              </Button>
            </div>
          )}
        </div>
      )}
    </Dialog>
  );
}

/* Work types ------------------------------------------------------------------------ */

function WorkTypesSection() {
  const list = useLoad(() => listAll<WorkType>("/work-types", { sort: "name" }, 500), []);
  const [editing, setEditing] = useState<WorkType | "new" | null>(null);
  const edit = can("config.edit");
  const cur = editing && editing !== "new" ? editing.currency : "USD";
  const fields: FieldSpec[] = [
    { name: "name", label: "Name", required: true, placeholder: "Remote support", span: true },
    { name: "hourly_rate", label: `Hourly rate (${cur})`, type: "money", currency: cur, required: true, placeholder: "120.00" },
    { name: "currency", label: "Currency", placeholder: "USD", createOnly: true },
    { name: "billable", label: "Billable by default", type: "checkbox", span: true },
  ];
  return (
    <Card title="Work types" actions={edit && <Button variant="primary" size="sm" onClick={() => setEditing("new")}>New work type</Button>} pad={false}>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={3} />
      ) : list.data.length === 0 ? (
        <Empty title="No work types" action={edit && <Button size="sm" variant="subtle" onClick={() => setEditing("new")}>New work type</Button>}>
          Time is logged by work type (remote support, on-site, project work…), each with its hourly rate.
        </Empty>
      ) : (
        <table class="table" aria-label="Work types">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" class="num">Hourly rate</th>
              <th scope="col">Billable</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((w) => (
              <tr key={w.id}>
                <td class="cell-title">{w.name}</td>
                <td class="num">{money(w.hourly_rate, w.currency)}</td>
                <td>{w.billable ? <Badge tone="green-soft">Billable</Badge> : <Badge tone="gray">Not billable</Badge>}</td>
                <td class="right">
                  {edit && (
                    <button type="button" class="link-btn" onClick={() => setEditing(w)} aria-label={`Edit ${w.name}`}>
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <RecordDialog<WorkType>
          title={editing === "new" ? "New work type" : `Edit ${editing.name}`}
          path="/work-types"
          fields={fields}
          record={editing === "new" ? null : editing}
          defaults={{ billable: true }}
          wide={false}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            list.reload();
            workTypesCache.invalidate();
            toast("Work type saved");
          }}
        />
      )}
    </Card>
  );
}

/* Calendars ------------------------------------------------------------------------- */

function CalendarsSection() {
  const list = useLoad(() => listAll<Calendar>("/calendars", {}, 200), []);
  const [editing, setEditing] = useState<Calendar | "new" | null>(null);
  const edit = can("config.edit");
  return (
    <Card title="Calendars and holidays" actions={edit && <Button variant="primary" size="sm" onClick={() => setEditing("new")}>New calendar</Button>} pad={false}>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={3} />
      ) : list.data.length === 0 ? (
        <Empty title="No calendars" action={edit && <Button size="sm" variant="subtle" onClick={() => setEditing("new")}>New calendar</Button>}>
          SLA clocks count the business hours of a calendar, in its time zone, and skip its holidays.
        </Empty>
      ) : (
        <table class="table" aria-label="Calendars">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Hours</th>
              <th scope="col">Time zone</th>
              <th scope="col">Holidays</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((c) => (
              <tr key={c.id}>
                <td class="cell-title">{c.name}</td>
                <td>{hoursSummary(c)}</td>
                <td class="mono">{c.timezone}</td>
                <td>{c.holidays?.length ? `${c.holidays.length} (next: ${date(c.holidays.filter((h) => h >= new Date().toISOString().slice(0, 10)).sort()[0] ?? null)})` : <span class="muted">None</span>}</td>
                <td class="right">
                  {edit && (
                    <button type="button" class="link-btn" onClick={() => setEditing(c)} aria-label={`Edit ${c.name}`}>
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <CalendarDialog
          cal={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            list.reload();
            toast("Calendar saved");
          }}
        />
      )}
    </Card>
  );
}

function CalendarDialog({ cal, onClose, onDone }: { cal: Calendar | null; onClose: () => void; onDone: () => void }) {
  const f = useForm({
    name: cal?.name ?? "",
    timezone: cal?.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC",
    always_open: cal?.always_open ?? false,
    hours: weekOf(cal ? cal.hours : null),
    holidays: [...(cal?.holidays ?? [])].sort(),
  });
  const [newDay, setNewDay] = useState("");
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const hours = hoursOf(v.hours);
      const body: Record<string, unknown> = { name: v.name, timezone: v.timezone, always_open: v.always_open, hours: v.always_open ? [] : hours, holidays: v.holidays };
      if (cal) await api.patch(`/calendars/${cal.id}`, body, cal.version);
      else await api.post("/calendars", body);
      onDone();
    });
  }
  return (
    <FormDialog
      title={cal ? `Edit ${cal.name}` : "New calendar"}
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Save calendar"
    >
      <div class="form-grid">
        <TextField label="Name" value={v.name} onValue={(x) => f.set("name", x)} error={f.errors.name} required />
        <TextField label="Time zone" value={v.timezone} onValue={(x) => f.set("timezone", x)} error={f.errors.timezone} required hint="IANA name, e.g. Europe/Berlin" />
      </div>
      <Checkbox label="Open 24×7 (every minute counts)" checked={v.always_open} onValue={(x) => f.set("always_open", x)} error={f.errors.always_open} />
      {!v.always_open && (
        <fieldset class="fieldset">
          <legend>Business hours</legend>
          {f.errors.hours && <div class="field-error">{f.errors.hours}</div>}
          <HoursGrid week={v.hours} onWeek={(w) => f.set("hours", w)} />
        </fieldset>
      )}
      <fieldset class="fieldset">
        <legend>Holidays</legend>
        {f.errors.holidays && <div class="field-error">{f.errors.holidays}</div>}
        <div class="chips">
          {v.holidays.length === 0 && <span class="muted small">No holidays.</span>}
          {v.holidays.map((h) => (
            <span class="chip" key={h}>
              {date(h)}
              <button type="button" class="chip-x" aria-label={`Remove holiday ${h}`} onClick={() => f.set("holidays", v.holidays.filter((x) => x !== h))}>
                ✕
              </button>
            </span>
          ))}
        </div>
        <div class="row holiday-add">
          <label for="holiday-new" class="sr-only">
            Holiday date
          </label>
          <input id="holiday-new" type="date" class="input" value={newDay} onInput={(e) => setNewDay((e.currentTarget as HTMLInputElement).value)} />
          <Button
            size="sm"
            disabled={!newDay}
            onClick={() => {
              if (newDay && !v.holidays.includes(newDay)) f.set("holidays", [...v.holidays, newDay].sort());
              setNewDay("");
            }}
          >
            Add holiday
          </Button>
        </div>
      </fieldset>
    </FormDialog>
  );
}

/* SLA policies ---------------------------------------------------------------------- */

const PAUSABLE = ["waiting_customer", "waiting_parts", "escalated", "assigned"];

function SlaSection() {
  const list = useLoad(() => listAll<SlaPolicy>("/sla-policies", {}, 200), []);
  const cals = useLoad(() => listAll<Calendar>("/calendars", {}, 200), []);
  const [editing, setEditing] = useState<SlaPolicy | "new" | null>(null);
  const edit = can("config.edit");
  const calName = (id: number) => cals.data?.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <Card title="SLA policies" actions={edit && <Button variant="primary" size="sm" onClick={() => setEditing("new")} disabled={!cals.data?.length}>New policy</Button>} pad={false}>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={3} />
      ) : list.data.length === 0 ? (
        <Empty title="No SLA policies">{cals.data?.length ? "Set response and resolution targets per priority on a calendar." : "Create a calendar first: policies count its business hours."}</Empty>
      ) : (
        <table class="table" aria-label="SLA policies">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Calendar</th>
              <th scope="col">Targets (response / resolution)</th>
              <th scope="col">Pauses in</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((p) => (
              <tr key={p.id}>
                <td>
                  <span class="cell-title">{p.name}</span> {p.is_default && <Badge tone="blue">Default</Badge>}
                </td>
                <td>{calName(p.calendar_id)}</td>
                <td class="small">
                  {PRIORITIES.map((pr) => {
                    const t = p.targets.find((x) => x.priority === pr);
                    return t ? (
                      <div key={pr}>
                        <strong>{PRIORITY_LABELS[pr]}</strong>: {t.response_minutes !== undefined ? minutes(t.response_minutes) : "—"} / {t.resolution_minutes !== undefined ? minutes(t.resolution_minutes) : "—"}
                      </div>
                    ) : null;
                  })}
                </td>
                <td class="small">{p.pause_statuses.map((s) => STATUS_LABELS[s] ?? s).join(", ") || "—"}</td>
                <td class="right">
                  {edit && (
                    <button type="button" class="link-btn" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && cals.data && (
        <SlaDialog
          policy={editing === "new" ? null : editing}
          calendars={cals.data}
          onClose={() => setEditing(null)}
          onDone={() => {
            setEditing(null);
            list.reload();
            slaPolicies.invalidate();
            toast("SLA policy saved");
          }}
        />
      )}
    </Card>
  );
}

function SlaDialog({ policy, calendars, onClose, onDone }: { policy: SlaPolicy | null; calendars: Calendar[]; onClose: () => void; onDone: () => void }) {
  const t0: Record<string, { response: string; resolution: string }> = {};
  for (const p of PRIORITIES) {
    const t = policy?.targets.find((x) => x.priority === p);
    t0[p] = { response: t?.response_minutes !== undefined ? String(t.response_minutes) : "", resolution: t?.resolution_minutes !== undefined ? String(t.resolution_minutes) : "" };
  }
  const f = useForm({
    name: policy?.name ?? "",
    calendar_id: String(policy?.calendar_id ?? calendars[0]?.id ?? ""),
    is_default: policy?.is_default ?? false,
    targets: t0,
    pause_statuses: policy?.pause_statuses ?? ["waiting_customer"],
  });
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const targets = PRIORITIES.filter((p) => v.targets[p].response || v.targets[p].resolution).map((p) => {
        const t: Record<string, unknown> = { priority: p };
        if (v.targets[p].response) t.response_minutes = Number(v.targets[p].response);
        if (v.targets[p].resolution) t.resolution_minutes = Number(v.targets[p].resolution);
        return t;
      });
      const body = { name: v.name, calendar_id: Number(v.calendar_id), is_default: v.is_default, targets, pause_statuses: v.pause_statuses };
      if (policy) await api.patch(`/sla-policies/${policy.id}`, body, policy.version);
      else await api.post("/sla-policies", body);
      onDone();
    });
  }
  return (
    <FormDialog
      title={policy ? `Edit ${policy.name}` : "New SLA policy"}
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Save policy"
    >
      <div class="form-grid">
        <TextField label="Name" value={v.name} onValue={(x) => f.set("name", x)} error={f.errors.name} required />
        <SelectField label="Calendar" value={v.calendar_id} onValue={(x) => f.set("calendar_id", x)} options={calendars.map((c) => ({ value: String(c.id), label: `${c.name} (${c.timezone})` }))} error={f.errors.calendar_id} required />
      </div>
      <Checkbox label="Default policy (for tickets without a contract policy)" checked={v.is_default} onValue={(x) => f.set("is_default", x)} error={f.errors.is_default} />
      <fieldset class="fieldset">
        <legend>Targets in working minutes</legend>
        {f.errors.targets && <div class="field-error">{f.errors.targets}</div>}
        <table class="table targets-table">
          <thead>
            <tr>
              <th scope="col">Priority</th>
              <th scope="col">Response</th>
              <th scope="col">Resolution</th>
            </tr>
          </thead>
          <tbody>
            {PRIORITIES.map((p) => (
              <tr key={p}>
                <th scope="row">{PRIORITY_LABELS[p]}</th>
                {(["response", "resolution"] as const).map((k) => (
                  <td key={k}>
                    <label class="sr-only" for={`t-${p}-${k}`}>
                      {PRIORITY_LABELS[p]} {k} minutes
                    </label>
                    <input id={`t-${p}-${k}`} class="input" type="number" min={0} inputMode="numeric" value={v.targets[p][k]} onInput={(e) => f.set("targets", { ...v.targets, [p]: { ...v.targets[p], [k]: (e.currentTarget as HTMLInputElement).value } })} />
                    {v.targets[p][k] && <span class="small muted"> = {minutes(Number(v.targets[p][k]))}</span>}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </fieldset>
      <fieldset class="fieldset">
        <legend>The resolution clock pauses while the ticket is</legend>
        {f.errors.pause_statuses && <div class="field-error">{f.errors.pause_statuses}</div>}
        <div class="row">
          {PAUSABLE.map((s) => (
            <Checkbox key={s} label={STATUS_LABELS[s]} checked={v.pause_statuses.includes(s)} onValue={(on) => f.set("pause_statuses", on ? [...v.pause_statuses, s] : v.pause_statuses.filter((x) => x !== s))} />
          ))}
        </div>
      </fieldset>
    </FormDialog>
  );
}

/* Checklist templates ---------------------------------------------------------------- */

function ChecklistSection() {
  const list = useLoad(() => listAll<ChecklistTemplate>("/checklist-templates", {}, 200), []);
  const [editing, setEditing] = useState<ChecklistTemplate | "new" | null>(null);
  const edit = can("config.edit");
  return (
    <Card title="Checklist templates" actions={edit && <Button variant="primary" size="sm" onClick={() => setEditing("new")}>New template</Button>} pad={false}>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={3} />
      ) : list.data.length === 0 ? (
        <Empty title="No checklist templates">New service orders of a kind get the template's items, e.g. an electrical safety check for repairs.</Empty>
      ) : (
        <table class="table" aria-label="Checklist templates">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">For</th>
              <th scope="col">Items</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((t) => (
              <tr key={t.id}>
                <td class="cell-title">{t.name}</td>
                <td>{KIND_LABELS[t.ticket_kind]}</td>
                <td class="small">
                  {t.items.map((i, n) => (
                    <div key={n}>
                      {i.label} {i.required && <Badge tone="red">Required</Badge>}
                    </div>
                  ))}
                </td>
                <td class="right">
                  {edit && (
                    <button type="button" class="link-btn" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>
                      Edit
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && <TemplateDialog tpl={editing === "new" ? null : editing} onClose={() => setEditing(null)} onDone={() => { setEditing(null); list.reload(); toast("Template saved"); }} />}
    </Card>
  );
}

function TemplateDialog({ tpl, onClose, onDone }: { tpl: ChecklistTemplate | null; onClose: () => void; onDone: () => void }) {
  const f = useForm({ name: tpl?.name ?? "", ticket_kind: tpl?.ticket_kind ?? "repair", items: tpl?.items.map((i) => ({ label: i.label, required: !!i.required })) ?? [{ label: "", required: true }] });
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const body = { name: v.name, ticket_kind: v.ticket_kind, items: v.items.filter((i) => i.label.trim()).map((i) => ({ label: i.label.trim(), required: i.required })) };
      if (tpl) await api.patch(`/checklist-templates/${tpl.id}`, body, tpl.version);
      else await api.post("/checklist-templates", body);
      onDone();
    });
  }
  return (
    <FormDialog
      title={tpl ? `Edit ${tpl.name}` : "New checklist template"}
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Save template"
    >
      <div class="form-grid">
        <TextField label="Name" value={v.name} onValue={(x) => f.set("name", x)} error={f.errors.name} required />
        <SelectField label="For service orders of kind" value={v.ticket_kind} onValue={(x) => f.set("ticket_kind", x as TicketKind)} options={KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))} error={f.errors.ticket_kind} />
      </div>
      <fieldset class="fieldset">
        <legend>Items</legend>
        {f.errors.items && <div class="field-error">{f.errors.items}</div>}
        <div class="stack-sm">
          {v.items.map((it, i) => (
            <div class="row" key={i}>
              <label class="sr-only" for={`item-${i}`}>
                Item {i + 1}
              </label>
              <input id={`item-${i}`} class="input grow" value={it.label} placeholder="Electrical safety check" onInput={(e) => f.set("items", v.items.map((x, j) => (j === i ? { ...x, label: (e.currentTarget as HTMLInputElement).value } : x)))} />
              <Checkbox label="Required" checked={it.required} onValue={(on) => f.set("items", v.items.map((x, j) => (j === i ? { ...x, required: on } : x)))} />
              <button type="button" class="icon-btn" aria-label={`Remove item ${i + 1}`} onClick={() => f.set("items", v.items.filter((_, j) => j !== i))}>
                ✕
              </button>
            </div>
          ))}
          <div>
            <Button size="sm" onClick={() => f.set("items", [...v.items, { label: "", required: false }])}>
              Add item
            </Button>
          </div>
        </div>
      </fieldset>
    </FormDialog>
  );
}
