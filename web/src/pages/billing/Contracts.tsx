/*
 * Contracts.tsx - a contract's terms made and changed (ContractDialog, from
 * the client's page and the contract's own), and the contract's page
 * (/contracts/:id): its terms, rates, covered work, recurring additions,
 * the renewals it came from or led to, Renew, and for block hours the
 * block as a bar with the time entries that drew it, in the order worked.
 *
 * The kind decides which terms matter: a monthly fee, covered work types
 * and covered parts for managed services; the block's hours, price,
 * overage rate and rollover for block hours. Rate overrides, rounding and
 * recurring additions (a fixed quantity, or one per active asset of a
 * kind) hold for every kind. Members of another kind are cleared when the
 * kind changes, so a contract never carries terms it does not bill by.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { CompanyName, UserName } from "../../components/names";
import { CompanyPicker, ProductPicker } from "../../components/pickers";
import { Alert, Badge, Button, Card, Checkbox, Confirm, DefList, Empty, ErrorState, FormDialog, Loading, PageHeader, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, request } from "../../lib/api";
import { date, dateTime, label, money } from "../../lib/format";
import { useForm, useLoad, useTitle } from "../../lib/hooks";
import { remember, slaPolicies, workTypes } from "../../lib/lookup";
import { navigate } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { AssetKindValues, ContractKindValues, ContractStatusValues, type AssetKind, type ContractKind, type ContractStatus } from "../../lib/types";
import { minorText, parseMinor, parseQuantity, quantityNumber } from "../sales/model";
import { addDays, CONTRACT_KIND_LABELS, CONTRACT_STATUS_TONE, hm, parseHours, type BlockBalance, type Contract, type ContractAddition } from "./model";
import { BlockBar, ContractLink, useBillingSettings, useTimeEntries } from "./parts";

const KIND_OPTIONS = ContractKindValues.map((k) => ({ value: k, label: CONTRACT_KIND_LABELS[k] }));
const STATUS_OPTIONS = ContractStatusValues.map((s) => ({ value: s, label: label(s) }));
const ASSET_OPTIONS = AssetKindValues.map((k) => ({ value: k, label: label(k) }));

export function ContractKindBadge({ kind }: { kind: ContractKind }) {
  return <Badge tone={kind === "managed" ? "indigo" : kind === "block_hours" ? "violet" : "blue"}>{CONTRACT_KIND_LABELS[kind]}</Badge>;
}

export function ContractStatusBadge({ status }: { status: ContractStatus }) {
  return (
    <Badge tone={CONTRACT_STATUS_TONE[status] ?? "neutral"} dot>
      {label(status)}
    </Badge>
  );
}

/** What the contract charges, in a few words. */
export function contractPrice(c: Contract): string {
  if (c.kind === "managed") return `${money(c.monthly_fee, c.currency)} a month`;
  if (c.kind === "block_hours") return `${money(c.block_price, c.currency)} for ${hm((c.block_minutes ?? 0) + (c.carried_minutes ?? 0))} h`;
  return "Time & materials";
}

/* The form ------------------------------------------------------------------------------ */

interface RateRow {
  key: number;
  work_type_id: string;
  rate: string;
}

interface AdditionRow {
  key: number;
  product_id: number | null;
  description: string;
  unit_price: string;
  counted: "fixed" | "device";
  quantity: string;
  asset_kind: AssetKind;
  taxable: boolean;
}

type Values = {
  name: string;
  company_id: number | null;
  kind: ContractKind;
  status: ContractStatus;
  starts_on: string;
  ends_on: string;
  sla_policy_id: string;
  currency: string;
  monthly_fee: string;
  covered_work_type_ids: number[];
  parts_covered: boolean;
  block_minutes: string;
  block_price: string;
  overage_rate: string;
  rollover: boolean;
  billing_increment_minutes: string;
  minimum_minutes: string;
  rates: RateRow[];
  additions: AdditionRow[];
  notes: string;
};

let rowKey = 0;

