/*
 * Dispatch.tsx - the dispatcher's board. It opens on today (in the firm's
 * time zone) as a timeline per technician, with the queue of open service
 * orders that have no visit today or later on the left: drag an order onto a
 * technician's time to book the visit (and assign the order when nobody
 * has it), drag a visit along or to another row to move it, drag its
 * right edge to change when it ends. Every card is also a button that
 * opens the same booking as a form, for keyboards; on a phone the day is
 * a list per technician. The week view below is the older board:
 * the week by technician. Appointments are blocks in the
 * technician's row and the day's column; drag one to another day or
 * technician to reschedule or reassign (a PATCH with If-Match). The API
 * refuses double bookings with 409; the UI shows the conflict and offers
 * to book anyway (allow_overlap). Overlaps already on the board are
 * marked. Every block is also a button that opens the same edit as a form,
 * for keyboards and phones.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { PriorityBadge } from "../components/badges";
import { SearchPicker, UserSelect } from "../components/pickers";
import { Alert, Badge, Button, Dialog, ErrorState, Loading, PageHeader, SelectField, TextArea, TextField, toast } from "../components/ui";
import { api, ApiError, errorMessage, listAll } from "../lib/api";
import { addDays, day, fromLocalInput, iso, relative, startOfDay, time, timeRange, toLocalInput } from "../lib/format";
import { useForm, useLoad, useTitle } from "../lib/hooks";
import { remember, useRecord, userName, users } from "../lib/lookup";
import { OPEN_STATUSES } from "../lib/tickets";
import { addDay, browserZone, dayName, knownZone, zoneDay, zonedTime, zoneTime } from "../lib/zone";
import { can, type Me } from "../lib/session";
import { AppointmentStatusValues, type Appointment, type Company, type Ticket, type User } from "../lib/types";

function monday(d: Date): Date {
  const s = startOfDay(d);
  const wd = (s.getDay() + 6) % 7;
  return addDays(s, -wd);
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** ids of appointments that overlap another of the same technician */
function overlaps(list: Appointment[]): Set<number> {
  const out = new Set<number>();
  const live = list.filter((a) => a.status !== "cancelled");
  for (let i = 0; i < live.length; i++)
    for (let j = i + 1; j < live.length; j++) {
      const a = live[i];
      const b = live[j];
      if (a.user_id === b.user_id && a.starts_at < b.ends_at && b.starts_at < a.ends_at) {
        out.add(a.id);
        out.add(b.id);
      }
    }
  return out;
}

function TicketLabel({ id }: { id: number | null }) {
  const t = useRecord<Ticket>("tickets", id);
  if (!id) return null;
  return <span class="appt-ticket">{t ? t.number : "…"}</span>;
}

interface Move {
  appt: Appointment;
  patch: Record<string, unknown>;
  conflict?: string;
}

const OPEN = OPEN_STATUSES.join(",");
const PRIORITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
/* the day's timeline: 06:00 to 21:00 in the firm's zone, 15-minute steps */
const H0 = 6;
const H1 = 21;
const PX_PER_HOUR = 88;
const STEP = 15 * 60000;
const HOUR = 3600000;

