/*
 * Audit.tsx - Settings → Audit log (admins and managers): every change,
 * who made it and when, newest first, in pages of 25. Filters (resource,
 * action, actor, a date range, one request) live in the URL. A row opens
 * to show the change as a diff of the members that changed: before in red,
 * after in green, ids of people and companies as their names.
 */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { CompanyName, UserName } from "../../components/names";
import { Badge, Empty, ErrorState, ListFoot, Loading } from "../../components/ui";
import type { Query } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { usePaged } from "../../lib/hooks";
import { users } from "../../lib/lookup";
import { navigate, useLocation } from "../../lib/router";
import type { AuditEntry } from "../../lib/types";

const RESOURCES: [string, string][] = [
  ["tickets", "Service orders"],
  ["notes", "Notes"],
  ["time-entries", "Time entries"],
  ["parts", "Parts"],
  ["checklist", "Checklist items"],
  ["appointments", "Appointments"],
  ["recurring-tickets", "Recurring tickets"],
  ["companies", "Companies"],
  ["contacts", "Contacts"],
  ["sites", "Sites"],
  ["assets", "Assets"],
  ["contracts", "Contracts"],
  ["opportunities", "Opportunities"],
  ["activities", "Activities"],
  ["quotes", "Quotes"],
  ["products", "Products"],
  ["users", "Users"],
  ["certifications", "Certifications"],
  ["api_tokens", "API tokens"],
  ["work-types", "Work types"],
  ["calendars", "Calendars"],
  ["sla-policies", "SLA policies"],
  ["checklist-templates", "Checklist templates"],
  ["settings", "Firm settings"],
];
const RESOURCE_LABEL = Object.fromEntries(RESOURCES);

const ACTIONS: [string, string][] = [
  ["create", "Created"],
  ["update", "Changed"],
  ["archive", "Archived"],
  ["restore", "Restored"],
  ["login", "Signed in"],
  ["revoke", "Revoked"],
  ["disable", "Disabled"],
  ["password", "Password changed"],
  ["totp_enable", "Two-factor on"],
  ["totp_disable", "Two-factor off"],
];
const ACTION_LABEL = Object.fromEntries(ACTIONS);
const ACTION_TONE: Record<string, string> = { create: "green-soft", update: "blue", archive: "gray", restore: "indigo", login: "slate", revoke: "red", disable: "red", password: "amber", totp_enable: "violet", totp_disable: "amber" };

/** Members every change touches: left out of the diff. */
const NOISE = new Set(["updated_at", "version"]);
/** Left out of "created with": the record's own bookkeeping. */
const BOOKKEEPING = new Set(["id", "created_at", "updated_at", "version", "archived_at"]);

interface Filters {
  resource: string;
  action: string;
  actor: string;
  from: string;
  to: string;
  request_id: string;
  record_id: string;
}

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const g = (k: string) => p.get(k) || "";
  return { resource: g("resource"), action: g("action"), actor: g("actor"), from: g("from"), to: g("to"), request_id: g("request_id"), record_id: g("record_id") };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? "?" + s : "";
}

