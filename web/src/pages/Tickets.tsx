/*
 * Tickets.tsx - the service order list: filters, full-text search and sort
 * in the URL (so back, reload and links keep them), saved views, and cursor
 * paging with "Load more" (never everything at once). The assignee filter
 * takes "none" (the unassigned queue); quote_id (the orders an accepted
 * quote made, linked from the quote) shows as a removable chip.
 *
 * The default order is SLA urgency (sort=sla_urgency, the server's key:
 * the running clock's due time, so breached orders first, then the soonest
 * due; orders without an SLA after them; finished ones last). Dispatchers
 * (who may POST /tickets/assign) tick rows, or every row of the page, and
 * assign them to one person at once: all or nothing, and when the server
 * refuses, each order it names is listed with its reason.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { PriorityBadge, SlaBadge, StatusBadge } from "../components/badges";
import { MultiSelect } from "../components/multiselect";
import { CompanyName, UserName } from "../components/names";
import { CompanyPicker } from "../components/pickers";
import { Alert, Button, Dialog, Empty, ErrorState, LinkButton, Loading, PageHeader, TextField, toast } from "../components/ui";
import { api, ApiError, errorMessage, type Query } from "../lib/api";
import { label, relative } from "../lib/format";
import { useDebounced, useTitle } from "../lib/hooks";
import { remember, useRecord, users } from "../lib/lookup";
import { navigate, useLocation } from "../lib/router";
import { can, type Me } from "../lib/session";
import { CHANNEL_LABELS, OPEN_STATUSES, PRIORITIES, PRIORITY_LABELS, STATUS_LABELS, STATUSES } from "../lib/tickets";
import type { Ticket } from "../lib/types";
import { loadViews, saveViews, type SavedView } from "../lib/views";
import "../styles/manager.css";

const PAGE = 25;
const DEFAULT_SORT = "sla_urgency";

const SORTS = [
  { value: "sla_urgency", label: "SLA urgency (breached first)" },
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "-last_activity_at", label: "Recent activity" },
  { value: "resolution_due_at", label: "Resolution due (soonest)" },
  { value: "response_due_at", label: "Response due (soonest)" },
  { value: "priority", label: "Priority (critical first)" },
  { value: "-number", label: "Number (high to low)" },
  { value: "subject", label: "Subject (A–Z)" },
];

interface Filters {
  status: string[];
  priority: string[];
  assignee: string;
  company: number | null;
  quote: number | null;
  channel: string;
  q: string;
  sort: string;
  breached: boolean;
}

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  const list = (k: string) => (p.get(k) || "").split(",").filter(Boolean);
  return {
    status: p.has("status") ? list("status") : OPEN_STATUSES,
    priority: list("priority"),
    assignee: p.get("assignee_id") || "",
    company: p.get("company_id") ? Number(p.get("company_id")) : null,
    quote: Number(p.get("quote_id")) || null,
    channel: p.get("channel") || "",
    q: p.get("q") || "",
    sort: p.get("sort") || DEFAULT_SORT,
    breached: p.get("resolution_breached") === "true",
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  const sameAsOpen = f.status.length === OPEN_STATUSES.length && OPEN_STATUSES.every((s) => f.status.includes(s));
  if (!sameAsOpen) p.set("status", f.status.join(","));
  if (f.priority.length) p.set("priority", f.priority.join(","));
  if (f.assignee) p.set("assignee_id", f.assignee);
  if (f.company) p.set("company_id", String(f.company));
  if (f.quote) p.set("quote_id", String(f.quote));
  if (f.channel) p.set("channel", f.channel);
  if (f.q) p.set("q", f.q);
  if (f.sort !== DEFAULT_SORT) p.set("sort", f.sort);
  if (f.breached) p.set("resolution_breached", "true");
  const s = p.toString().replace(/%2C/g, ",");
  return s ? "?" + s : "";
}

function apiQuery(f: Filters, me: Me): Query {
  return {
    status: f.status.join(",") || undefined,
    priority: f.priority.join(",") || undefined,
    assignee_id: f.assignee === "me" ? me.id : f.assignee || undefined,
    company_id: f.company ?? undefined,
    quote_id: f.quote ?? undefined,
    channel: f.channel || undefined,
    q: f.q.trim() || undefined,
    sort: f.sort,
    resolution_breached: f.breached ? "true" : undefined,
    limit: PAGE,
  };
}

export function TicketsPage({ user }: { user: Me }) {
  useTitle("Service orders");
  const loc = useLocation();
  const filters = useMemo(() => readFilters(loc.search), [loc.search]);
  const [qText, setQText] = useState(filters.q);
  const q = useDebounced(qText, 300);
  const [rows, setRows] = useState<Ticket[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [views, setViews] = useState<SavedView[]>(() => loadViews(user.id));
  const [saving, setSaving] = useState(false);
  const [showFilters, setShowFilters] = useState(false);
  const [n, setN] = useState(0);
  const staff = users.use();
  const ctlRef = useRef<AbortController | null>(null);
  const canAssign = can("tickets.assign_many", user.role);
  const [selected, setSelected] = useState<Set<number>>(new Set());

  // the search box follows the URL (e.g. the top bar's search) …
  useEffect(() => setQText(filters.q), [filters.q]);
  // … and the URL follows the search box once typing pauses
  useEffect(() => {
    if (q !== filters.q) update({ q });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  function update(part: Partial<Filters>) {
    navigate("/tickets" + writeFilters({ ...filters, ...part }), { replace: true });
  }

  useEffect(() => {
    ctlRef.current?.abort();
    const ctl = new AbortController();
    ctlRef.current = ctl;
    setLoading(true);
    setError(null);
    setSelected(new Set());
    api
      .list<Ticket>("/tickets", apiQuery(filters, user), ctl.signal)
      .then((p) => {
        setRows(p.data);
        setCursor(p.next_cursor);
        setLoading(false);
      })
      .catch((e) => {
        if ((e as Error).name === "AbortError") return;
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => ctl.abort();
  }, [loc.search, n]);

  async function loadMore() {
    if (!cursor) return;
    setMore(true);
    try {
      const p = await api.list<Ticket>("/tickets", { ...apiQuery(filters, user), cursor });
      setRows((r) => [...r, ...p.data]);
      setCursor(p.next_cursor);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setMore(false);
    }
  }

  const current = writeFilters(filters);
  const builtIn: SavedView[] = [
    { name: "Open", query: "" },
    { name: "My open", query: "?assignee_id=me" },
    { name: "Unassigned", query: "?assignee_id=none&sort=created_at" },
    { name: "Breached", query: "?sort=resolution_due_at&resolution_breached=true" },
    { name: "From monitoring", query: "?channel=monitoring" },
    { name: "All", query: "?status=" },
  ];
  const filtered =
    filters.priority.length > 0 || !!filters.assignee || !!filters.company || !!filters.quote || !!filters.channel || !!filters.q || filters.breached ||
    current.includes("status=");

  function saveView(name: string) {
    const next = [...views.filter((v) => v.name !== name), { name, query: current }];
    setViews(next);
    saveViews(user.id, next);
    toast(`View “${name}” saved`);
  }

  function deleteView(name: string) {
    const next = views.filter((v) => v.name !== name);
    setViews(next);
    saveViews(user.id, next);
  }

  const staffOptions = (staff ?? []).filter((u) => u.active);
  const allOnPage = rows.length > 0 && rows.every((t) => selected.has(t.id));

  function toggle(id: number, on: boolean) {
    setSelected((cur) => {
      const next = new Set(cur);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }
  const activeCount = [!current.includes("status=") ? 0 : 1, filters.priority.length ? 1 : 0, filters.assignee ? 1 : 0, filters.company ? 1 : 0, filters.quote ? 1 : 0].reduce((a, b) => a + b, 0);

  return (
    <div>
      <PageHeader
        title="Service orders"
        actions={
          <>
            <Button onClick={() => setSaving(true)}>Save view</Button>
            {can("tickets.create", user.role) && (
              <LinkButton href="/tickets/new" variant="primary">
                New service order
              </LinkButton>
            )}
          </>
        }
      />

      <div class="list-toolbar">
      <nav class="chips views" aria-label="Views">
        {builtIn.map((v) => (
          <a key={v.name} href={"/tickets" + v.query} class={`chip ${current === v.query ? "is-active" : ""}`} aria-current={current === v.query ? "page" : undefined}>
            {v.name}
          </a>
        ))}
        {views.length > 0 && <span class="chips-sep" aria-hidden="true" />}
        {views.map((v) => (
          <span key={v.name} class={`chip ${current === v.query ? "is-active" : ""}`}>
            <a href={"/tickets" + v.query} class="chip-link" aria-current={current === v.query ? "page" : undefined}>
              {v.name}
            </a>
            <button type="button" class="chip-x" aria-label={`Delete view ${v.name}`} onClick={() => deleteView(v.name)}>
              ✕
            </button>
          </span>
        ))}
      </nav>
          <div class="filter-select sort-select">
            <label for="f-sort" class="sr-only">
              Sort
            </label>
            <select id="f-sort" class="input select filter-input" value={filters.sort} onChange={(e) => update({ sort: (e.currentTarget as HTMLSelectElement).value })}>
              {SORTS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          </div>
      </div>

      <section class="card list-card">
        <div class={`filters ${showFilters ? "is-open" : ""}`} role="group" aria-label="Filters">
          <div class="filter-search">
            <label for="ticket-q" class="sr-only">
              Search subject, description and notes
            </label>
            <input
              id="ticket-q"
              type="search"
              class="input"
              placeholder="Search subject, description, notes…"
              value={qText}
              onInput={(e) => setQText((e.currentTarget as HTMLInputElement).value)}
            />
          </div>
          <Button class="filters-toggle" aria-expanded={showFilters} aria-controls="filter-more" onClick={() => setShowFilters(!showFilters)}>
            Filters{activeCount ? ` (${activeCount})` : ""}
          </Button>
          <div class="filter-more" id="filter-more">
          <MultiSelect
            label="Status"
            options={STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] }))}
            value={filters.status}
            onValue={(v) => update({ status: v })}
            allLabel="Any status"
          />
          <MultiSelect
            label="Priority"
            options={PRIORITIES.map((p) => ({ value: p, label: PRIORITY_LABELS[p] }))}
            value={filters.priority}
            onValue={(v) => update({ priority: v })}
            allLabel="Any priority"
          />
          <div class="filter-select">
            <label for="f-assignee" class="sr-only">
              Assignee
            </label>
            <select id="f-assignee" class={`input select filter-input ${filters.assignee ? "is-set" : ""}`} value={filters.assignee} onChange={(e) => update({ assignee: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">Any assignee</option>
              <option value="me">Assigned to me</option>
              <option value="none">Unassigned</option>
              {staffOptions.map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
          <div class="filter-company">
            <CompanyPicker label="Company" hideLabel value={filters.company} onValue={(id) => update({ company: id })} placeholder="Any company" id="f-company" />
          </div>
          </div>
          {filters.quote && <QuoteChip id={filters.quote} onRemove={() => update({ quote: null })} />}
          {filters.channel && (
            <span class="chip is-active filter-chip">
              <span>Channel: {label(filters.channel, CHANNEL_LABELS)}</span>
              <button type="button" class="chip-x" aria-label="Remove the filter: channel" onClick={() => update({ channel: "" })}>
                ✕
              </button>
            </span>
          )}
          {filtered && (
            <button type="button" class="link-btn" onClick={() => navigate("/tickets", { replace: true })}>
              Clear filters
            </button>
          )}
        </div>

        {error ? (
          <ErrorState message={error} onRetry={() => setN((x) => x + 1)} />
        ) : loading ? (
          <Loading rows={6} label="Loading service orders…" />
        ) : rows.length === 0 ? (
          <Empty title={filtered ? "No service orders match" : "No open service orders"} icon="✓" action={filtered ? <LinkButton href="/tickets">Clear filters</LinkButton> : can("tickets.create", user.role) ? <LinkButton href="/tickets/new" variant="primary">New service order</LinkButton> : undefined}>
            {filtered ? "Try fewer filters or other words." : "Nothing is waiting. New service orders will show up here."}
          </Empty>
        ) : (
          <>
            {canAssign && selected.size > 0 && (
              <BulkAssign
                rows={rows.filter((t) => selected.has(t.id))}
                people={staffOptions}
                onClear={() => setSelected(new Set())}
                onDone={() => setN((x) => x + 1)}
              />
            )}
            <div class="table-wrap">
              <table class="table tickets-table" aria-label="Service orders">
                <thead>
                  <tr>
                    {canAssign && (
                      <th scope="col" class="col-select">
                        <input
                          type="checkbox"
                          aria-label="Select every service order on this page"
                          checked={allOnPage}
                          onChange={(e) => setSelected((e.currentTarget as HTMLInputElement).checked ? new Set(rows.map((t) => t.id)) : new Set())}
                        />
                      </th>
                    )}
                    <th scope="col">Service order</th>
                    <th scope="col">Status</th>
                    <th scope="col">Priority</th>
                    <th scope="col" class="col-assignee">Assignee</th>
                    <th scope="col">SLA</th>
                    <th scope="col" class="col-updated">Last activity</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((t) => (
                    <tr
                      key={t.id}
                      class={`clickable ${selected.has(t.id) ? "is-selected" : ""}`}
                      onClick={(e) => {
                        if ((e.target as HTMLElement).closest("a, input, .col-select")) return;
                        remember("tickets", t);
                        navigate(`/tickets/${t.id}`);
                      }}
                    >
                      {canAssign && (
                        <td class="col-select">
                          <input type="checkbox" aria-label={`Select ${t.number}`} checked={selected.has(t.id)} onChange={(e) => toggle(t.id, (e.currentTarget as HTMLInputElement).checked)} />
                        </td>
                      )}
                      <td class="col-main">
                        <div class="cell-title">
                          <span class="ticket-no">{t.number}</span>{" "}
                          <a href={`/tickets/${t.id}`} onClick={() => remember("tickets", t)}>
                            {t.subject}
                          </a>
                        </div>
                        <div class="cell-sub">
                          <CompanyName id={t.company_id} />
                        </div>
                      </td>
                      <td>
                        <StatusBadge status={t.status} />
                      </td>
                      <td>
                        <PriorityBadge priority={t.priority} />
                      </td>
                      <td class="col-assignee">
                        <UserName id={t.assignee_id} />
                      </td>
                      <td>
                        <SlaBadge ticket={t} compact />
                      </td>
                      <td class="col-updated muted nowrap" title={new Date(t.last_activity_at ?? t.updated_at).toLocaleString()}>
                        {relative(t.last_activity_at ?? t.updated_at)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="table-foot">
              <span>
                {rows.length} shown{cursor ? "" : " · that is all"}
              </span>
              {cursor && (
                <Button size="sm" onClick={loadMore} busy={more}>
                  Load more
                </Button>
              )}
            </div>
          </>
        )}
      </section>

      {saving && <SaveViewDialog onClose={() => setSaving(false)} onSave={(name) => { saveView(name); setSaving(false); }} existing={views.map((v) => v.name)} />}
    </div>
  );
}

interface Person {
  id: number;
  name: string;
  role: string;
}

/**
 * The bar over the list while rows are ticked: who takes them, and the
 * server's answer. All or nothing: a refusal lists every order it names.
 */