function toValues(c: Contract | null | undefined, defaults: { company_id: number | null; currency: string; increment: number; minimum: number }): Values {
  const cur = c?.currency ?? defaults.currency;
  return {
    name: c?.name ?? "",
    company_id: c?.company_id ?? defaults.company_id,
    kind: c?.kind ?? "time_materials",
    status: c?.status ?? "active",
    starts_on: c?.starts_on ?? "",
    ends_on: c?.ends_on ?? "",
    sla_policy_id: c?.sla_policy_id ? String(c.sla_policy_id) : "",
    currency: cur,
    monthly_fee: minorText(c?.monthly_fee ?? null, cur),
    covered_work_type_ids: c?.covered_work_type_ids ?? [],
    parts_covered: c?.parts_covered ?? false,
    block_minutes: c?.block_minutes ? hm(c.block_minutes) : "",
    block_price: minorText(c?.block_price ?? null, cur),
    overage_rate: minorText(c?.overage_rate ?? null, cur),
    rollover: c?.rollover ?? false,
    billing_increment_minutes: String(c?.billing_increment_minutes ?? defaults.increment),
    minimum_minutes: String(c?.minimum_minutes ?? defaults.minimum),
    rates: (c?.rates ?? []).map((r) => ({ key: ++rowKey, work_type_id: String(r.work_type_id), rate: minorText(r.hourly_rate, cur) })),
    additions: (c?.additions ?? []).map((a) => ({
      key: ++rowKey,
      product_id: a.product_id ?? null,
      description: a.description,
      unit_price: minorText(a.unit_price, cur),
      counted: a.asset_kind ? "device" : "fixed",
      quantity: a.quantity === undefined || a.quantity === null ? "1" : String(a.quantity),
      asset_kind: a.asset_kind ?? "workstation",
      taxable: a.taxable ?? true,
    })),
    notes: c?.notes ?? "",
  };
}

interface Built {
  body: Record<string, unknown>;
  errors: Record<string, string>;
  rowErrors: Record<string, string>;
}

/** The API body of the form, and what is wrong with it before asking the server. */
function build(v: Values): Built {
  const errors: Record<string, string> = {};
  const rowErrors: Record<string, string> = {};
  const cur = v.currency.trim().toUpperCase() || "USD";
  const moneyOf = (name: string, text: string, required: boolean): number | null => {
    if (!text.trim()) {
      if (required) errors[name] = "Required for this kind of contract";
      return null;
    }
    const m = parseMinor(text, cur);
    if (m === null) errors[name] = "An amount like 1250.00";
    return m;
  };
  const intOf = (name: string, text: string, min: number): number | null => {
    if (!/^\d{1,4}$/.test(text.trim()) || Number(text) < min) {
      errors[name] = min ? `Whole minutes, ${min} or more` : "Whole minutes, 0 or more";
      return null;
    }
    return Number(text);
  };
  if (!v.name.trim()) errors.name = "Name the contract";
  if (!v.company_id) errors.company_id = "Choose the client";
  if (!v.starts_on) errors.starts_on = "When the contract begins";
  const managed = v.kind === "managed";
  const block = v.kind === "block_hours";
  let blockMinutes: number | null = null;
  if (block) {
    blockMinutes = v.block_minutes.trim() ? parseHours(v.block_minutes) : null;
    if (!v.block_minutes.trim()) errors.block_minutes = "Required for block hours";
    else if (!blockMinutes) errors.block_minutes = "Hours like 10 or 7:30";
  }
  const rates = v.rates.map((r, i) => {
    const rate = parseMinor(r.rate, cur);
    if (!r.work_type_id) rowErrors[`rates.${i}.work_type_id`] = "Choose a work type";
    if (rate === null) rowErrors[`rates.${i}.rate`] = "An hourly rate like 95.00";
    return { work_type_id: Number(r.work_type_id), hourly_rate: rate ?? r.rate };
  });
  const additions = v.additions.map((a, i) => {
    const price = parseMinor(a.unit_price, cur);
    if (!a.description.trim()) rowErrors[`additions.${i}.description`] = "Describe it";
    if (price === null) rowErrors[`additions.${i}.unit_price`] = "A price like 25.00";
    const out: Record<string, unknown> = { description: a.description.trim(), unit_price: price ?? a.unit_price, taxable: a.taxable };
    if (a.product_id) out.product_id = a.product_id;
    if (a.counted === "device") out.asset_kind = a.asset_kind;
    else {
      const q = parseQuantity(a.quantity);
      if (q === null || q === 0n) rowErrors[`additions.${i}.quantity`] = "A quantity above 0";
      out.quantity = q === null ? a.quantity : quantityNumber(q);
    }
    return out;
  });
  const body: Record<string, unknown> = {
    name: v.name.trim(),
    company_id: v.company_id,
    kind: v.kind,
    status: v.status,
    starts_on: v.starts_on || null,
    ends_on: v.ends_on || null,
    sla_policy_id: v.sla_policy_id ? Number(v.sla_policy_id) : null,
    currency: cur,
    monthly_fee: managed ? moneyOf("monthly_fee", v.monthly_fee, true) : null,
    covered_work_type_ids: managed ? v.covered_work_type_ids : [],
    parts_covered: managed ? v.parts_covered : false,
    block_minutes: block ? blockMinutes : null,
    block_price: block ? moneyOf("block_price", v.block_price, true) : null,
    overage_rate: block ? moneyOf("overage_rate", v.overage_rate, false) : null,
    rollover: block ? v.rollover : false,
    billing_increment_minutes: intOf("billing_increment_minutes", v.billing_increment_minutes, 1),
    minimum_minutes: intOf("minimum_minutes", v.minimum_minutes, 0),
    rates,
    additions,
    notes: v.notes.trim() || null,
  };
  return { body, errors, rowErrors };
}

