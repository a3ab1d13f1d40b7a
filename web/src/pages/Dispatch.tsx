/*
 * Dispatch.tsx - the week by technician. Appointments are blocks in the
 * technician's row and the day's column; drag one to another day or
 * technician to reschedule or reassign (a PATCH with If-Match). The API
 * refuses double bookings with 409; the UI shows the conflict and offers
 * to book anyway (allow_overlap). Overlaps already on the board are
 * marked. Every block is also a button that opens the same edit as a form,
 * for keyboards and phones.
 */
import { useMemo, useState } from "preact/hooks";
import { SearchPicker, UserSelect } from "../components/pickers";
import { Alert, Badge, Button, Dialog, ErrorState, Loading, PageHeader, SelectField, TextArea, TextField, toast } from "../components/ui";
import { api, ApiError, errorMessage, listAll } from "../lib/api";
import { addDays, day, fromLocalInput, iso, startOfDay, time, timeRange, toLocalInput } from "../lib/format";
import { useForm, useLoad, useTitle } from "../lib/hooks";
import { useRecord, users } from "../lib/lookup";
import { can, type Me } from "../lib/session";
import { AppointmentStatusValues, type Appointment, type Ticket, type User } from "../lib/types";

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

export function DispatchPage({ user }: { user: Me }) {
  useTitle("Dispatch");
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
      <PageHeader
        title="Dispatch"
        subtitle={range}
        actions={
          <>
            <Button onClick={() => setWeek(addDays(week, -7))} aria-label="Previous week">
              ‹ Previous
            </Button>
            <Button onClick={() => setWeek(monday(new Date()))}>This week</Button>
            <Button onClick={() => setWeek(addDays(week, 7))} aria-label="Next week">
              Next ›
            </Button>
          </>
        }
      />
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

      {move?.conflict && (
        <Dialog
          title="Double booking"
          onClose={() => setMove(null)}
          footer={
            <>
              <Button onClick={() => setMove(null)}>Leave it</Button>
              <Button variant="danger" busy={busy} onClick={() => apply(move, true)}>
                Book anyway
              </Button>
            </>
          }
        >
          <Alert tone="warning" title="The technician is already booked then">
            {move.conflict}
          </Alert>
        </Dialog>
      )}
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
export function AppointmentDialog({ appt, userId, day: d, readOnly, onClose, onDone, ticketId, title: givenTitle }: { appt?: Appointment; userId: number | null; day: Date; readOnly: boolean; onClose: () => void; onDone: (msg: string) => void; ticketId?: number; title?: string }) {
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
          await api.post("/appointments", body);
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
              options={AppointmentStatusValues.map((s) => ({ value: s, label: s[0].toUpperCase() + s.slice(1) }))}
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
