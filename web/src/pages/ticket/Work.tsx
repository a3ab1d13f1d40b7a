/*
 * Work.tsx - time logged on the ticket (by work type) and parts used (from
 * the catalog). Entries and parts not yet invoiced can be corrected (a
 * merge patch with If-Match) and, by managers, removed (DELETE with
 * If-Match archives them: they no longer count or bill).
 */
import { useState } from "preact/hooks";
import { ProductName, UserName } from "../../components/names";
import { ProductPicker } from "../../components/pickers";
import { Alert, Badge, Button, Checkbox, Confirm, Empty, ErrorState, FormDialog, Loading, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, listAll } from "../../lib/api";
import { dateTime, fromLocalInput, minorDigits, minutes, money, parseMoney, toLocalInput } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";
import { remember, useRecord, userName, users, workTypes } from "../../lib/lookup";
import { can } from "../../lib/session";
import type { Part, Product, Ticket, TimeEntry } from "../../lib/types";

export function TimePanel({ ticket, onCount }: { ticket: Ticket; onCount?: (n: number) => void }) {
  const entries = useLoad(async () => {
    const list = await listAll<TimeEntry>("/time-entries", { ticket_id: ticket.id, sort: "-started_at" }, 2000);
    onCount?.(list.length);
    return list;
  }, [ticket.id]);
  const types = workTypes.use();
  const f = useForm({ work_type_id: "", minutes: "", notes: "", started_at: "", billable: null as boolean | null });
  const closed = ticket.status === "closed";
  const total = (entries.data ?? []).reduce((s, e) => s + e.minutes, 0);
  const billable = (entries.data ?? []).filter((e) => e.billable).reduce((s, e) => s + e.minutes, 0);
  const chosen = types?.find((t) => String(t.id) === f.values.work_type_id);
  const [editing, setEditing] = useState<TimeEntry | null>(null);
  const [removing, setRemoving] = useState<TimeEntry | null>(null);
  const actions = !closed && (can("time.edit") || can("time.archive"));
  const typeName = (id: number | null) => (id === null ? "—" : (types?.find((t) => t.id === id)?.name ?? `#${id}`));

  async function log(e: Event) {
    e.preventDefault();
    const ok = await f.submit(async (v) => {
      const body: Record<string, unknown> = {
        ticket_id: ticket.id,
        work_type_id: v.work_type_id ? Number(v.work_type_id) : null,
        minutes: v.minutes.trim() === "" ? null : Number(v.minutes),
      };
      if (v.notes.trim()) body.notes = v.notes;
      const started = fromLocalInput(v.started_at);
      if (started) body.started_at = started;
      if (v.billable !== null) body.billable = v.billable;
      await api.post<TimeEntry>("/time-entries", body);
    });
    if (ok) {
      f.setAll({ work_type_id: f.values.work_type_id, minutes: "", notes: "", started_at: "", billable: null });
      entries.reload();
    }
  }

  return (
    <div class="stack">
      {entries.error ? (
        <ErrorState message={entries.error} onRetry={entries.reload} />
      ) : entries.loading && !entries.data ? (
        <Loading rows={2} />
      ) : entries.data!.length === 0 ? (
        <Empty title="No time logged" icon="⏱">Log the minutes worked so they can be billed under the client's contract.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Time entries">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Work type</th>
                <th scope="col" class="num">Time</th>
                <th scope="col">Notes</th>
                {actions && (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {entries.data!.map((e) => (
                <tr key={e.id}>
                  <td class="nowrap">{dateTime(e.started_at)}</td>
                  <td>
                    <UserName id={e.user_id} empty="—" />
                  </td>
                  <td>
                    {typeName(e.work_type_id)}{" "}
                    {!e.billable && <Badge tone="gray">Non-billable</Badge>}
                    {e.invoice_id && <Badge tone="green">Invoiced</Badge>}
                  </td>
                  <td class="num nowrap">{minutes(e.minutes)}</td>
                  <td class="small">{e.notes}</td>
                  {actions && (
                    <td class="right nowrap">
                      {e.invoice_id ? (
                        <span class="small muted" title="Invoiced entries cannot change">Locked</span>
                      ) : (
                        <RowActions
                          what={`the time entry of ${dateTime(e.started_at)}`}
                          onEdit={can("time.edit") ? () => setEditing(e) : undefined}
                          onRemove={can("time.archive") ? () => setRemoving(e) : undefined}
                        />
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <td colSpan={3} class="right muted small">
                  Total ({minutes(billable)} billable)
                </td>
                <td class="num nowrap">
                  <strong>{minutes(total)}</strong>
                </td>
                <td />
                {actions && <td />}
              </tr>
            </tfoot>
          </table>
        </div>
      )}

      {can("time.log") && !closed && (
        <form class="subform" onSubmit={log} noValidate aria-label="Log time">
          <h3 class="subform-title">Log time</h3>
          {f.formError && <Alert>{f.formError}</Alert>}
          <div class="form-grid form-grid-3">
            <SelectField
              label="Work type"
              name="work_type_id"
              value={f.values.work_type_id}
              onValue={(x) => f.set("work_type_id", x)}
              options={(types ?? []).filter((t) => !t.archived_at).map((t) => ({ value: String(t.id), label: t.name }))}
              placeholder={types && types.length === 0 ? "No work types yet (Settings)" : "Choose…"}
              error={f.errors.work_type_id}
              required
            />
            <TextField label="Minutes" name="minutes" type="number" inputMode="numeric" min={1} max={1440} value={f.values.minutes} onValue={(x) => f.set("minutes", x)} error={f.errors.minutes} required />
            <TextField label="Started" name="started_at" type="datetime-local" value={f.values.started_at} onValue={(x) => f.set("started_at", x)} error={f.errors.started_at} hint="Default: just now" />
            <div class="span-2">
              <TextField label="What was done" name="time_notes" value={f.values.notes} onValue={(x) => f.set("notes", x)} error={f.errors.notes} />
            </div>
            <div class="quick-minutes">
              <span class="small muted">Quick:</span>
              {[15, 30, 60, 90].map((m) => (
                <button type="button" class="chip" key={m} onClick={() => f.set("minutes", String(m))}>
                  {minutes(m)}
                </button>
              ))}
            </div>
          </div>
          <div class="row-between">
            <Checkbox
              label="Billable"
              hint={chosen && f.values.billable === null ? `(the work type's default: ${chosen.billable ? "yes" : "no"})` : undefined}
              checked={f.values.billable ?? chosen?.billable ?? true}
              onValue={(x) => f.set("billable", x)}
              error={f.errors.billable}
            />
            <Button type="submit" variant="primary" busy={f.busy}>
              Log time
            </Button>
          </div>
        </form>
      )}
      {editing && (
        <TimeEntryDialog
          entry={editing}
          onClose={() => setEditing(null)}
          onStale={entries.reload}
          onDone={() => {
            setEditing(null);
            entries.reload();
            toast("Time entry saved");
          }}
        />
      )}
      {removing && (
        <Confirm
          title="Remove this time entry?"
          description="It is archived: it no longer counts on the ticket or bills. A manager can restore it through the API."
          confirmLabel="Remove time entry"
          cancelLabel="Keep it"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            try {
              await api.del(`/time-entries/${removing.id}`, removing.version);
            } catch (e) {
              if (e instanceof ApiError && e.status === 412) entries.reload();
              throw e;
            }
            setRemoving(null);
            entries.reload();
            toast("Time entry removed");
          }}
        >
          <p>
            <strong>{minutes(removing.minutes)}</strong> of {typeName(removing.work_type_id)} by <UserName id={removing.user_id} empty="—" />, {dateTime(removing.started_at)}
            {removing.notes ? ` — ${removing.notes}` : ""}.
          </p>
        </Confirm>
      )}
    </div>
  );
}

/** "Edit · Remove" in a row, each named for screen readers. */
function RowActions({ what, onEdit, onRemove }: { what: string; onEdit?: () => void; onRemove?: () => void }) {
  return (
    <>
      {onEdit && (
        <button type="button" class="link-btn" onClick={onEdit} aria-label={`Edit ${what}`}>
          Edit
        </button>
      )}
      {onEdit && onRemove && " · "}
      {onRemove && (
        <button type="button" class="link-btn link-danger" onClick={onRemove} aria-label={`Remove ${what}`}>
          Remove
        </button>
      )}
    </>
  );
}

function TimeEntryDialog({ entry, onClose, onDone, onStale }: { entry: TimeEntry; onClose: () => void; onDone: () => void; onStale: () => void }) {
  const types = workTypes.use();
  const staff = users.use();
  const init = {
    work_type_id: String(entry.work_type_id),
    minutes: String(entry.minutes),
    started_at: toLocalInput(new Date(entry.started_at)),
    billable: entry.billable ?? false,
    notes: entry.notes ?? "",
  };
  const f = useForm(init);
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const patch: Record<string, unknown> = {};
      if (v.work_type_id !== init.work_type_id) patch.work_type_id = v.work_type_id ? Number(v.work_type_id) : null;
      if (v.minutes !== init.minutes) patch.minutes = v.minutes.trim() === "" ? null : Number(v.minutes);
      if (v.started_at !== init.started_at) patch.started_at = fromLocalInput(v.started_at);
      if (v.billable !== init.billable) patch.billable = v.billable;
      if (v.notes !== init.notes) patch.notes = v.notes.trim() || null;
      if (Object.keys(patch).length === 0) return onClose();
      try {
        await api.patch<TimeEntry>(`/time-entries/${entry.id}`, patch, entry.version);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) onStale();
        throw err;
      }
      onDone();
    });
  }
  const opts = (types ?? []).filter((t) => !t.archived_at || t.id === entry.work_type_id).map((t) => ({ value: String(t.id), label: t.name }));
  return (
    <FormDialog
      title="Edit time entry"
      description={`Logged by ${userName(staff, entry.user_id)}. Corrections are possible until it is invoiced.`}
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Save changes"
    >
      <div class="form-grid">
        <SelectField label="Work type" name="work_type_id" value={v.work_type_id} onValue={(x) => f.set("work_type_id", x)} options={opts} error={f.errors.work_type_id} required />
        <TextField label="Minutes" name="minutes" type="number" inputMode="numeric" min={1} max={1440} value={v.minutes} onValue={(x) => f.set("minutes", x)} error={f.errors.minutes} required hint={Number(v.minutes) > 0 ? `= ${minutes(Number(v.minutes))}` : undefined} />
        <div class="span-2">
          <TextField label="Started" name="started_at" type="datetime-local" value={v.started_at} onValue={(x) => f.set("started_at", x)} error={f.errors.started_at} required />
        </div>
        <div class="span-2">
          <TextArea label="What was done" name="notes" value={v.notes} onValue={(x) => f.set("notes", x)} error={f.errors.notes} rows={2} />
        </div>
      </div>
      <Checkbox label="Billable" checked={v.billable} onValue={(x) => f.set("billable", x)} error={f.errors.billable} />
    </FormDialog>
  );
}

function PartPrice({ part }: { part: Part }) {
  const p = useRecord<Product>("products", part.product_id);
  return <>{money(part.unit_price, p?.currency ?? "USD")}</>;
}

export function PartsPanel({ ticket }: { ticket: Ticket }) {
  const parts = useLoad(() => listAll<Part>(`/tickets/${ticket.id}/parts`, {}, 1000), [ticket.id]);
  const f = useForm({ product_id: null as number | null, quantity: "1", serial_number: "" });
  const [product, setProduct] = useState<Product | null>(null);
  const [editing, setEditing] = useState<Part | null>(null);
  const [removing, setRemoving] = useState<Part | null>(null);
  const closed = ticket.status === "closed";
  const actions = !closed && (can("parts.edit") || can("parts.archive"));
  /* prices are the office's: the API leaves them out for a technician */
  const priced = (parts.data ?? []).some((p) => p.unit_price !== undefined);

  async function add(e: Event) {
    e.preventDefault();
    const ok = await f.submit(async (v) => {
      const body: Record<string, unknown> = { product_id: v.product_id, quantity: Number(v.quantity) };
      if (v.serial_number.trim()) body.serial_number = v.serial_number.trim();
      await api.post<Part>(`/tickets/${ticket.id}/parts`, body);
    });
    if (ok) {
      f.setAll({ product_id: null, quantity: "1", serial_number: "" });
      setProduct(null);
      parts.reload();
    }
  }

  return (
    <div class="stack">
      {parts.error ? (
        <ErrorState message={parts.error} onRetry={parts.reload} />
      ) : parts.loading && !parts.data ? (
        <Loading rows={2} />
      ) : parts.data!.length === 0 ? (
        <Empty title="No parts used" icon="⚙">Add equipment and consumables used on this job from the product catalog.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="table" aria-label="Parts">
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col" class="num">Qty</th>
                {priced && <th scope="col" class="num">Unit price</th>}
                <th scope="col">Serial number</th>
                {actions && (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {parts.data!.map((p) => (
                <tr key={p.id}>
                  <td>
                    <ProductName id={p.product_id} /> {!p.billable && <Badge tone="gray">Non-billable</Badge>}
                  </td>
                  <td class="num">{p.quantity}</td>
                  {priced && (
                    <td class="num">
                      <PartPrice part={p} />
                    </td>
                  )}
                  <td class="mono">{p.serial_number ?? ""}</td>
                  {actions && (
                    <td class="right nowrap">
                      {p.invoice_id ? (
                        <span class="small muted" title="Invoiced parts cannot change">Locked</span>
                      ) : (
                        <PartActions part={p} onEdit={can("parts.edit") ? () => setEditing(p) : undefined} onRemove={can("parts.archive") ? () => setRemoving(p) : undefined} />
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {can("parts.add") && !closed && (
        <form class="subform" onSubmit={add} noValidate aria-label="Add a part">
          <h3 class="subform-title">Add a part</h3>
          {f.formError && <Alert>{f.formError}</Alert>}
          <div class="form-grid form-grid-3">
            <ProductPicker
              value={f.values.product_id}
              onValue={(id, rec) => {
                f.set("product_id", id);
                if (rec) {
                  remember("products", rec);
                  setProduct(rec);
                }
              }}
              error={f.errors.product_id}
              required
            />
            <TextField label="Quantity" name="quantity" type="number" inputMode="decimal" min={0.001} step={0.001} value={f.values.quantity} onValue={(x) => f.set("quantity", x)} error={f.errors.quantity} />
            <TextField label="Serial number" name="serial_number" value={f.values.serial_number} onValue={(x) => f.set("serial_number", x)} error={f.errors.serial_number} />
          </div>
          <div class="row-between">
            <span class="small muted">{product && product.unit_price !== undefined ? `${product.name}: ${money(product.unit_price, product.currency)} each` : "Price comes from the catalog."}</span>
            <Button type="submit" variant="primary" busy={f.busy}>
              Add part
            </Button>
          </div>
        </form>
      )}
      {editing && (
        <PartDialog
          part={editing}
          ticketId={ticket.id}
          onClose={() => setEditing(null)}
          onStale={parts.reload}
          onDone={() => {
            setEditing(null);
            parts.reload();
            toast("Part saved");
          }}
        />
      )}
      {removing && (
        <Confirm
          title="Remove this part?"
          description="It is archived: it no longer counts on the ticket or bills. A manager can restore it through the API."
          confirmLabel="Remove part"
          cancelLabel="Keep it"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            try {
              await api.del(`/tickets/${ticket.id}/parts/${removing.id}`, removing.version);
            } catch (e) {
              if (e instanceof ApiError && e.status === 412) parts.reload();
              throw e;
            }
            setRemoving(null);
            parts.reload();
            toast("Part removed");
          }}
        >
          <p>
            {removing.quantity} × <ProductName id={removing.product_id} />
            {removing.serial_number ? ` (serial ${removing.serial_number})` : ""}.
          </p>
        </Confirm>
      )}
    </div>
  );
}

function PartActions({ part, onEdit, onRemove }: { part: Part; onEdit?: () => void; onRemove?: () => void }) {
  const p = useRecord<Product>("products", part.product_id);
  return <RowActions what={`part ${p?.name ?? part.product_id}${part.serial_number ? ` ${part.serial_number}` : ""}`} onEdit={onEdit} onRemove={onRemove} />;
}

function PartDialog({ part, ticketId, onClose, onDone, onStale }: { part: Part; ticketId: number; onClose: () => void; onDone: () => void; onStale: () => void }) {
  const product = useRecord<Product>("products", part.product_id);
  const currency = product?.currency ?? "USD";
  const d = minorDigits(currency);
  const init = {
    quantity: String(part.quantity),
    unit_price: part.unit_price == null ? "" : (part.unit_price / 10 ** d).toFixed(d),
    serial_number: part.serial_number ?? "",
    billable: part.billable,
  };
  const f = useForm(init);
  const v = f.values;
  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const patch: Record<string, unknown> = {};
      if (v.quantity !== init.quantity) patch.quantity = v.quantity.trim() === "" ? null : Number(v.quantity);
      if (v.unit_price !== init.unit_price) patch.unit_price = v.unit_price.trim() === "" ? null : parseMoney(v.unit_price, currency) ?? v.unit_price;
      if (v.serial_number !== init.serial_number) patch.serial_number = v.serial_number.trim() || null;
      if (v.billable !== init.billable) patch.billable = v.billable;
      if (Object.keys(patch).length === 0) return onClose();
      try {
        await api.patch<Part>(`/tickets/${ticketId}/parts/${part.id}`, patch, part.version);
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) onStale();
        throw err;
      }
      onDone();
    });
  }
  return (
    <FormDialog
      title={`Edit part: ${product?.name ?? "…"}`}
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Save changes"
    >
      <div class="form-grid">
        <TextField label="Quantity" name="quantity" type="number" inputMode="decimal" min={0.001} step={0.001} value={v.quantity} onValue={(x) => f.set("quantity", x)} error={f.errors.quantity} required hint="Up to three decimals" />
        {part.unit_price !== undefined && (
          <TextField label={`Unit price (${currency})`} name="unit_price" inputMode="decimal" value={v.unit_price} onValue={(x) => f.set("unit_price", x)} error={f.errors.unit_price} hint={product ? `Catalog price: ${money(product.unit_price, currency)}` : undefined} />
        )}
        <div class="span-2">
          <TextField label="Serial number" name="serial_number" value={v.serial_number} onValue={(x) => f.set("serial_number", x)} error={f.errors.serial_number} />
        </div>
      </div>
      <Checkbox label="Billable" checked={v.billable} onValue={(x) => f.set("billable", x)} error={f.errors.billable} />
    </FormDialog>
  );
}
