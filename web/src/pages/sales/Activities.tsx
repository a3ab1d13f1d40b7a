/*
 * Activities.tsx - calls, e-mails, meetings, visits and tasks. "My
 * follow-ups" is GET /me/follow-ups (my open ones, overdue first); "All"
 * pages through /activities with filters. Mark done is a PATCH of done_at
 * with If-Match; new and edited activities go through ActivityDialog.
 */
import { useEffect, useState } from "preact/hooks";
import { CompanyName, UserName } from "../../components/names";
import { Badge, Button, Empty, ErrorState, Loading, PageHeader, TabPanel, Tabs, toast } from "../../components/ui";
import { api, errorMessage, type Query } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useLoad, useTitle } from "../../lib/hooks";
import { users } from "../../lib/lookup";
import { navigate, useLocation } from "../../lib/router";
import type { Me } from "../../lib/session";
import { ACTIVITY_ICON, ACTIVITY_KINDS, ACTIVITY_LABELS, type Activity } from "./model";
import { ActivityDialog, markDone } from "./parts";

export function ActivitiesPage({ user }: { user: Me }) {
  useTitle("Activities");
  const loc = useLocation();
  const tab = new URLSearchParams(loc.search).get("tab") === "all" ? "all" : "mine";
  const [editing, setEditing] = useState<Activity | "new" | null>(null);
  const [n, setN] = useState(0);

  return (
    <div>
      <PageHeader
        title="Activities"
        subtitle="Calls, e-mails, meetings, visits and tasks — and what you still have to follow up."
        actions={
          <Button variant="primary" onClick={() => setEditing("new")}>
            New activity
          </Button>
        }
      />
      <section class="card">
        <Tabs
          label="Which activities"
          active={tab}
          onChange={(t) => navigate("/activities" + (t === "all" ? "?tab=all" : ""), { replace: true })}
          tabs={[
            { id: "mine", label: "My follow-ups" },
            { id: "all", label: "All activities" },
          ]}
        />
        <TabPanel id={tab}>
          {tab === "mine" ? <FollowUps key={n} onEdit={setEditing} /> : <AllActivities key={n} user={user} onEdit={setEditing} />}
        </TabPanel>
      </section>
      {editing && (
        <ActivityDialog
          record={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onDone={() => {
            toast(editing === "new" ? "Activity created" : "Activity saved");
            setEditing(null);
            setN((x) => x + 1);
          }}
        />
      )}
    </div>
  );
}

function FollowUps({ onEdit }: { onEdit: (a: Activity) => void }) {
  const list = useLoad((signal) => api.get<{ data: Activity[] }>("/me/follow-ups", undefined, signal).then((r) => r.data), []);
  if (list.error) return <ErrorState message={list.error} onRetry={list.reload} />;
  if (!list.data) return <Loading rows={4} label="Loading your follow-ups…" />;
  if (list.data.length === 0)
    return (
      <Empty title="Nothing to follow up" icon="✓">
        Open activities you own appear here, overdue first.
      </Empty>
    );
  const overdue = list.data.filter((a) => a.overdue).length;
  return (
    <div class="stack">
      <p class="small muted" aria-live="polite">
        {list.data.length} open{overdue ? `, ${overdue} overdue` : ""}
      </p>
      <ActivityList rows={list.data} onEdit={onEdit} onChanged={(a) => list.set(list.data!.filter((x) => x.id !== a.id || !a.done_at))} />
    </div>
  );
}

function AllActivities({ user, onEdit }: { user: Me; onEdit: (a: Activity) => void }) {
  const [state, setState] = useState<"open" | "done" | "">("open");
  const [kind, setKind] = useState("");
  const [owner, setOwner] = useState("");
  const [rows, setRows] = useState<Activity[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const staff = users.use();

  const query: Query = {
    kind: kind || undefined,
    owner_id: owner === "me" ? user.id : owner || undefined,
    done_at_after: state === "done" ? "2000-01-01T00:00:00Z" : undefined,
    sort: state === "done" ? "-done_at" : state === "open" ? "due_at" : "-due_at",
    limit: 25,
  };

  useEffect(() => {
    const ctl = new AbortController();
    setRows(null);
    setError(null);
    api.list<Activity>("/activities", query, ctl.signal).then(
      (p) => {
        setRows(p.data);
        setCursor(p.next_cursor);
      },
      (e) => {
        if ((e as Error).name !== "AbortError") setError(errorMessage(e));
      },
    );
    return () => ctl.abort();
  }, [state, kind, owner]);

  async function loadMore() {
    setMore(true);
    try {
      const p = await api.list<Activity>("/activities", { ...query, cursor });
      setRows((r) => [...(r ?? []), ...p.data]);
      setCursor(p.next_cursor);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setMore(false);
    }
  }

  const shown = (list: Activity[]) => (state === "open" ? list.filter((a) => !a.done_at) : list);

  return (
    <div class="stack">
      <div class="filters filters-flat" role="group" aria-label="Filters">
        <div class="chips" role="group" aria-label="State">
          {[
            { v: "open", l: "Open" },
            { v: "done", l: "Done" },
            { v: "", l: "All" },
          ].map((c) => (
            <button key={c.v} type="button" class={`chip ${state === c.v ? "is-active" : ""}`} aria-pressed={state === c.v} onClick={() => setState(c.v as typeof state)}>
              {c.l}
            </button>
          ))}
        </div>
        <div class="filter-select">
          <label class="sr-only" for="act-kind">
            Kind
          </label>
          <select id="act-kind" class={`input select filter-input ${kind ? "is-set" : ""}`} value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Any kind</option>
            {ACTIVITY_KINDS.map((k) => (
              <option key={k} value={k}>
                {ACTIVITY_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
        <div class="filter-select">
          <label class="sr-only" for="act-owner">
            Owner
          </label>
          <select id="act-owner" class={`input select filter-input ${owner ? "is-set" : ""}`} value={owner} onChange={(e) => setOwner((e.currentTarget as HTMLSelectElement).value)}>
            <option value="">Anyone</option>
            <option value="me">Mine</option>
            {(staff ?? [])
              .filter((u) => u.active)
              .map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.name}
                </option>
              ))}
          </select>
        </div>
      </div>
      {error ? (
        <ErrorState message={error} />
      ) : !rows ? (
        <Loading rows={4} />
      ) : shown(rows).length === 0 && !cursor ? (
        <Empty title="No activities match" icon="○" />
      ) : (
        <>
          {state === "open" && rows.length > shown(rows).length && (
            <p class="small muted">Done activities on these pages are hidden (the list has no "still open" filter; "My follow-ups" has yours).</p>
          )}
          <ActivityList rows={shown(rows)} onEdit={onEdit} showOwner onChanged={(a) => setRows((r) => (r ?? []).map((x) => (x.id === a.id ? a : x)))} />
          {cursor && (
            <div class="center">
              <Button size="sm" onClick={loadMore} busy={more}>
                Load more
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}

export function ActivityList({ rows, onEdit, onChanged, showOwner }: { rows: Activity[]; onEdit: (a: Activity) => void; onChanged: (a: Activity) => void; showOwner?: boolean }) {
  const [busy, setBusy] = useState<number | null>(null);
  async function toggle(a: Activity) {
    setBusy(a.id);
    const saved = await markDone(a, !a.done_at);
    setBusy(null);
    if (saved) {
      toast(saved.done_at ? `Done: ${a.subject}` : `Reopened: ${a.subject}`);
      onChanged(saved);
    }
  }
  return (
    <ul class="act-list">
      {rows.map((a) => (
        <li key={a.id} class={`act ${a.overdue ? "is-overdue" : ""} ${a.done_at ? "is-done" : ""}`}>
          <span class={`act-icon act-${a.kind}`} aria-hidden="true">
            {ACTIVITY_ICON[a.kind]}
          </span>
          <div class="act-main">
            <button type="button" class="act-subject" onClick={() => onEdit(a)}>
              {a.subject}
            </button>
            <div class="act-sub small">
              <span>{ACTIVITY_LABELS[a.kind]}</span>
              {a.company_id && (
                <>
                  {" · "}
                  <CompanyName id={a.company_id} link />
                </>
              )}
              {showOwner && (
                <>
                  {" · "}
                  <UserName id={a.owner_id} empty="No owner" />
                </>
              )}
            </div>
          </div>
          <div class="act-when small">
            {a.done_at ? (
              <span class="muted">Done {relative(a.done_at)}</span>
            ) : a.due_at ? (
              <>
                {a.overdue && <Badge tone="red">Overdue</Badge>}
                <span class={a.overdue ? "text-danger" : ""} title={dateTime(a.due_at)}>
                  {a.overdue ? `due ${relative(a.due_at)}` : `Due ${relative(a.due_at)}`}
                </span>
              </>
            ) : (
              <span class="muted">No due time</span>
            )}
          </div>
          <Button size="sm" variant={a.done_at ? "ghost" : "secondary"} busy={busy === a.id} onClick={() => toggle(a)} aria-label={a.done_at ? `Reopen ${a.subject}` : `Mark ${a.subject} done`}>
            {a.done_at ? "Reopen" : "Mark done"}
          </Button>
        </li>
      ))}
    </ul>
  );
}