/** "[1]: refers to no live work type" -> the row's message. */
function rowProblems(e: ApiError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const x of e.problem.errors ?? []) {
    const m = /^\[(\d+)\](?:\.(\w+))?: (.*)$/s.exec(x.message);
    if ((x.field === "rates" || x.field === "additions") && m) out[`${x.field}.${m[1]}.${m[2] ?? "row"}`] = m[3];
  }
  return out;
}

export function ContractDialog({ record, companyId, onClose, onDone }: { record?: Contract | null; companyId?: number | null; onClose: () => void; onDone: (c: Contract) => void }) {
  const settings = useBillingSettings();
  const wts = (workTypes.use() ?? []).filter((w) => !w.archived_at || record?.rates.some((r) => r.work_type_id === w.id) || record?.covered_work_type_ids.includes(w.id));
  const policies = slaPolicies.use() ?? [];
  const initial = useMemo(
    () => toValues(record, { company_id: companyId ?? null, currency: settings?.currency ?? "USD", increment: settings?.billing_increment_minutes ?? 15, minimum: settings?.minimum_minutes ?? 0 }),
    // the defaults only matter for a new contract, and only until the settings are in
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [record, !!settings],
  );
  const form = useForm<Values>(initial);
  // a new contract takes the firm's currency and rounding once the settings are in
  useEffect(() => {
    if (record || !settings) return;
    form.setAll({
      ...form.values,
      currency: form.values.currency === "USD" ? settings.currency : form.values.currency,
      billing_increment_minutes: form.values.billing_increment_minutes === "15" ? String(settings.billing_increment_minutes) : form.values.billing_increment_minutes,
      minimum_minutes: form.values.minimum_minutes === "0" ? String(settings.minimum_minutes) : form.values.minimum_minutes,
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [!!settings]);
  const [rowErrors, setRowErrors] = useState<Record<string, string>>({});
  const v = form.values;
  const cur = v.currency.trim().toUpperCase() || "USD";
  const baseline = useMemo(() => JSON.stringify(build(initial).body), [initial]);

  function setRates(rates: RateRow[]) {
    form.set("rates", rates);
    setRowErrors({});
  }
  function setAdditions(additions: AdditionRow[]) {
    form.set("additions", additions);
    setRowErrors({});
  }

  async function submit(e: Event) {
    e.preventDefault();
    const b = build(v);
    setRowErrors(b.rowErrors);
    await form.submit(async () => {
      if (Object.keys(b.errors).length || Object.keys(b.rowErrors).length) {
        form.setErrors(b.errors);
        setTimeout(() => document.querySelector<HTMLElement>(".contract-form [aria-invalid='true']")?.focus(), 0);
        throw new Error("Please correct the highlighted fields.");
      }
      let saved: Contract;
      try {
        if (record) {
          const base = JSON.parse(baseline) as Record<string, unknown>;
          const patch: Record<string, unknown> = {};
          for (const [k, x] of Object.entries(b.body)) if (JSON.stringify(x) !== JSON.stringify(base[k])) patch[k] = x;
          if (Object.keys(patch).length === 0) return onClose();
          saved = await api.patch<Contract>(`/contracts/${record.id}`, patch, record.version);
        } else {
          const body = { ...b.body };
          for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
          saved = await api.post<Contract>("/contracts", body);
        }
      } catch (err) {
        if (err instanceof ApiError) setRowErrors(rowProblems(err));
        throw err;
      }
      remember("contracts", saved);
      onDone(saved);
    });
  }

  const rowErr = (k: string) => rowErrors[k];
  const wtOptions = wts.map((w) => ({ value: String(w.id), label: `${w.name} · ${money(w.hourly_rate, w.currency)}/h` }));

  return (
    <FormDialog
      title={record ? `Edit ${record.name}` : "New contract"}
      description={record ? "Changes apply to work not yet invoiced." : "The terms the client's work is done and billed under."}
      onClose={onClose}
      wide
      onSubmit={submit}
      busy={form.busy}
      formError={form.formError}
      submitLabel={record ? "Save changes" : "Create contract"}
    >
      <div class="contract-form stack">
        <div class="form-grid">
          <div class="span-2">
            <TextField label="Name" required value={v.name} onValue={(x) => form.set("name", x)} error={form.errors.name} placeholder="Managed IT 2027" autoFocus={!record} />
          </div>
          {record || companyId ? (
            <div class="field">
              <span class="field-label">Client</span>
              <div class="picked">
                <span class="picked-name">
                  <CompanyName id={v.company_id} />
                </span>
              </div>
            </div>
          ) : (
            <CompanyPicker label="Client" required value={v.company_id} onValue={(id) => form.set("company_id", id)} error={form.errors.company_id} />
          )}
          <SelectField label="Kind" value={v.kind} onValue={(x) => form.set("kind", x as ContractKind)} options={KIND_OPTIONS} error={form.errors.kind} />
          <TextField label="Starts on" type="date" required value={v.starts_on} onValue={(x) => form.set("starts_on", x)} error={form.errors.starts_on} />
          <TextField label="Ends on" type="date" value={v.ends_on} onValue={(x) => form.set("ends_on", x)} error={form.errors.ends_on} hint="Empty: until it is ended or renewed." />
          <SelectField label="Status" value={v.status} onValue={(x) => form.set("status", x as ContractStatus)} options={STATUS_OPTIONS} error={form.errors.status} />
          <SelectField
            label="SLA policy"
            value={v.sla_policy_id}
            onValue={(x) => form.set("sla_policy_id", x)}
            options={policies.map((p) => ({ value: String(p.id), label: p.name + (p.is_default ? " (default)" : "") }))}
            placeholder="The firm's default"
            error={form.errors.sla_policy_id}
          />
          <TextField label="Currency" value={v.currency} onValue={(x) => form.set("currency", x.toUpperCase())} error={form.errors.currency} hint="ISO 4217, e.g. USD" />
        </div>

        {v.kind === "managed" && (
          <fieldset class="plain-fieldset contract-kind-terms">
            <legend class="section-title">Managed services</legend>
            <div class="form-grid">
              <TextField label={`Monthly fee (${cur})`} required inputMode="decimal" value={v.monthly_fee} onValue={(x) => form.set("monthly_fee", x)} error={form.errors.monthly_fee} placeholder="2500.00" hint="Billed in advance; a month covered only in part is prorated." />
              <div class="align-end">
                <Checkbox label="Parts are covered by the fee" checked={v.parts_covered} onValue={(x) => form.set("parts_covered", x)} error={form.errors.parts_covered} />
              </div>
              <fieldset class={`plain-fieldset field span-2 ${form.errors.covered_work_type_ids ? "has-error" : ""}`}>
                <legend class="field-label">Work covered by the fee</legend>
                <div class="chips" role="group">
                  {wts.map((w) => {
                    const on = v.covered_work_type_ids.includes(w.id);
                    return (
                      <button
                        key={w.id}
                        type="button"
                        class={`chip ${on ? "is-active" : ""}`}
                        aria-pressed={on}
                        onClick={() => form.set("covered_work_type_ids", on ? v.covered_work_type_ids.filter((x) => x !== w.id) : [...v.covered_work_type_ids, w.id])}
                      >
                        {on && <span aria-hidden="true">✓ </span>}
                        {w.name}
                      </button>
                    );
                  })}
                </div>
                <div class="field-hint">{v.covered_work_type_ids.length ? "Other work types bill as time & materials at this contract's rates." : "None chosen: the fee covers every work type."}</div>
                {form.errors.covered_work_type_ids && (
                  <div class="field-error" role="alert">
                    {form.errors.covered_work_type_ids}
                  </div>
                )}
              </fieldset>
            </div>
          </fieldset>
        )}

        {v.kind === "block_hours" && (
          <fieldset class="plain-fieldset contract-kind-terms">
            <legend class="section-title">Block of hours</legend>
            <div class="form-grid">
              <TextField label="Hours in the block" required value={v.block_minutes} onValue={(x) => form.set("block_minutes", x)} error={form.errors.block_minutes} placeholder="10:00" hint="Hours like 10 or 7:30." />
              <TextField label={`Price of the block (${cur})`} required inputMode="decimal" value={v.block_price} onValue={(x) => form.set("block_price", x)} error={form.errors.block_price} placeholder="1000.00" hint="Billed once, by the run whose period holds the start." />
              <TextField label={`Overage rate per hour (${cur})`} inputMode="decimal" value={v.overage_rate} onValue={(x) => form.set("overage_rate", x)} error={form.errors.overage_rate} placeholder="150.00" hint="Time beyond the block; empty: the work type's rate." />
              <div class="align-end">
                <Checkbox label="Roll unused hours over into the renewal" checked={v.rollover} onValue={(x) => form.set("rollover", x)} error={form.errors.rollover} hint={v.rollover ? undefined : "Otherwise they lapse when the term ends."} />
              </div>
            </div>
          </fieldset>
        )}

        <fieldset class="plain-fieldset">
          <legend class="section-title">Billing time</legend>
          <div class="form-grid">
            <TextField label="Billing increment (minutes)" inputMode="numeric" value={v.billing_increment_minutes} onValue={(x) => form.set("billing_increment_minutes", x)} error={form.errors.billing_increment_minutes} hint="Each entry is rounded up to a multiple of this." />
            <TextField label="Minimum per entry (minutes)" inputMode="numeric" value={v.minimum_minutes} onValue={(x) => form.set("minimum_minutes", x)} error={form.errors.minimum_minutes} />
          </div>
          <div class="contract-rows">
            <div class="row-between">
              <span class="field-label">Rates of this contract</span>
              <Button size="sm" variant="subtle" onClick={() => setRates([...v.rates, { key: ++rowKey, work_type_id: "", rate: "" }])}>
                + Rate
              </Button>
            </div>
            {v.rates.length === 0 ? (
              <p class="small muted">None: each work type bills at its own hourly rate.</p>
            ) : (
              <ul class="contract-row-list" aria-label="Rates">
                {v.rates.map((r, i) => (
                  <li key={r.key} class="contract-row">
                    <SelectField label={`Work type, rate ${i + 1}`} value={r.work_type_id} onValue={(x) => setRates(v.rates.map((y) => (y.key === r.key ? { ...y, work_type_id: x } : y)))} options={wtOptions} placeholder="Choose…" error={rowErr(`rates.${i}.work_type_id`) ?? rowErr(`rates.${i}.row`)} />
                    <TextField label={`Hourly rate (${cur}), rate ${i + 1}`} inputMode="decimal" value={r.rate} onValue={(x) => setRates(v.rates.map((y) => (y.key === r.key ? { ...y, rate: x } : y)))} error={rowErr(`rates.${i}.rate`) ?? rowErr(`rates.${i}.hourly_rate`)} />
                    <button type="button" class="icon-btn icon-danger" aria-label={`Remove rate ${i + 1}`} onClick={() => setRates(v.rates.filter((y) => y.key !== r.key))}>
                      ✕
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {form.errors.rates && (
              <div class="field-error" role="alert">
                {form.errors.rates}
              </div>
            )}
          </div>
        </fieldset>

        <fieldset class="plain-fieldset">
          <legend class="section-title">Recurring additions</legend>
          <p class="small muted">Billed every month with the fee: a fixed quantity, or one per active device of a kind.</p>
          {v.additions.length > 0 && (
            <ul class="contract-row-list" aria-label="Recurring additions">
              {v.additions.map((a, i) => {
                const set = (part: Partial<AdditionRow>) => setAdditions(v.additions.map((y) => (y.key === a.key ? { ...y, ...part } : y)));
                return (
                  <li key={a.key} class="contract-addition">
                    <div class="form-grid">
                      <div class="span-2">
                        <TextField label={`Description, addition ${i + 1}`} value={a.description} onValue={(x) => set({ description: x })} error={rowErr(`additions.${i}.description`) ?? rowErr(`additions.${i}.row`)} placeholder="Endpoint protection" />
                      </div>
                      <TextField label={`Unit price (${cur}), addition ${i + 1}`} inputMode="decimal" value={a.unit_price} onValue={(x) => set({ unit_price: x })} error={rowErr(`additions.${i}.unit_price`)} />
                      <SelectField
                        label={`Counted, addition ${i + 1}`}
                        value={a.counted}
                        onValue={(x) => set({ counted: x as AdditionRow["counted"] })}
                        options={[
                          { value: "fixed", label: "A fixed quantity" },
                          { value: "device", label: "Per device of a kind" },
                        ]}
                      />
                      {a.counted === "fixed" ? (
                        <TextField label={`Quantity, addition ${i + 1}`} inputMode="decimal" value={a.quantity} onValue={(x) => set({ quantity: x })} error={rowErr(`additions.${i}.quantity`)} />
                      ) : (
                        <SelectField label={`Device kind, addition ${i + 1}`} value={a.asset_kind} onValue={(x) => set({ asset_kind: x as AssetKind })} options={ASSET_OPTIONS} hint="Counted from the client's active assets on the run date." />
                      )}
                      <div class="align-end row-between">
                        <Checkbox label="Taxed" checked={a.taxable} onValue={(x) => set({ taxable: x })} />
                        <Button size="sm" variant="ghost" onClick={() => setAdditions(v.additions.filter((y) => y.key !== a.key))} aria-label={`Remove addition ${i + 1}`}>
                          Remove
                        </Button>
                      </div>
                    </div>
                  </li>
                );
              })}
            </ul>
          )}
          <AddAddition currency={cur} onAdd={(a) => setAdditions([...v.additions, a])} />
          {form.errors.additions && (
            <div class="field-error" role="alert">
              {form.errors.additions}
            </div>
          )}
        </fieldset>

        <TextArea label="Notes" rows={2} value={v.notes} onValue={(x) => form.set("notes", x)} error={form.errors.notes} />
      </div>
    </FormDialog>
  );
}

function AddAddition({ currency, onAdd }: { currency: string; onAdd: (a: AdditionRow) => void }) {
  const [picking, setPicking] = useState(false);
  const blank: AdditionRow = { key: 0, product_id: null, description: "", unit_price: "", counted: "fixed", quantity: "1", asset_kind: "workstation", taxable: true };
  return picking ? (
    <div class="qadd-panel">
      <ProductPicker
        value={null}
        onValue={(_, p) => {
          if (!p) return;
          onAdd({ ...blank, key: ++rowKey, product_id: p.id, description: p.name, unit_price: minorText(p.unit_price, currency), taxable: p.taxable });
          setPicking(false);
        }}
      />
      <Button size="sm" onClick={() => setPicking(false)}>
        Cancel
      </Button>
    </div>
  ) : (
    <div class="row">
      <Button size="sm" variant="subtle" onClick={() => setPicking(true)}>
        + Addition from the catalog
      </Button>
      <Button size="sm" variant="subtle" onClick={() => onAdd({ ...blank, key: ++rowKey })}>
        + Free addition
      </Button>
    </div>
  );
}

/* One contract ----------------------------------------------------------------------------- */

export function ContractPage({ id, user }: { id: number; user: Me }) {
  const contract = useLoad((signal) => api.get<Contract>(`/contracts/${id}`, undefined, signal), [id]);
  const c = contract.data;
  const isBlock = c?.kind === "block_hours";
  const balance = useLoad((signal) => (isBlock ? api.get<BlockBalance>(`/contracts/${id}/balance`, undefined, signal) : Promise.resolve(null)), [id, isBlock, c?.version]);
  const wts = workTypes.use();
  const policies = slaPolicies.use();
  const [editing, setEditing] = useState(false);
  const [renewing, setRenewing] = useState(false);
  useTitle(c ? c.name : "Contract");

  if (contract.error) return <ErrorState message={contract.error} onRetry={contract.reload} />;
  if (!c) return <Loading rows={8} label="Loading the contract…" />;

  const wtName = (wid: number) => wts?.find((w) => w.id === wid)?.name ?? `Work type ${wid}`;
  const mayEdit = can("contracts.edit", user.role);
  const mayRenew = can("contracts.renew", user.role) && c.status !== "draft" && !c.renewed_by_id;

  return (
    <div class="contract-page">
      <PageHeader
        crumbs={
          <>
            <a href="/clients">Clients</a> / <CompanyName id={c.company_id} link />
          </>
        }
        title={c.name}
        subtitle={
          <>
            <ContractKindBadge kind={c.kind} />
            <ContractStatusBadge status={c.status} />
            <span>
              {date(c.starts_on)} – {c.ends_on ? date(c.ends_on) : "open-ended"}
            </span>
            <span class="muted">{contractPrice(c)}</span>
          </>
        }
        actions={
          <>
            {mayEdit && <Button onClick={() => setEditing(true)}>Edit</Button>}
            {mayRenew && (
              <Button variant="primary" onClick={() => setRenewing(true)}>
                Renew
              </Button>
            )}
          </>
        }
      />
      {c.renewed_by_id && (
        <Alert tone="info" title="Renewed">
          This term was renewed: <ContractLink id={c.renewed_by_id} /> carries on from {c.ends_on ? date(addDays(c.ends_on, 1)) : "its start"}.
        </Alert>
      )}

      {isBlock && (
        <Card title="Block balance" class="block-card">
          {balance.error ? <ErrorState message={balance.error} onRetry={balance.reload} /> : !balance.data ? <Loading rows={3} /> : <BalanceView contract={c} balance={balance.data} />}
        </Card>
      )}
      <div class="detail-grid">
        <div class="detail-main">
          <Card title="Terms">
            <DefList
              items={[
                ["Kind", CONTRACT_KIND_LABELS[c.kind]],
                ["Term", `${date(c.starts_on)} – ${c.ends_on ? date(c.ends_on) : "open-ended"}`],
                ["Currency", c.currency],
                ...(c.kind === "managed"
                  ? ([
                      ["Monthly fee", `${money(c.monthly_fee, c.currency)}, billed in advance`],
                      ["Work covered", c.covered_work_type_ids.length ? c.covered_work_type_ids.map(wtName).join(", ") : "Every work type"],
                      ["Parts", c.parts_covered ? "Covered by the fee" : "Billed"],
                    ] as [string, string][])
                  : []),
                ...(c.kind === "block_hours"
                  ? ([
                      ["Block", `${hm(c.block_minutes)} h for ${money(c.block_price, c.currency)}`],
                      ["Carried over", c.carried_minutes ? `${hm(c.carried_minutes)} h from the previous term` : null],
                      ["Beyond the block", c.overage_rate !== null ? `${money(c.overage_rate, c.currency)}/h` : "The work type's rate"],
                      ["Unused hours", c.rollover ? "Roll over into the renewal" : c.ends_on ? `Lapse on ${date(c.ends_on)}` : "Lapse when the term ends"],
                    ] as [string, string | null][])
                  : []),
                ["Rounding", `${c.billing_increment_minutes}-minute increments${c.minimum_minutes ? `, at least ${c.minimum_minutes} min per entry` : ""}`],
                ["SLA policy", c.sla_policy_id ? (policies?.find((p) => p.id === c.sla_policy_id)?.name ?? `Policy ${c.sla_policy_id}`) : "The firm's default"],
                ["From quote", c.quote_id ? <a href={`/quotes/${c.quote_id}`}>Quote #{c.quote_id}</a> : null],
                ["Renews", c.renewed_from_id ? <ContractLink id={c.renewed_from_id} /> : null],
              ]}
            />
            {c.notes && <div class="pre small contract-notes">{c.notes}</div>}
          </Card>
          <Card title="Rates" pad={c.rates.length === 0}>
            {c.rates.length === 0 ? (
              <p class="small muted">Every work type bills at its own hourly rate.</p>
            ) : (
              <div class="table-wrap">
                <table class="table" aria-label="Rates of this contract">
                  <thead>
                    <tr>
                      <th scope="col">Work type</th>
                      <th scope="col" class="num">
                        List rate
                      </th>
                      <th scope="col" class="num">
                        This contract
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.rates.map((r) => {
                      const w = wts?.find((x) => x.id === r.work_type_id);
                      return (
                        <tr key={r.work_type_id}>
                          <td>{wtName(r.work_type_id)}</td>
                          <td class="num muted">{w ? `${money(w.hourly_rate, w.currency)}/h` : "—"}</td>
                          <td class="num">
                            <strong>{money(r.hourly_rate, c.currency)}/h</strong>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
          <Card title="Recurring additions" pad={c.additions.length === 0}>
            {c.additions.length === 0 ? (
              <p class="small muted">None.</p>
            ) : (
              <div class="table-wrap">
                <table class="table" aria-label="Recurring additions">
                  <thead>
                    <tr>
                      <th scope="col">Description</th>
                      <th scope="col">Counted</th>
                      <th scope="col" class="num">
                        Unit price
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {c.additions.map((a: ContractAddition, i) => (
                      <tr key={i}>
                        <td>
                          {a.description}
                          {a.taxable === false && <span class="muted small"> · untaxed</span>}
                        </td>
                        <td>{a.asset_kind ? `Per active ${label(a.asset_kind).toLowerCase()}` : `${a.quantity ?? 1} a month`}</td>
                        <td class="num">{money(a.unit_price, c.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Card>
        </div>
        <aside class="detail-side">
          <Card title="Client">
            <p>
              <CompanyName id={c.company_id} link />
            </p>
            <a class="small" href={`/tickets?status=&company_id=${c.company_id}`}>
              The client's service orders
            </a>
            {can("invoices.view", user.role) && (
              <>
                <br />
                <a class="small" href={`/invoices?company_id=${c.company_id}`}>
                  The client's invoices
                </a>
              </>
            )}
          </Card>
          <Card title="History">
            <DefList
              items={[
                ["Created", dateTime(c.created_at)],
                ["Changed", dateTime(c.updated_at)],
                ["Renewed from", c.renewed_from_id ? <ContractLink id={c.renewed_from_id} /> : null],
                ["Renewed by", c.renewed_by_id ? <ContractLink id={c.renewed_by_id} /> : null],
              ]}
            />
          </Card>
        </aside>
      </div>

      {editing && (
        <ContractDialog
          record={c}
          onClose={() => setEditing(false)}
          onDone={(x) => {
            contract.set(x);
            setEditing(false);
            toast("Contract saved");
          }}
        />
      )}
      {renewing && <RenewDialog contract={c} balance={balance.data ?? null} onClose={() => setRenewing(false)} />}
    </div>
  );
}

function BalanceView({ contract, balance }: { contract: Contract; balance: BlockBalance }) {
  const entries = useTimeEntries(balance.entries.map((e) => e.id));
  return (
    <div class="stack">
      <BlockBar block={balance.block_minutes} used={balance.used_minutes} />
      <DefList
        items={[
          ["Block", `${hm(balance.block_minutes)} h${balance.carried_minutes ? ` (${hm(balance.carried_minutes)} h carried over)` : ""}`],
          ["Drawn", `${hm(balance.drawn_minutes)} h`],
          ["Left", `${hm(balance.remaining_minutes)} h`],
          ["Beyond the block", balance.overage_minutes ? `${hm(balance.overage_minutes)} h, billed at ${contract.overage_rate !== null ? money(contract.overage_rate, contract.currency) + "/h" : "the work type's rate"}` : "None"],
          ["Unused hours", balance.rollover ? "Roll over into the renewal" : balance.lapses_on ? `Lapse on ${date(balance.lapses_on)}` : "Lapse when the term ends"],
        ]}
      />
      {balance.entries.length === 0 ? (
        <Empty title="Nothing drawn yet" icon="◔">
          Billable time on this contract's service orders draws the block in the order it is worked.
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="table block-entries" aria-label="Time that drew the block">
            <thead>
              <tr>
                <th scope="col">Worked</th>
                <th scope="col">Service order</th>
                <th scope="col" class="hide-sm">
                  Technician
                </th>
                <th scope="col" class="num">
                  Time
                </th>
                <th scope="col" class="num">
                  Billed
                </th>
                <th scope="col" class="num">
                  Drawn
                </th>
                <th scope="col" class="num">
                  Beyond
                </th>
                <th scope="col" class="num">
                  Left after
                </th>
                <th scope="col" class="hide-sm">
                  Invoice
                </th>
              </tr>
            </thead>
            <tbody>
              {balance.entries.map((e) => {
                const t = entries.get(e.id)?.ticket_id;
                return (
                  <tr key={e.id}>
                    <td class="nowrap">{dateTime(e.started_at)}</td>
                    <td class="nowrap">{t ? <a href={`/tickets/${t}`}>{e.ticket_number}</a> : <span class="ticket-no">{e.ticket_number}</span>}</td>
                    <td class="hide-sm">
                      <UserName id={e.user_id} empty="—" />
                    </td>
                    <td class="num">{hm(e.minutes)}</td>
                    <td class="num">{hm(e.billed_minutes)}</td>
                    <td class="num">{hm(e.drawn_minutes)}</td>
                    <td class={`num ${e.overage_minutes ? "text-danger" : "muted"}`}>{e.overage_minutes ? hm(e.overage_minutes) : "—"}</td>
                    <td class="num">{hm(e.remaining_minutes)}</td>
                    <td class="hide-sm">{e.invoice_id ? <a href={`/invoices/${e.invoice_id}`}>Invoice #{e.invoice_id}</a> : <span class="muted small">Not yet</span>}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function RenewDialog({ contract, balance, onClose }: { contract: Contract; balance: BlockBalance | null; onClose: () => void }) {
  const starts = contract.ends_on ? addDays(contract.ends_on, 1) : null;
  const carry = contract.kind === "block_hours" && contract.rollover && balance ? balance.remaining_minutes : 0;
  async function renew() {
    const next = (await request<Contract>("POST", `/contracts/${contract.id}/renew`, { body: {}, version: contract.version })).data;
    remember("contracts", next);
    toast(`Renewed: ${next.name} from ${date(next.starts_on)}`);
    navigate(`/contracts/${next.id}`);
  }
  return (
    <Confirm title={`Renew ${contract.name}?`} confirmLabel="Renew contract" variant="primary" onConfirm={renew} onClose={onClose}>
      <p>
        A new contract with the same terms starts {starts ? <strong>{date(starts)}</strong> : <strong>today</strong>}
        {contract.ends_on ? ", for as long as this term" : ""}; this one ends{contract.ends_on ? ` on ${date(contract.ends_on)}` : " the day before"}.
      </p>
      {contract.kind === "block_hours" &&
        (contract.rollover ? (
          <p>
            The unused <strong>{hm(carry)} h</strong> of the block roll over into the new term.
          </p>
        ) : (
          <p class="muted">The block's unused hours do not roll over (the contract says so).</p>
        ))}
    </Confirm>
  );
}