/** A day typed as a local date -> the API's exclusive bounds (RFC 3339 UTC). */
function dayBound(day: string, edge: "after" | "before"): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(day + "T00:00:00");
  if (isNaN(d.getTime())) return undefined;
  if (edge === "after") d.setSeconds(d.getSeconds() - 1);
  else d.setDate(d.getDate() + 1);
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function apiQuery(f: Filters): Query {
  return {
    resource: f.resource || undefined,
    action: f.action || undefined,
    actor: f.actor || undefined,
    at_after: dayBound(f.from, "after"),
    at_before: dayBound(f.to, "before"),
    request_id: f.request_id || undefined,
    record_id: f.record_id || undefined,
    sort: "-id",
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

/** Nested objects one level deep as "sla.paused_minutes": diffs name the member that changed. */
function flatten(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (isObject(v) && Object.keys(v).length > 0) for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
    else out[k] = v;
  }
  return out;
}

interface Change {
  field: string;
  before: unknown;
  after: unknown;
}

/** The members that differ (an update), or all that were set (a create) or there (a removal). */
export function changes(before: unknown, after: unknown): { kind: "diff" | "created" | "removed" | "raw"; list: Change[] } {
  if (isObject(before) && isObject(after)) {
    const a = flatten(before);
    const b = flatten(after);
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return { kind: "diff", list: keys.filter((k) => !NOISE.has(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => ({ field: k, before: a[k] ?? null, after: b[k] ?? null })) };
  }
  const set = (v: unknown) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0);
  if ((before === null || before === undefined) && isObject(after)) {
    const b = flatten(after);
    return { kind: "created", list: Object.keys(b).filter((k) => !BOOKKEEPING.has(k) && set(b[k])).map((k) => ({ field: k, before: null, after: b[k] })) };
  }
  if (isObject(before) && (after === null || after === undefined)) {
    const a = flatten(before);
    return { kind: "removed", list: Object.keys(a).filter((k) => !BOOKKEEPING.has(k) && set(a[k])).map((k) => ({ field: k, before: a[k], after: null })) };
  }
  return { kind: "raw", list: [{ field: "record", before, after }] };
}

function fieldLabel(f: string): string {
  const s = f.replace(/_id$/, "").replace(/\./g, " › ").replace(/_/g, " ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const STAMP = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit" });

const USER_FIELDS = /(^|\.)(assignee_id|user_id|author_id|owner_id|follow_up_user_id|done_by|accepted_by_id|actor_id)$/;

function Value({ field, v }: { field: string; v: unknown }) {
  if (v === null || v === undefined || v === "") return <span class="muted">empty</span>;
  if (typeof v === "number" && USER_FIELDS.test(field)) return <UserName id={v} empty="—" />;
  if (typeof v === "number" && /(^|\.)company_id$/.test(field)) return <CompanyName id={v} />;
  if (typeof v === "boolean") return <>{v ? "yes" : "no"}</>;
  if (typeof v === "string" && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(v))
    return (
      <time dateTime={v} title={v}>
        {STAMP.format(new Date(v))}
      </time>
    );
  if (typeof v === "string" || typeof v === "number") return <span class="audit-text">{String(v)}</span>;
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) return v.length ? <>{v.join(", ")}</> : <span class="muted">none</span>;
  return <code class="audit-json">{JSON.stringify(v)}</code>;
}

function recordOf(e: AuditEntry): Record<string, unknown> | null {
  return isObject(e.after) ? e.after : isObject(e.before) ? e.before : null;
}

/** Where the changed record is seen in the UI, if anywhere. */
function recordHref(e: AuditEntry): string | null {
  const r = recordOf(e);
  const id = e.record_id;
  const num = (k: string) => (r && typeof r[k] === "number" ? (r[k] as number) : null);
  switch (e.resource) {
    case "tickets":
      return id ? `/tickets/${id}` : null;
    case "companies":
      return id ? `/clients/${id}` : null;
    case "quotes":
      return id ? `/quotes/${id}` : null;
    case "notes":
    case "parts":
    case "checklist":
    case "time-entries":
    case "appointments":
      return num("ticket_id") ? `/tickets/${num("ticket_id")}` : null;
    case "contacts":
    case "sites":
    case "assets":
    case "contracts":
    case "recurring-tickets":
      return num("company_id") ? `/clients/${num("company_id")}` : null;
    default:
      return null;
  }
}

function recordName(e: AuditEntry): string {
  const r = recordOf(e);
  for (const k of ["number", "name", "title", "subject", "email"]) if (r && typeof r[k] === "string" && r[k]) return r[k] as string;
  return e.record_id ? `#${e.record_id}` : "—";
}

function Summary({ e }: { e: AuditEntry }) {
  if (e.action === "login" && isObject(e.after)) return <>from {String(e.after.remote_addr ?? "—")}</>;
  const c = changes(e.before, e.after);
  if (c.kind === "created") return <>{c.list.length} fields set</>;
  if (c.kind === "diff") {
    if (c.list.length === 0) return <span class="muted">no visible change</span>;
    const names = c.list.map((x) => fieldLabel(x.field).toLowerCase());
    return (
      <>
        {names.slice(0, 3).join(", ")}
        {names.length > 3 ? ` +${names.length - 3} more` : ""}
      </>
    );
  }
  return <span class="muted">—</span>;
}

