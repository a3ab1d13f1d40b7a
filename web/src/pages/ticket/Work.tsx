/* Work.tsx - time logged on the ticket (by work type) and parts used (from the catalog). */
import { useState } from "preact/hooks";
import { ProductName, UserName } from "../../components/names";
import { ProductPicker } from "../../components/pickers";
import { Alert, Badge, Button, Checkbox, Empty, ErrorState, Loading, SelectField, TextField } from "../../components/ui";
import { api, listAll } from "../../lib/api";
import { dateTime, fromLocalInput, minutes, money } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";
import { remember, useRecord, workTypes } from "../../lib/lookup";
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
                    {types?.find((t) => t.id === e.work_type_id)?.name ?? `#${e.work_type_id}`}{" "}
                    {!e.billable && <Badge tone="gray">Non-billable</Badge>}
                    {e.invoice_id && <Badge tone="green">Invoiced</Badge>}
                  </td>
                  <td class="num nowrap">{minutes(e.minutes)}</td>
                  <td class="small">{e.notes}</td>
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
    </div>
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
  const closed = ticket.status === "closed";

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
                <th scope="col" class="num">Unit price</th>
                <th scope="col">Serial number</th>
              </tr>
            </thead>
            <tbody>
              {parts.data!.map((p) => (
                <tr key={p.id}>
                  <td>
                    <ProductName id={p.product_id} /> {!p.billable && <Badge tone="gray">Non-billable</Badge>}
                  </td>
                  <td class="num">{p.quantity}</td>
                  <td class="num">
                    <PartPrice part={p} />
                  </td>
                  <td class="mono">{p.serial_number ?? ""}</td>
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
            <span class="small muted">{product ? `${product.name}: ${money(product.unit_price, product.currency)} each` : "Price comes from the catalog."}</span>
            <Button type="submit" variant="primary" busy={f.busy}>
              Add part
            </Button>
          </div>
        </form>
      )}
    </div>
  );
}