function useNarrow(query = "(max-width: 700px)"): boolean {
  const [narrow, setNarrow] = useState(() => typeof matchMedia === "function" && matchMedia(query).matches);
  useEffect(() => {
    if (typeof matchMedia !== "function") return;
    const m = matchMedia(query);
    const on = () => setNarrow(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, [query]);
  return narrow;
}

/** Assigns an unassigned order to whoever was booked for it (a visit dropped from the queue). */
async function assignIfNone(ticketId: number, userId: number): Promise<string | null> {
  try {
    const t = await api.get<Ticket>(`/tickets/${ticketId}`);
    if (t.assignee_id) return null;
    remember("tickets", await api.patch<Ticket>(`/tickets/${ticketId}`, { assignee_id: userId }, t.version));
    return null;
  } catch (e) {
    return errorMessage(e);
  }
}

function ClientName({ id }: { id: number | null | undefined }) {
  const c = useRecord<Company>("companies", id ?? null);
  if (!id) return null;
  return <span class="dcard-client">{c ? c.name : "…"}</span>;
}

/** What a card says of its order: number, client, priority. */
function OrderLine({ ticketId }: { ticketId: number | null }) {
  const t = useRecord<Ticket>("tickets", ticketId);
  if (!ticketId) return null;
  if (!t) return <span class="dcard-order">…</span>;
  return (
    <span class="dcard-order">
      <span class="appt-ticket">{t.number}</span> <ClientName id={t.company_id} />
    </span>
  );
}

function OrderPriority({ ticketId }: { ticketId: number | null }) {
  const t = useRecord<Ticket>("tickets", ticketId);
  return t ? <PriorityBadge priority={t.priority} /> : null;
}

function QueueCard({ t, onPointerDown, onOpen, dragging }: { t: Ticket; onPointerDown?: (e: PointerEvent) => void; onOpen: () => void; dragging: boolean }) {
  const due = t.resolution_due_at ?? t.response_due_at;
  return (
    <li>
      <button
        type="button"
        class={`dcard qcard prio-edge-${t.priority} ${dragging ? "is-dragging" : ""}`}
        onPointerDown={onPointerDown}
        onClick={onOpen}
        aria-label={`${t.number} ${t.subject}: schedule a visit`}
      >
        <span class="dcard-order">
          <span class="appt-ticket">{t.number}</span> <ClientName id={t.company_id} /> <PriorityBadge priority={t.priority} />
        </span>
        <span class="dcard-subject">{t.subject}</span>
        <span class="dcard-meta">
          {due ? <>SLA due {relative(due)}</> : "No SLA"}
          {t.assignee_id ? <> · <UserName id={t.assignee_id} /></> : " · Unassigned"}
        </span>
      </button>
    </li>
  );
}

function UserName({ id }: { id: number }) {
  const list = users.use();
  return <>{userName(list ?? null, id)}</>;
}

type Drag =
  | { kind: "ticket"; ticket: Ticket; x0: number; y0: number; moved: boolean; grab: number; ms: number; at?: { userId: number; start: number } }
  | { kind: "move"; appt: Appointment; x0: number; y0: number; moved: boolean; grab: number; ms: number; at?: { userId: number; start: number } }
  | { kind: "resize"; appt: Appointment; x0: number; y0: number; moved: boolean; end?: number };

interface Pending {
  run: (allow: boolean) => Promise<string>;
  conflict?: string;
}

function DayBoard({ user, tz }: { user: Me; tz: string }) {
  const [ymd, setYmd] = useState(() => zoneDay(Date.now(), tz));
  const dayStart = zonedTime(ymd, 0, 0, tz);
  const dayEnd = zonedTime(addDay(ymd, 1), 0, 0, tz);
  const t0 = zonedTime(ymd, H0, 0, tz);
  const span = (H1 - H0) * HOUR;
  const appts = useLoad(() => listAll<Appointment>("/appointments", { starts_at_before: new Date(dayEnd).toISOString(), ends_at_after: new Date(dayStart).toISOString(), sort: "starts_at" }, 2000), [dayStart]);
  const queue = useLoad(async () => {
    const [open, live] = await Promise.all([
      listAll<Ticket>("/tickets", { status: OPEN }, 600),
      // a visit today or later books the order, also one earlier today (the board shows it):
      // only an order whose visits are all on past days needs another
      listAll<Appointment>("/appointments", { status: "proposed,scheduled,confirmed,in_progress", ends_at_after: new Date(zonedTime(zoneDay(Date.now(), tz), 0, 0, tz)).toISOString() }, 4000),
    ]);
    const booked = new Set(live.map((a) => a.ticket_id));
    const out = open.filter((t) => !booked.has(t.id));
    for (const t of out) remember("tickets", t);
    const due = (t: Ticket) => t.resolution_due_at ?? t.response_due_at ?? "9999";
    return out.sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || due(a).localeCompare(due(b)) || a.id - b.id);
  }, []);
  const staff = users.use();
  const narrow = useNarrow();
  const editable = can("appointments.edit", user.role);
  /* a technician moves only their own visits (the API's owner rule); managers anyone's */
  const mayMove = (userId: number) => editable && (user.role === "admin" || user.role === "manager" || userId === user.id);
  const [drag, setDrag] = useState<Drag | null>(null);
  const dragRef = useRef<Drag | null>(null);
  const suppressClick = useRef(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<{ appt?: Appointment; userId: number | null; ticket?: Ticket } | null>(null);

  const list = appts.data ?? [];
  const clash = overlaps(list);
  const techs: User[] = (staff ?? []).filter((u) => u.active && !u.archived_at && (u.role === "technician" || list.some((a) => a.user_id === u.id)));
  const nowMs = Date.now();
  const isToday = ymd === zoneDay(nowMs, tz);

  function reload() {
    appts.reload();
    queue.reload();
  }

  async function attempt(p: Pending, allow = false) {
    setBusy(true);
    try {
      const msg = await p.run(allow);
      setPending(null);
      toast(msg);
      reload();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && e.fields.starts_at) {
        setPending({ ...p, conflict: e.fields.starts_at });
      } else {
        setPending(null);
        toast(errorMessage(e), "error");
        reload();
      }
    } finally {
      setBusy(false);
    }
  }

  /* where the pointer is: which technician's lane and what time (snapped) */
  function slotAt(x: number, y: number): { userId: number; t: number } | null {
    const el = document.elementFromPoint(x, y)?.closest("[data-lane]") as HTMLElement | null;
    if (!el) return null;
    const r = el.getBoundingClientRect();
    const t = t0 + ((x - r.left) / r.width) * span;
    return { userId: Number(el.dataset.lane), t };
  }
  const snap = (t: number) => Math.round((t - dayStart) / STEP) * STEP + dayStart;

  function begin(d: Drag, e: PointerEvent) {
    if (!editable || e.button !== 0) return;
    e.preventDefault(); // no text selection, no native drag
    dragRef.current = d;
    setDrag(d);
  }

  useEffect(() => {
    if (!drag) return;
    function move(e: PointerEvent) {
      const d = dragRef.current;
      if (!d) return;
      const moved = d.moved || Math.abs(e.clientX - d.x0) + Math.abs(e.clientY - d.y0) > 4;
      let next: Drag = { ...d, moved };
      const slot = slotAt(e.clientX, e.clientY);
      if (d.kind === "resize") {
        const start = new Date(d.appt.starts_at).getTime();
        if (slot) next = { ...d, moved, end: Math.max(start + STEP, snap(slot.t)) };
      } else {
        next = { ...d, moved, at: slot ? { userId: slot.userId, start: snap(slot.t - d.grab) } : undefined };
      }
      dragRef.current = next;
      setDrag(next);
    }
    function up() {
      const d = dragRef.current;
      dragRef.current = null;
      setDrag(null);
      if (!d || !d.moved) return;
      suppressClick.current = true;
      setTimeout(() => (suppressClick.current = false), 0);
      drop(d);
    }
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
  }, [drag !== null]);

  function drop(d: Drag) {
    if (d.kind === "resize") {
      if (!d.end || d.end === new Date(d.appt.ends_at).getTime()) return;
      const end = new Date(d.end).toISOString();
      void attempt({
        run: async (allow) => {
          await api.patch(`/appointments/${d.appt.id}`, allow ? { ends_at: end, allow_overlap: true } : { ends_at: end }, d.appt.version);
          return `Visit now ends at ${zoneTime(end, tz)}`;
        },
      });
      return;
    }
    if (!d.at) return;
    const { userId, start } = d.at;
    const s = new Date(start).toISOString();
    const e = new Date(start + d.ms).toISOString();
    if (d.kind === "move") {
      if (s === new Date(d.appt.starts_at).toISOString() && userId === d.appt.user_id) return;
      const patch: Record<string, unknown> = { starts_at: s, ends_at: e };
      if (userId !== d.appt.user_id) patch.user_id = userId;
      void attempt({
        run: async (allow) => {
          await api.patch(`/appointments/${d.appt.id}`, allow ? { ...patch, allow_overlap: true } : patch, d.appt.version);
          return "Visit moved";
        },
      });
      return;
    }
    const t = d.ticket;
    const body: Record<string, unknown> = { ticket_id: t.id, user_id: userId, starts_at: s, ends_at: e, title: t.subject.slice(0, 200) };
    if (t.site_id) body.site_id = t.site_id;
    void attempt({
      run: async (allow) => {
        await api.post("/appointments", allow ? { ...body, allow_overlap: true } : body);
        const problem = await assignIfNone(t.id, userId);
        if (problem) toast(`Visit booked, but the order was not assigned: ${problem}`, "error");
        return `Visit booked for ${t.number}`;
      },
    });
  }

  const x = (t: number) => ((t - t0) / HOUR) * PX_PER_HOUR;
  const hours = Array.from({ length: H1 - H0 }, (_, i) => H0 + i);
  const shown = (a: Appointment) => {
    const s = Math.max(new Date(a.starts_at).getTime(), t0);
    const e = Math.min(new Date(a.ends_at).getTime(), t0 + span);
    return { left: x(s), width: Math.max(x(e) - x(s), 18) };
  };

  function visitCard(a: Appointment, inList: boolean) {
    const dragged = drag && drag.kind !== "ticket" && drag.appt.id === a.id && drag.moved;
    const resizedEnd = drag?.kind === "resize" && drag.appt.id === a.id ? drag.end : undefined;
    const style = inList ? undefined : (() => {
      const g = shown(a);
      if (resizedEnd) g.width = Math.max(x(resizedEnd) - g.left, 18);
      return { left: `${g.left}px`, width: `${g.width}px` };
    })();
    const label = `${zoneTime(a.starts_at, tz)} to ${zoneTime(resizedEnd ?? a.ends_at, tz)}: ${a.title ?? "visit"}${a.checked_in_at && !a.checked_out_at ? " (on site)" : ""}${clash.has(a.id) ? " (overlaps another)" : ""}`;
    return (
      <div class={`dvisit appt-${a.status} ${clash.has(a.id) ? "is-clash" : ""} ${dragged ? "is-dragging" : ""} ${inList ? "is-listed" : ""}`} style={style} key={a.id}>
        <button
          type="button"
          class="dvisit-body"
          aria-label={label}
          title={label}
          onPointerDown={inList || !mayMove(a.user_id) ? undefined : (e) => begin({ kind: "move", appt: a, x0: e.clientX, y0: e.clientY, moved: false, grab: pointerTime(e) - new Date(a.starts_at).getTime(), ms: new Date(a.ends_at).getTime() - new Date(a.starts_at).getTime() }, e)}
          onClick={() => {
            if (!suppressClick.current) setEditing({ appt: a, userId: a.user_id });
          }}
        >
          <span class="appt-time">
            {zoneTime(a.starts_at, tz)}–{zoneTime(resizedEnd ?? a.ends_at, tz)}
            {a.checked_in_at && !a.checked_out_at && <span class="dvisit-onsite"> · on site</span>}
          </span>
          <OrderLine ticketId={a.ticket_id} />
          <span class="appt-title">
            <OrderPriority ticketId={a.ticket_id} /> {a.title ?? ""}
          </span>
        </button>
        {mayMove(a.user_id) && !inList && (
          <span
            class="dvisit-resize"
            role="presentation"
            title="Drag to change the end time"
            data-resize={a.id}
            onPointerDown={(e) => {
              e.stopPropagation();
              begin({ kind: "resize", appt: a, x0: e.clientX, y0: e.clientY, moved: false }, e);
            }}
          />
        )}
      </div>
    );
  }

  /* the time under the pointer in the lane of the element pressed */
  function pointerTime(e: PointerEvent): number {
    const s = slotAt(e.clientX, e.clientY);
    return s ? s.t : t0;
  }

  const queuePanel = (
    <section class="dqueue" aria-label="Unassigned">
      <h2 class="dqueue-title">
        Unassigned <span class="muted small">{queue.data ? queue.data.length : ""}</span>
      </h2>
      <p class="small muted">Open service orders with no visit today or later. {editable && !narrow ? "Drag one onto a technician's time, or open it to book." : editable ? "Open one to book a visit." : ""}</p>
      {queue.error ? (
        <ErrorState message={queue.error} onRetry={queue.reload} />
      ) : !queue.data ? (
        <Loading rows={3} label="Loading the queue…" />
      ) : queue.data.length === 0 ? (
        <p class="muted small">Every open order has a visit booked.</p>
      ) : (
        <ul class="dqueue-list">
          {queue.data.map((t) => (
            <QueueCard
              key={t.id}
              t={t}
              dragging={drag?.kind === "ticket" && drag.ticket.id === t.id && drag.moved}
              onPointerDown={narrow ? undefined : (e) => begin({ kind: "ticket", ticket: t, x0: e.clientX, y0: e.clientY, moved: false, grab: 0, ms: 2 * HOUR }, e)}
              onOpen={() => {
                if (!suppressClick.current && editable) setEditing({ userId: t.assignee_id, ticket: t });
              }}
            />
          ))}
        </ul>
      )}
    </section>
  );

  const ghost = drag && drag.kind !== "resize" && drag.moved && drag.at ? drag.at : null;

  return (
    <>
      <div class="dispatch-toolbar" role="group" aria-label="Day">
        <strong class="dispatch-range">{dayName(ymd)}</strong>
        <Button onClick={() => setYmd(addDay(ymd, -1))} aria-label="Previous day">
          ‹
        </Button>
        <Button onClick={() => setYmd(zoneDay(Date.now(), tz))} disabled={isToday}>
          Today
        </Button>
        <Button onClick={() => setYmd(addDay(ymd, 1))} aria-label="Next day">
          ›
        </Button>
        <span class="small muted">Times in {tz}</span>
        {clash.size > 0 && <Badge tone="red">{clash.size} overlapping</Badge>}
      </div>
      {appts.error ? (
        <ErrorState message={appts.error} onRetry={appts.reload} />
      ) : !appts.data || !staff ? (
        <Loading rows={6} label="Loading the day…" />
      ) : narrow ? (
        <div class="dday-phone">
          {techs.length === 0 && <Alert tone="info">No technicians yet. Add users with the technician role in Settings.</Alert>}
          {techs.map((u) => {
            const mine = list.filter((a) => a.user_id === u.id);
            return (
              <section key={u.id} class="dday-tech" aria-label={u.name}>
                <h2 class="dday-tech-name">
                  {u.name} <span class="muted small">{mine.length ? `${mine.length} visit${mine.length === 1 ? "" : "s"}` : "free"}</span>
                </h2>
                {mine.length ? <div class="dday-visits">{mine.map((a) => visitCard(a, true))}</div> : <p class="muted small">No visits this day.</p>}
                {editable && (
                  <Button size="sm" variant="ghost" onClick={() => setEditing({ userId: u.id })}>
                    + Book {u.name}
                  </Button>
                )}
              </section>
            );
          })}
          {queuePanel}
        </div>
      ) : (
        <div class="dday">
          {queuePanel}
          <div class="dtl-wrap">
            {techs.length === 0 ? (
              <Alert tone="info">No technicians yet. Add users with the technician role in Settings.</Alert>
            ) : (
              <div class="dtl" role="table" aria-label={`Visits on ${dayName(ymd)}`} data-hour-start={H0} data-px-per-hour={PX_PER_HOUR} style={{ "--lane-width": `${(H1 - H0) * PX_PER_HOUR}px` }}>
                <div class="dtl-row dtl-head" role="row">
                  <div class="dtl-tech dtl-corner" role="columnheader">
                    Technician
                  </div>
                  <div class="dtl-lane dtl-hours" role="columnheader" aria-label="Time of day">
                    {hours.map((h) => (
                      <span key={h} class="dtl-hour" style={{ left: `${(h - H0) * PX_PER_HOUR}px` }}>
                        {String(h).padStart(2, "0")}:00
                      </span>
                    ))}
                  </div>
                </div>
                {techs.map((u) => {
                  const mine = list.filter((a) => a.user_id === u.id);
                  return (
                    <div class="dtl-row" role="row" aria-label={u.name} key={u.id}>
                      <div class="dtl-tech" role="rowheader">
                        <div class="cell-title">{u.name}</div>
                        <div class="cell-sub">{u.skills.slice(0, 3).join(", ") || u.role}</div>
                      </div>
                      <div class={`dtl-lane ${ghost?.userId === u.id ? "is-over" : ""}`} role="cell" data-lane={u.id}>
                        {hours.map((h) => (
                          <span key={h} class="dtl-grid" style={{ left: `${(h - H0) * PX_PER_HOUR}px` }} />
                        ))}
                        {isToday && nowMs > t0 && nowMs < t0 + span && <span class="dtl-now" style={{ left: `${x(nowMs)}px` }} aria-hidden="true" />}
                        {mine.map((a) => visitCard(a, false))}
                        {ghost?.userId === u.id && drag && drag.kind !== "resize" && (
                          <span class="dtl-ghost" style={{ left: `${x(ghost.start)}px`, width: `${(drag.ms / HOUR) * PX_PER_HOUR}px` }} aria-hidden="true">
                            {zoneTime(ghost.start, tz)}–{zoneTime(ghost.start + drag.ms, tz)}
                          </span>
                        )}
                        {editable && (
                          <button type="button" class="dtl-add" aria-label={`Book ${u.name} on ${dayName(ymd)}`} onClick={() => setEditing({ userId: u.id })}>
                            +
                          </button>
                        )}
                      </div>
                    </div>
                  );
                })}
              </div>
            )}
          </div>
        </div>
      )}

      {pending?.conflict && <DoubleBooking conflict={pending.conflict} busy={busy} onLeave={() => setPending(null)} onBook={() => attempt(pending, true)} />}
      {editing && (
        <AppointmentDialog
          appt={editing.appt}
          userId={editing.userId}
          day={new Date(zonedTime(ymd, 12, 0, tz))}
          readOnly={!editable}
          ticketId={editing.ticket?.id}
          title={editing.ticket?.subject.slice(0, 200)}
          afterCreate={
            editing.ticket
              ? async (made) => {
                  const problem = await assignIfNone(made.ticket_id ?? editing.ticket!.id, made.user_id);
                  if (problem) toast(`Visit booked, but the order was not assigned: ${problem}`, "error");
                }
              : undefined
          }
          onClose={() => setEditing(null)}
          onDone={(msg) => {
            setEditing(null);
            reload();
            toast(msg);
          }}
        />
      )}
    </>
  );
}

export function DispatchPage({ user }: { user: Me }) {
  useTitle("Dispatch");
  const [view, setView] = useState<"day" | "week">("day");
  const firm = useLoad(() => api.get<{ timezone?: string }>("/settings").catch(() => ({ timezone: undefined })), []);
  const tz = knownZone(firm.data?.timezone) ? firm.data!.timezone! : browserZone();
  return (
    <div>
      <PageHeader
        title="Dispatch"
        subtitle={view === "day" ? "The day by technician" : "The week by technician"}
        actions={
          <div class="seg" role="group" aria-label="View">
            <Button variant={view === "day" ? "primary" : "secondary"} aria-pressed={view === "day"} onClick={() => setView("day")}>
              Day
            </Button>
            <Button variant={view === "week" ? "primary" : "secondary"} aria-pressed={view === "week"} onClick={() => setView("week")}>
              Week
            </Button>
          </div>
        }
      />
      {view === "week" ? <WeekBoard user={user} /> : !firm.data ? <Loading rows={4} label="Loading the day…" /> : <DayBoard user={user} tz={tz} key={tz} />}
    </div>
  );
}

function WeekBoard({ user }: { user: Me }) {
  const [week, setWeek] = useState(() => monday(new Date()));
  const days = useMemo(() => Array.from({ length: 7 }, (_, i) => addDays(week, i)), [week]);
  const end = addDays(week, 7);
  const appts = useLoad(() => listAll<Appointment>("/appointments", { starts_at_before: iso(end), ends_at_after: iso(week), sort: "starts_at" }, 2000), [week.getTime()]);
  const staff = users.use();
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<string | null>(null);
  const [move, setMove] = useState<Move | null>(null);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<{ appt?: Appointment; userId: number; day: Date } | null>(null);
  const editable = can("appointments.edit", user.role);

  const list = appts.data ?? [];
  const clash = overlaps(list);
  const techs: User[] = (staff ?? []).filter((u) => u.active && !u.archived_at && (u.role === "technician" || list.some((a) => a.user_id === u.id)));
  const today = new Date();

  async function apply(m: Move, allowOverlap = false) {
    setBusy(true);
    try {
      await api.patch(`/appointments/${m.appt.id}`, allowOverlap ? { ...m.patch, allow_overlap: true } : m.patch, m.appt.version);
      setMove(null);
      toast("Appointment moved");
      appts.reload();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        setMove({ ...m, conflict: Object.values(e.fields)[0] ?? e.problem.detail });
      } else {
        setMove(null);
        toast(errorMessage(e), "error");
        appts.reload();
      }
    } finally {
      setBusy(false);
    }
  }

  function drop(userId: number, d: Date) {
    const a = list.find((x) => x.id === dragging);
    setDragging(null);
    setOver(null);
    if (!a) return;
    const start = new Date(a.starts_at);
    const shift = Math.round((startOfDay(d).getTime() - startOfDay(start).getTime()) / 86400000);
    if (shift === 0 && userId === a.user_id) return;
    const s = addDays(start, shift);
    const e = addDays(new Date(a.ends_at), shift);
    const patch: Record<string, unknown> = { starts_at: iso(s), ends_at: iso(e) };
    if (userId !== a.user_id) patch.user_id = userId;
    void apply({ appt: a, patch });
  }

  const range = `${day(days[0])} – ${day(days[6])} ${days[6].getFullYear()}`;

  return (
    <div>
      <div class="dispatch-toolbar" role="group" aria-label="Week">
        <strong class="dispatch-range">{range}</strong>
        <Button onClick={() => setWeek(addDays(week, -7))} aria-label="Previous week">
          ‹ Previous
        </Button>
        <Button onClick={() => setWeek(monday(new Date()))}>This week</Button>
        <Button onClick={() => setWeek(addDays(week, 7))} aria-label="Next week">
          Next ›
        </Button>
      </div>
      {appts.error ? (
        <ErrorState message={appts.error} onRetry={appts.reload} />
      ) : !appts.data || !staff ? (
        <Loading rows={6} label="Loading the week…" />
      ) : techs.length === 0 ? (
        <Alert tone="info">No technicians yet. Add users with the technician role in Settings.</Alert>
      ) : (
        <>
          <p class="small muted dispatch-hint">
            {editable ? "Drag an appointment to another day or technician, or open it to change its time. Click + in a cell to book." : "You can view the schedule; your role cannot change it."}
            {clash.size > 0 && (
              <>
                {" "}
                <Badge tone="red">{clash.size} overlapping</Badge>
              </>
            )}
          </p>
          <div class="board-wrap">
            <table class="board" aria-label={`Appointments ${range}`}>
              <thead>
                <tr>
                  <th scope="col" class="board-corner">
                    Technician
                  </th>
                  {days.map((d) => (
                    <th scope="col" key={d.getTime()} class={sameDay(d, today) ? "is-today" : ""}>
                      {day(d)}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {techs.map((u) => (
                  <tr key={u.id}>
                    <th scope="row" class="board-tech">
                      <div class="cell-title">{u.name}</div>
                      <div class="cell-sub">{u.skills.slice(0, 3).join(", ") || u.role}</div>
                    </th>
                    {days.map((d) => {
                      const key = `${u.id}:${d.getTime()}`;
                      const items = list.filter((a) => a.user_id === u.id && sameDay(new Date(a.starts_at), d));
                      return (
                        <td
                          key={key}
                          class={`board-cell ${over === key ? "is-over" : ""} ${sameDay(d, today) ? "is-today" : ""}`}
                          onDragOver={(e) => {
                            if (dragging === null) return;
                            e.preventDefault();
                            setOver(key);
                          }}
                          onDragLeave={() => setOver((o) => (o === key ? null : o))}
                          onDrop={(e) => {
                            e.preventDefault();
                            drop(u.id, d);
                          }}
                        >
                          {items.map((a) => (
                            <button
                              type="button"
                              key={a.id}
                              class={`appt appt-${a.status} ${clash.has(a.id) ? "is-clash" : ""} ${dragging === a.id ? "is-dragging" : ""}`}
                              draggable={editable}
                              onDragStart={(e) => {
                                e.dataTransfer?.setData("text/plain", String(a.id));
                                setDragging(a.id);
                              }}
                              onDragEnd={() => {
                                setDragging(null);
                                setOver(null);
                              }}
                              onClick={() => setEditing({ appt: a, userId: a.user_id, day: d })}
                              aria-label={`${time(a.starts_at)} to ${time(a.ends_at)}: ${a.title ?? "appointment"}${clash.has(a.id) ? " (overlaps another)" : ""}`}
                            >
                              <span class="appt-time">{timeRange(a.starts_at, a.ends_at)}</span>
                              <span class="appt-title">
                                <TicketLabel id={a.ticket_id} /> {a.title ?? ""}
                              </span>
                              {clash.has(a.id) && <span class="appt-flag">Overlap</span>}
                            </button>
                          ))}
                          {editable && (
                            <button type="button" class="cell-add" aria-label={`Book ${u.name} on ${day(d)}`} onClick={() => setEditing({ userId: u.id, day: d })}>
                              +
                            </button>
                          )}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}

      {move?.conflict && <DoubleBooking conflict={move.conflict} busy={busy} onLeave={() => setMove(null)} onBook={() => apply(move, true)} />}
      {editing && (
        <AppointmentDialog
          appt={editing.appt}
          userId={editing.userId}
          day={editing.day}
          readOnly={!editable}
          onClose={() => setEditing(null)}
          onDone={(msg) => {
            setEditing(null);
            appts.reload();
            toast(msg);
          }}
        />
      )}
    </div>
  );
}

/** Book or change one appointment (also used from a ticket's page, with ticketId). */
export function AppointmentDialog({ appt, userId, day: d, readOnly, onClose, onDone, ticketId, title: givenTitle, afterCreate }: { appt?: Appointment; userId: number | null; day: Date; readOnly: boolean; onClose: () => void; onDone: (msg: string) => void; ticketId?: number; title?: string; afterCreate?: (made: Appointment) => Promise<void> }) {
  const start = appt ? new Date(appt.starts_at) : new Date(d.getFullYear(), d.getMonth(), d.getDate(), 9, 0);
  const endAt = appt ? new Date(appt.ends_at) : new Date(start.getTime() + 2 * 3600000);
  const f = useForm(
    {
      user_id: appt?.user_id ?? userId,
      ticket_id: appt?.ticket_id ?? ticketId ?? (null as number | null),
      starts_at: toLocalInput(start),
      ends_at: toLocalInput(endAt),
      title: appt?.title ?? givenTitle ?? "",
      status: appt?.status ?? "scheduled",
      notes: appt?.notes ?? "",
    },
    ["allow_overlap"],
  );
  const [conflict, setConflict] = useState<string | null>(null);
  const v = f.values;

  async function save(allow = false) {
    await f.submit(async (v) => {
      const body: Record<string, unknown> = {
        user_id: v.user_id,
        ticket_id: v.ticket_id,
        starts_at: fromLocalInput(v.starts_at),
        ends_at: fromLocalInput(v.ends_at),
        title: v.title.trim() || null,
        status: v.status,
        notes: v.notes.trim() || null,
      };
      if (allow) body.allow_overlap = true;
      try {
        if (appt) await api.patch(`/appointments/${appt.id}`, body, appt.version);
        else {
          if (!body.ticket_id) delete body.ticket_id;
          const made = await api.post<Appointment>("/appointments", body);
          if (afterCreate) await afterCreate(made);
        }
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) setConflict(Object.values(e.fields)[0] ?? e.problem.detail);
        throw e;
      }
      onDone(appt ? "Appointment saved" : "Appointment booked");
    });
  }

  async function remove() {
    if (!appt) return;
    try {
      await api.del(`/appointments/${appt.id}`, appt.version);
      onDone("Appointment removed");
    } catch (e) {
      f.setFormError(errorMessage(e));
    }
  }

  return (
    <Dialog
      title={appt ? "Appointment" : "Book an appointment"}
      onClose={onClose}
      wide
      footer={
        readOnly ? (
          <Button onClick={onClose}>Close</Button>
        ) : (
          <>
            {appt && (
              <Button variant="ghost" onClick={remove} class="mr-auto">
                Remove
              </Button>
            )}
            <Button onClick={onClose}>Cancel</Button>
            {conflict && (
              <Button variant="danger" busy={f.busy} onClick={() => save(true)}>
                Book anyway
              </Button>
            )}
            <Button variant="primary" busy={f.busy} onClick={() => save(false)}>
              {appt ? "Save" : "Book"}
            </Button>
          </>
        )
      }
    >
      <form
        class="stack"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save(false);
        }}
      >
        {conflict ? (
          <Alert tone="warning" title="Double booking">
            {conflict}
          </Alert>
        ) : (
          f.formError && <Alert>{f.formError}</Alert>
        )}
        <fieldset disabled={readOnly} class="plain-fieldset">
          <div class="form-grid">
            <UserSelect label="Technician" value={v.user_id} onValue={(x) => f.set("user_id", x)} error={f.errors.user_id} placeholder="Choose…" required />
            <SearchPicker<Ticket>
              label="Service order"
              kind="tickets"
              value={v.ticket_id}
              onValue={(x) => f.set("ticket_id", x)}
              query={{ status: "new,assigned,in_progress,waiting_customer,waiting_parts,escalated" }}
              display={(t) => `${t.number} ${t.subject}`}
              placeholder="Search open service orders…"
              error={f.errors.ticket_id}
            />
            <TextField label="Starts" type="datetime-local" value={v.starts_at} onValue={(x) => f.set("starts_at", x)} error={f.errors.starts_at} required />
            <TextField label="Ends" type="datetime-local" value={v.ends_at} onValue={(x) => f.set("ends_at", x)} error={f.errors.ends_at} required />
            <TextField label="Title" value={v.title} onValue={(x) => f.set("title", x)} error={f.errors.title} placeholder="On-site visit" />
            <SelectField
              label="Status"
              value={v.status}
              onValue={(x) => f.set("status", x as Appointment["status"])}
              options={AppointmentStatusValues.map((s) => ({ value: s, label: s[0].toUpperCase() + s.slice(1).replace("_", " ") }))}
              error={f.errors.status}
            />
            <div class="span-2">
              <TextArea label="Notes" value={v.notes} onValue={(x) => f.set("notes", x)} error={f.errors.notes} rows={2} />
            </div>
          </div>
        </fieldset>
      </form>
    </Dialog>
  );
}

/** A move or booking onto a technician who is busy then: leave it, or book anyway. */
function DoubleBooking({ conflict, busy, onLeave, onBook }: { conflict: string; busy: boolean; onLeave: () => void; onBook: () => void }) {
  return (
    <Dialog
      title="Double booking"
      onClose={onLeave}
      footer={
        <>
          <Button onClick={onLeave}>Leave it</Button>
          <Button variant="danger" busy={busy} onClick={onBook}>
            Book anyway
          </Button>
        </>
      }
    >
      <Alert tone="warning" title="The technician is already booked then">
        {conflict}
      </Alert>
    </Dialog>
  );
}
