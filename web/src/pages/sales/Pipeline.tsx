/*
 * Pipeline.tsx - the sales pipeline as a board: a column per stage with
 * its count and value, cards for the deals (title, company, value, owner,
 * expected close). Drag a card to another column to change its stage
 * (PATCH with If-Match; "lost" asks for the reason first); every card also
 * has a menu to move it without a mouse. Filters (owner, source, search,
 * how far back closed deals go) live in the URL. The reports sit above.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { CompanyName } from "../../components/names";
import { Avatar, Button, Empty, ErrorState, Loading, Menu, PageHeader, toast, type MenuItem } from "../../components/ui";
import { api, ApiError, errorMessage, listAll } from "../../lib/api";
import { date, money } from "../../lib/format";
import { useDebounced, useTitle } from "../../lib/hooks";
import { userName, users } from "../../lib/lookup";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { ActivityDialog, LostDialog, OpportunityDialog } from "./parts";
import { SalesReports } from "./Reports";
import { OPEN_STAGES, STAGE_LABELS, STAGES, sumByCurrency, todayIso, type Opportunity, type Stage } from "./model";

const CAP_OPEN = 500;
const CAP_CLOSED = 300;

interface Filters {
  owner: string;
  source: string;
  q: string;
  closed: string;
  range: string;
}

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  return {
    owner: p.get("owner_id") ?? "",
    source: p.get("source") ?? "",
    q: p.get("q") ?? "",
    closed: p.get("closed") ?? "90",
    range: p.get("range") ?? "12",
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  if (f.owner) p.set("owner_id", f.owner);
  if (f.source) p.set("source", f.source);
  if (f.q) p.set("q", f.q);
  if (f.closed !== "90") p.set("closed", f.closed);
  if (f.range !== "12") p.set("range", f.range);
  const s = p.toString();
  return s ? "?" + s : "";
}

function totalText(list: Opportunity[]): string {
  const sums = sumByCurrency(list.map((o) => ({ currency: o.currency, value: o.estimated_value })));
  if (sums.size === 0) return money(0);
  return [...sums.entries()].map(([c, v]) => money(v, c)).join(" + ");
}

const REPORTS_KEY = "servio.pipeline.reports";

export function PipelinePage({ user }: { user: Me }) {
  useTitle("Pipeline");
  const loc = useLocation();
  const f = useMemo(() => readFilters(loc.search), [loc.search]);
  const [qText, setQText] = useState(f.q);
  const q = useDebounced(qText, 300);
  const [rows, setRows] = useState<Opportunity[] | null>(null);
  const [capped, setCapped] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);
  const [editing, setEditing] = useState<Opportunity | "new" | null>(null);
  const [logging, setLogging] = useState<Opportunity | null>(null);
  const [losing, setLosing] = useState<Opportunity | null>(null);
  const [dragId, setDragId] = useState<number | null>(null);
  const [over, setOver] = useState<Stage | null>(null);
  const [showReports, setShowReports] = useState(() => {
    const saved = localStorage.getItem(REPORTS_KEY);
    return saved ? saved === "shown" : !window.matchMedia("(max-width: 720px)").matches;
  });
  const [changes, setChanges] = useState(0);
  const [sources, setSources] = useState<string[]>([]);
  const staff = users.use();
  const edit = can("opportunities.edit", user.role);
  const reports = can("reports.sales", user.role);
  const boardRef = useRef<HTMLDivElement>(null);

  useEffect(() => setQText(f.q), [f.q]);
  useEffect(() => {
    if (q !== f.q) update({ q });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  function update(part: Partial<Filters>) {
    navigate("/pipeline" + writeFilters({ ...f, ...part }), { replace: true });
  }

  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    const base = {
      owner_id: f.owner === "me" ? user.id : f.owner || undefined,
      source: f.source || undefined,
      q: f.q.trim() || undefined,
    };
    const since = new Date(Date.now() - Number(f.closed || 90) * 86400000).toISOString().replace(/\.\d{3}Z$/, "Z");
    Promise.all([
      listAll<Opportunity>("/opportunities", { ...base, stage: OPEN_STAGES.join(","), sort: "expected_close_on" }, CAP_OPEN),
      listAll<Opportunity>("/opportunities", { ...base, stage: "won,lost", closed_at_after: f.closed === "all" ? undefined : since, sort: "-closed_at" }, CAP_CLOSED),
    ])
      .then(([open, closed]) => {
        if (ctl.signal.aborted) return;
        setRows([...open, ...closed]);
        setCapped(open.length >= CAP_OPEN || closed.length >= CAP_CLOSED);
        setSources((s) => [...new Set([...s, ...[...open, ...closed].map((o) => o.source).filter((x): x is string => !!x)])].sort());
      })
      .catch((e) => {
        if (!ctl.signal.aborted) setError(errorMessage(e));
      });
    return () => ctl.abort();
  }, [loc.search, n]);

  const byStage = useMemo(() => {
    const m = new Map<Stage, Opportunity[]>(STAGES.map((s) => [s, []]));
    for (const o of rows ?? []) m.get(o.stage)?.push(o);
    return m;
  }, [rows]);

  function replace(o: Opportunity) {
    setRows((r) => (r ?? []).map((x) => (x.id === o.id ? o : x)));
    setChanges((c) => c + 1);
  }

  async function move(o: Opportunity, stage: Stage) {
    if (o.stage === stage) return;
    if (stage === "lost") {
      setLosing(o);
      return;
    }
    replace({ ...o, stage });
    try {
      const saved = await api.patch<Opportunity>(`/opportunities/${o.id}`, { stage }, o.version);
      replace(saved);
      toast(`“${o.title}” moved to ${STAGE_LABELS[stage]}`);
    } catch (e) {
      replace(o);
      toast(errorMessage(e), "error");
      if (e instanceof ApiError && e.status === 412) setN((x) => x + 1);
    }
  }

  function onDrop(stage: Stage, e: DragEvent) {
    e.preventDefault();
    setOver(null);
    const id = Number(e.dataTransfer?.getData("text/plain") || dragId);
    setDragId(null);
    const o = rows?.find((x) => x.id === id);
    if (o) void move(o, stage);
  }

  const ownerOptions = (staff ?? []).filter((u) => u.active && !u.archived_at && u.role !== "technician");
  const filtered = !!(f.owner || f.source || f.q);

  return (
    <div class="pipeline-page">
      <PageHeader
        title="Pipeline"
        subtitle="Deals by stage. Drag a card to another column, or use its ⋯ menu, to move it."
        actions={
          <>
            {reports && (
              <Button
                variant="ghost"
                aria-expanded={showReports}
                aria-controls="pipeline-reports"
                onClick={() => {
                  localStorage.setItem(REPORTS_KEY, showReports ? "hidden" : "shown");
                  setShowReports(!showReports);
                }}
              >
                {showReports ? "Hide reports" : "Show reports"}
              </Button>
            )}
            {edit && (
              <Button variant="primary" onClick={() => setEditing("new")}>
                New opportunity
              </Button>
            )}
          </>
        }
      />

      {reports && showReports && (
        <div id="pipeline-reports">
          <SalesReports range={f.range} refresh={changes} onRange={(r) => update({ range: r })} />
        </div>
      )}

      <section class="card list-card board-filters">
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-search">
            <label for="opp-q" class="sr-only">
              Search deals
            </label>
            <input id="opp-q" type="search" class="input" placeholder="Search title, source, campaign, notes…" value={qText} onInput={(e) => setQText((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <div class="filter-select">
            <label for="opp-owner" class="sr-only">
              Owner
            </label>
            <select id="opp-owner" class={`input select filter-input ${f.owner ? "is-set" : ""}`} value={f.owner} onChange={(e) => update({ owner: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">Any owner</option>
              <option value="me">Mine</option>
              {ownerOptions.map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.name}
                </option>
              ))}
            </select>
          </div>
          <div class="filter-select">
            <label for="opp-source" class="sr-only">
              Lead source
            </label>
            <select id="opp-source" class={`input select filter-input ${f.source ? "is-set" : ""}`} value={f.source} onChange={(e) => update({ source: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="">Any source</option>
              {[...new Set([...sources, ...(f.source ? [f.source] : [])])].map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </div>
          <div class="filter-select">
            <label for="opp-closed" class="sr-only">
              Won and lost deals closed within
            </label>
            <select id="opp-closed" class="input select filter-input" value={f.closed} onChange={(e) => update({ closed: (e.currentTarget as HTMLSelectElement).value })}>
              <option value="30">Closed in the last 30 days</option>
              <option value="90">Closed in the last 90 days</option>
              <option value="365">Closed in the last year</option>
              <option value="all">All closed deals</option>
            </select>
          </div>
          {filtered && (
            <button type="button" class="link-btn" onClick={() => { setQText(""); update({ owner: "", source: "", q: "" }); }}>
              Clear filters
            </button>
          )}
        </div>
      </section>

      {error ? (
        <ErrorState message={error} onRetry={() => setN((x) => x + 1)} />
      ) : !rows ? (
        <Loading rows={5} label="Loading the pipeline…" />
      ) : rows.length === 0 && !filtered ? (
        <section class="card">
          <Empty title="No deals yet" icon="◎" action={edit && <Button variant="primary" onClick={() => setEditing("new")}>New opportunity</Button>}>
            Record the first opportunity to start your pipeline.
          </Empty>
        </section>
      ) : (
        <>
          {capped && <p class="small muted">Showing the first {CAP_OPEN} open deals; narrow the filters to see the rest.</p>}
          <div class="pboard" ref={boardRef} aria-label="Pipeline board" role="region" tabIndex={-1}>
            {STAGES.map((s) => {
              const list = byStage.get(s) ?? [];
              return (
                <section
                  key={s}
                  class={`pcol pcol-${s} ${over === s ? "is-over" : ""}`}
                  aria-labelledby={`pcol-${s}`}
                  onDragOver={(e) => {
                    if (dragId === null) return;
                    e.preventDefault();
                    if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
                    if (over !== s) setOver(s);
                  }}
                  onDragLeave={(e) => {
                    if (!(e.currentTarget as HTMLElement).contains(e.relatedTarget as Node)) setOver((o) => (o === s ? null : o));
                  }}
                  onDrop={(e) => onDrop(s, e)}
                >
                  <header class="pcol-head">
                    <h2 id={`pcol-${s}`} class="pcol-title">
                      <span class={`pcol-dot pcol-dot-${s}`} aria-hidden="true" />
                      {STAGE_LABELS[s]}
                      <span class="count" aria-label={`${list.length} deals`}>
                        {list.length}
                      </span>
                    </h2>
                    <div class="pcol-total" title="Sum of estimated values">
                      {totalText(list)}
                    </div>
                  </header>
                  <ul class="pcol-list" aria-label={`${STAGE_LABELS[s]} deals`}>
                    {list.length === 0 && <li class="pcol-empty">{dragId !== null ? "Drop here" : s === "won" || s === "lost" ? "None closed in this period" : "No deals"}</li>}
                    {list.map((o) => (
                      <OppCard
                        key={o.id}
                        o={o}
                        owner={userName(staff, o.owner_id)}
                        dragging={dragId === o.id}
                        editable={edit}
                        onDragStart={(e) => {
                          setDragId(o.id);
                          e.dataTransfer?.setData("text/plain", String(o.id));
                          if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
                        }}
                        onDragEnd={() => {
                          setDragId(null);
                          setOver(null);
                        }}
                        onOpen={() => setEditing(o)}
                        onMove={(st) => void move(o, st)}
                        onLog={() => setLogging(o)}
                      />
                    ))}
                  </ul>
                </section>
              );
            })}
          </div>
        </>
      )}

      {editing && (
        <OpportunityDialog
          record={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(o) => {
            if (editing === "new") {
              setRows((r) => [o, ...(r ?? [])]);
              setChanges((c) => c + 1);
              toast(`“${o.title}” added to the pipeline`);
            } else {
              replace(o);
              toast("Saved");
            }
            setEditing(null);
          }}
          extraActions={
            editing !== "new" && (
              <>
                {can("quotes.edit", user.role) && (
                  <a class="btn btn-subtle btn-md" href={`/quotes/new?opportunity_id=${editing.id}&company_id=${editing.company_id}`}>
                    New quote
                  </a>
                )}
                <a class="btn btn-ghost btn-md" href={`/quotes?opportunity_id=${editing.id}&status=`}>
                  Its quotes
                </a>
              </>
            )
          }
        />
      )}
      {logging && (
        <ActivityDialog
          defaults={{ opportunity_id: logging.id, company_id: logging.company_id, subject: `Follow up: ${logging.title}`, kind: "call" }}
          onClose={() => setLogging(null)}
          onDone={() => {
            setLogging(null);
            toast("Activity added to your follow-ups");
          }}
        />
      )}
      {losing && (
        <LostDialog
          opp={losing}
          onClose={() => setLosing(null)}
          onConfirm={async (reason) => {
            const saved = await api.patch<Opportunity>(`/opportunities/${losing.id}`, { stage: "lost", lost_reason: reason }, losing.version);
            replace(saved);
            toast(`“${losing.title}” marked lost`);
          }}
        />
      )}
    </div>
  );
}

function OppCard({ o, owner, dragging, editable, onDragStart, onDragEnd, onOpen, onMove, onLog }: {
  o: Opportunity;
  owner: string;
  dragging: boolean;
  editable: boolean;
  onDragStart: (e: DragEvent) => void;
  onDragEnd: () => void;
  onOpen: () => void;
  onMove: (s: Stage) => void;
  onLog: () => void;
}) {
  const open = o.stage !== "won" && o.stage !== "lost";
  const late = open && o.expected_close_on && o.expected_close_on < todayIso();
  const items: MenuItem[] = [
    ...(editable ? STAGES.filter((s) => s !== o.stage).map((s) => ({ label: `Move to ${STAGE_LABELS[s]}`, onSelect: () => onMove(s) })) : []),
    { label: editable ? "Edit…" : "Details…", onSelect: onOpen },
    ...(can("quotes.edit") ? [{ label: "New quote…", onSelect: () => navigate(`/quotes/new?opportunity_id=${o.id}&company_id=${o.company_id}`) }] : []),
    { label: "Log activity…", onSelect: onLog },
  ];
  return (
    <li
      class={`opp-card ${dragging ? "is-dragging" : ""}`}
      draggable={editable}
      onDragStart={onDragStart}
      onDragEnd={onDragEnd}
      data-id={o.id}
    >
      <button type="button" class="opp-card-title" onClick={onOpen}>
        {o.title}
      </button>
      <div class="opp-card-company small">
        <CompanyName id={o.company_id} />
        {o.source && <span class="opp-card-source">{o.source}</span>}
      </div>
      <div class="opp-card-meta">
        <strong class="num">{o.estimated_value !== null ? money(o.estimated_value, o.currency) : <span class="muted">No value</span>}</strong>
        {open && o.expected_close_on && (
          <span class={`small ${late ? "text-danger" : "muted"}`} title="Expected close">
            {late ? "Was due " : "Close "}
            {date(o.expected_close_on)}
          </span>
        )}
        {!open && o.closed_at && <span class="small muted">{date(o.closed_at)}</span>}
      </div>
      {o.stage === "lost" && o.lost_reason && <div class="opp-card-reason small">{o.lost_reason}</div>}
      <div class="opp-card-foot">
        <span class="opp-card-owner small">
          {o.owner_id ? <Avatar name={owner} size="sm" /> : null}
          <span>{o.owner_id ? owner : "No owner"}</span>
        </span>
        <Menu variant="ghost" align="right" label={<span aria-hidden="true">⋯</span>} buttonLabel={`Actions for ${o.title}`} items={items} />
      </div>
    </li>
  );
}