function BulkAssign({ rows, people, onClear, onDone }: { rows: Ticket[]; people: Person[]; onClear: () => void; onDone: () => void }) {
  const [who, setWho] = useState("");
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<{ id: number; message: string }[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // technicians first: they are who orders go to
  const ordered = [...people].sort((a, b) => Number(b.role === "technician") - Number(a.role === "technician") || a.name.localeCompare(b.name));
  const number = (id: number) => rows.find((t) => t.id === id)?.number ?? `#${id}`;

  async function assign() {
    if (!who) return setError("Choose who takes them.");
    setBusy(true);
    setError(null);
    setFailed(null);
    try {
      const r = await api.post<{ assigned: number }>("/tickets/assign", { ids: rows.map((t) => t.id), assignee_id: Number(who) });
      const name = people.find((p) => String(p.id) === who)?.name ?? "them";
      toast(`${r.assigned} service order${r.assigned === 1 ? "" : "s"} assigned to ${name}`);
      onDone();
    } catch (e) {
      const errors = e instanceof ApiError ? (e.problem.errors as { field: string; id?: number; message: string }[] | undefined) : undefined;
      const rowsFailed = (errors ?? []).filter((x) => x.field === "ids" && typeof x.id === "number").map((x) => ({ id: x.id as number, message: x.message }));
      if (rowsFailed.length) setFailed(rowsFailed);
      else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="bulk-bar" role="region" aria-label="Bulk assignment">
      <div class="bulk-bar-row">
        <strong class="bulk-count">{rows.length} selected</strong>
        <label for="bulk-assignee" class="sr-only">
          Assign to
        </label>
        <select id="bulk-assignee" class="input select" value={who} onChange={(e) => setWho((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">Assign to…</option>
          {ordered.map((p) => (
            <option key={p.id} value={String(p.id)}>
              {p.name}
              {p.role !== "technician" ? ` (${p.role})` : ""}
            </option>
          ))}
        </select>
        <Button variant="primary" size="sm" onClick={assign} busy={busy}>
          Assign
        </Button>
        <button type="button" class="link-btn" onClick={onClear}>
          Clear selection
        </button>
      </div>
      {error && <Alert>{error}</Alert>}
      {failed && (
        <Alert title="Nothing was assigned">
          <p>These service orders cannot go to that person; untick them or choose someone else:</p>
          <ul class="bulk-failed">
            {failed.map((f) => (
              <li key={f.id}>
                <strong>{number(f.id)}</strong>: {f.message}
              </li>
            ))}
          </ul>
        </Alert>
      )}
    </div>
  );
}

/** "From quote Q-000004 ✕": the list shows the orders an accepted quote made. */
function QuoteChip({ id, onRemove }: { id: number; onRemove: () => void }) {
  const q = useRecord<{ id: number; number: string; title: string }>("quotes", can("quotes.view") ? id : null);
  const name = q ? q.number : `#${id}`;
  return (
    <span class="chip is-active filter-chip" title={q ? q.title : undefined}>
      {can("quotes.view") ? (
        <a href={`/quotes/${id}`} class="chip-link">
          From quote {name}
        </a>
      ) : (
        <span>From quote {name}</span>
      )}
      <button type="button" class="chip-x" aria-label={`Remove the filter: from quote ${name}`} onClick={onRemove}>
        ✕
      </button>
    </span>
  );
}

function SaveViewDialog({ onClose, onSave, existing }: { onClose: () => void; onSave: (name: string) => void; existing: string[] }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | undefined>();
  return (
    <Dialog
      title="Save this view"
      description="Saves the current filters, search and sort under a name, in this browser."
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="save-view">
            Save view
          </Button>
        </>
      }
    >
      <form
        id="save-view"
        onSubmit={(e) => {
          e.preventDefault();
          const n = name.trim();
          if (!n) return setError("Give the view a name");
          onSave(n);
        }}
      >
        <TextField label="Name" value={name} onValue={setName} error={error} autoFocus hint={existing.includes(name.trim()) ? "A view with this name will be replaced." : undefined} />
      </form>
    </Dialog>
  );
}