function Actor({ e }: { e: AuditEntry }) {
  if (e.actor_id) return <UserName id={e.actor_id} empty={e.actor ?? undefined} />;
  return <>{e.actor === "cli" ? "Command line" : e.actor === "system" ? "System (jobs)" : e.actor}</>;
}

function Diff({ e, onRequest }: { e: AuditEntry; onRequest: (id: string) => void }) {
  const c = changes(e.before, e.after);
  let body: ComponentChildren;
  if (c.list.length === 0) body = <p class="small muted">Only the record's version and time changed.</p>;
  else if (c.kind === "created" || c.kind === "removed")
    body = (
      <table class="table table-compact audit-diff" aria-label={c.kind === "created" ? "Created with" : "The record before"}>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">{c.kind === "created" ? "Value" : "Was"}</th>
          </tr>
        </thead>
        <tbody>
          {c.list.map((x) => (
            <tr key={x.field}>
              <th scope="row">{fieldLabel(x.field)}</th>
              <td class={c.kind === "created" ? "diff-new" : "diff-old"}>
                <Value field={x.field} v={c.kind === "created" ? x.after : x.before} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  else
    body = (
      <table class="table table-compact audit-diff" aria-label="Changed fields">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Before</th>
            <th scope="col">After</th>
          </tr>
        </thead>
        <tbody>
          {c.list.map((x) => (
            <tr key={x.field}>
              <th scope="row">{fieldLabel(x.field)}</th>
              <td class="diff-old">
                <span class="sr-only">before: </span>
                <Value field={x.field} v={x.before} />
              </td>
              <td class="diff-new">
                <span class="sr-only">after: </span>
                <Value field={x.field} v={x.after} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  return (
    <div class="audit-detail">
      {body}
      <div class="small muted audit-meta">
        Entry #{e.id} · {e.at && new Date(e.at).toLocaleString()} · by {e.actor}
        {e.request_id && (
          <>
            {" · request "}
            <span class="mono">{e.request_id}</span>{" "}
            <button type="button" class="link-btn" onClick={() => onRequest(e.request_id!)}>
              All changes of this request
            </button>
          </>
        )}
      </div>
    </div>
  );
}

export function AuditSection() {
  const loc = useLocation();
  const f = readFilters(loc.search);
  const list = usePaged<AuditEntry>("/audit", apiQuery(f), [loc.search]);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const staff = users.use();
  const rows = list.rows;
  const filtered = Object.values(f).some(Boolean);

  function update(part: Partial<Filters>) {
    navigate("/settings/audit" + writeFilters({ ...f, ...part }), { replace: true });
    setOpen(new Set());
  }
  function toggle(id: number) {
    setOpen((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  }

  return (
    <section class="card list-card" aria-labelledby="audit-title">
      <header class="card-head audit-head">
        <h2 class="card-title" id="audit-title">
          Audit log
        </h2>
        <span class="small muted">Every change, with who made it and what it was before. Read-only.</span>
      </header>
      <div class="filters audit-filters" role="group" aria-label="Filters">
        <div class="filter-select">
          <label for="au-resource" class="sr-only">
            Resource
          </label>
          <select id="au-resource" class={`input select filter-input ${f.resource ? "is-set" : ""}`} value={f.resource} onChange={(e) => update({ resource: (e.currentTarget as HTMLSelectElement).value, record_id: "" })}>
            <option value="">Any resource</option>
            {RESOURCES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div class="filter-select">
          <label for="au-action" class="sr-only">
            Action
          </label>
          <select id="au-action" class={`input select filter-input ${f.action ? "is-set" : ""}`} value={f.action} onChange={(e) => update({ action: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">Any action</option>
            {ACTIONS.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </div>
        <div class="filter-select">
          <label for="au-actor" class="sr-only">
            Who
          </label>
          <select id="au-actor" class={`input select filter-input ${f.actor ? "is-set" : ""}`} value={f.actor} onChange={(e) => update({ actor: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">Anyone</option>
            {(staff ?? []).map((u) => (
              <option key={u.id} value={u.email}>
                {u.name}
              </option>
            ))}
            <option value="cli">Command line</option>
            <option value="system">System (jobs)</option>
            {f.actor && !["cli", "system"].includes(f.actor) && !(staff ?? []).some((u) => u.email === f.actor) && <option value={f.actor}>{f.actor}</option>}
          </select>
        </div>
        <div class="filter-date">
          <label for="au-from" class="filter-date-label">
            From
          </label>
          <input id="au-from" type="date" class={`input filter-input ${f.from ? "is-set" : ""}`} value={f.from} max={f.to || undefined} onChange={(e) => update({ from: (e.currentTarget as HTMLInputElement).value })} />
        </div>
        <div class="filter-date">
          <label for="au-to" class="filter-date-label">
            To
          </label>
          <input id="au-to" type="date" class={`input filter-input ${f.to ? "is-set" : ""}`} value={f.to} min={f.from || undefined} onChange={(e) => update({ to: (e.currentTarget as HTMLInputElement).value })} />
        </div>
        {(f.request_id || f.record_id) && (
          <span class="chips">
            {f.record_id && (
              <span class="chip is-active">
                Record #{f.record_id}
                <button type="button" class="chip-x" aria-label="Remove the record filter" onClick={() => update({ record_id: "" })}>
                  ✕
                </button>
              </span>
            )}
            {f.request_id && (
              <span class="chip is-active">
                Request <span class="mono">{f.request_id}</span>
                <button type="button" class="chip-x" aria-label="Remove the request filter" onClick={() => update({ request_id: "" })}>
                  ✕
                </button>
              </span>
            )}
          </span>
        )}
        {filtered && (
          <button type="button" class="link-btn" onClick={() => update({ resource: "", action: "", actor: "", from: "", to: "", request_id: "", record_id: "" })}>
            Clear filters
          </button>
        )}
      </div>

      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !rows ? (
        <Loading rows={6} label="Loading the audit log…" />
      ) : rows.length === 0 ? (
        <Empty title={filtered ? "No changes match" : "Nothing recorded yet"} icon="✓">
          {filtered ? "Try fewer filters or a wider date range." : "Every change made through Servio will be listed here."}
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table audit-table" aria-label="Audit log">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Record</th>
                  <th scope="col">Changes</th>
                  <th scope="col">
                    <span class="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => {
                  const isOpen = open.has(e.id);
                  const href = recordHref(e);
                  return [
                    <tr
                      key={e.id}
                      class={`clickable ${isOpen ? "is-open" : ""}`}
                      onClick={(ev) => {
                        if ((ev.target as HTMLElement).closest("a, button")) return;
                        toggle(e.id);
                      }}
                    >
                      <td class="nowrap col-when" title={e.at ? new Date(e.at).toLocaleString() : undefined}>
                        <div>{dateTime(e.at)}</div>
                        <div class="cell-sub">{relative(e.at)}</div>
                      </td>
                      <td class="col-who">
                        <Actor e={e} />
                      </td>
                      <td class="col-what">
                        <Badge tone={ACTION_TONE[e.action ?? ""] ?? "neutral"}>{ACTION_LABEL[e.action ?? ""] ?? e.action}</Badge>{" "}
                        <span class="small">{RESOURCE_LABEL[e.resource ?? ""] ?? e.resource}</span>
                      </td>
                      <td class="col-record">
                        {href ? <a href={href}>{recordName(e)}</a> : e.resource === "users" && e.record_id && recordName(e).startsWith("#") ? <UserName id={e.record_id} empty="—" /> : recordName(e)}
                      </td>
                      <td class="small col-changes">
                        <Summary e={e} />
                      </td>
                      <td class="right col-toggle">
                        <button type="button" class="link-btn" aria-expanded={isOpen} aria-controls={`audit-${e.id}`} onClick={() => toggle(e.id)}>
                          {isOpen ? "Hide" : "Details"}
                          <span class="sr-only"> of entry {e.id}</span>
                        </button>
                      </td>
                    </tr>,
                    isOpen && (
                      <tr key={`d${e.id}`} id={`audit-${e.id}`} class="audit-detail-row">
                        <td colSpan={6}>
                          <Diff e={e} onRequest={(id) => update({ request_id: id, resource: "", action: "", actor: "", from: "", to: "", record_id: "" })} />
                        </td>
                      </tr>
                    ),
                  ];
                })}
              </tbody>
            </table>
          </div>
          <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
    </section>
  );
}
