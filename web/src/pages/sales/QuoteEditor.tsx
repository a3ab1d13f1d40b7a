/*
 * QuoteEditor.tsx - one quote (/quotes/:id) or a new one (/quotes/new).
 *
 * A draft is edited here: the header (company, contact, opportunity,
 * title, contract kind, valid until, tax rate), the lines (equipment from
 * the catalog, labour by work type and hours, free service lines) with
 * totals computed live in the browser exactly as the server does (model.ts),
 * and the terms. Save sends a merge patch with If-Match; the server's totals
 * then replace the live ones (they are equal). Send gives the client link
 * (shown once), Revise makes the next revision, staff may record the
 * client's answer; after acceptance the contract and the service orders it
 * created are listed. Quotes that are no longer drafts are shown read-only.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { StatusBadge } from "../../components/badges";
import { CompanyName } from "../../components/names";
import { CompanyPicker, ProductPicker } from "../../components/pickers";
import { Alert, Badge, Button, Card, DefList, Dialog, ErrorState, Loading, PageHeader, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, errorMessage, listAll, request } from "../../lib/api";
import { date, dateTime, label, minutes as fmtMinutes, money, relative } from "../../lib/format";
import { useForm, useTitle } from "../../lib/hooks";
import { users, workTypes } from "../../lib/lookup";
import { navigate } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import type { Contract, Product, Ticket } from "../../lib/types";
import {
  bpText,
  CONTRACT_KINDS,
  COVERAGES,
  documentTotals,
  LINE_LABELS,
  minorText,
  parseMinor,
  parsePercentBp,
  parseQuantity,
  quantityNumber,
  quantityText,
  QUOTE_STATUS_LABELS,
  splitMinutes,
  UNIT_MINUTES,
  type ContractKind,
  type Coverage,
  type LineKind,
  type Opportunity,
  type Quote,
  type QuoteLine,
  type SentQuote,
  type TimeUnit,
} from "./model";
import { ContactPicker, CopyLink, OpportunitySelect, QuoteStatusBadge, SitePicker, useSettings } from "./parts";

/* The editable shape ------------------------------------------------------------------ */

interface LineDraft {
  key: number;
  kind: LineKind;
  product_id: number | null;
  work_type_id: number | null;
  ref: string;
  description: string;
  qty: string;
  price: string;
  discount: string;
  taxable: boolean;
  install: boolean;
}

interface Draft {
  company_id: number | null;
  contact_id: number | null;
  opportunity_id: number | null;
  title: string;
  contract_kind: ContractKind;
  valid_until: string;
  tax_rate: string;
  response_value: string;
  response_unit: TimeUnit;
  coverage: Coverage;
  warranty: string;
  technicians: number[];
  qualifications: string;
  /** certification names, comma-separated */
  certifications: string;
  site_id: number | null;
  notes: string;
  lines: LineDraft[];
}

type LineErrors = Record<number, Record<string, string>>;

let lineKey = 0;

function lineDraft(l: QuoteLine, currency: string): LineDraft {
  return {
    key: ++lineKey,
    kind: l.kind,
    product_id: l.product_id ?? null,
    work_type_id: l.work_type_id ?? null,
    ref: "",
    description: l.description ?? "",
    qty: quantityText(l.quantity ?? 1),
    price: minorText(l.unit_price ?? 0, currency),
    discount: bpText(l.discount_bp),
    taxable: !!l.taxable,
    install: !!l.install,
  };
}

function toDraft(q: Quote): Draft {
  const rt = splitMinutes(q.response_time_minutes);
  return {
    company_id: q.company_id,
    contact_id: q.contact_id,
    opportunity_id: q.opportunity_id,
    title: q.title,
    contract_kind: q.contract_kind,
    valid_until: q.valid_until ?? "",
    tax_rate: bpText(q.tax_rate_bp),
    response_value: rt.value,
    response_unit: rt.unit,
    coverage: q.coverage,
    warranty: q.warranty_days === null || q.warranty_days === undefined ? "" : String(q.warranty_days),
    technicians: (q.technicians ?? []).map((t) => t.user_id),
    qualifications: q.qualifications ?? "",
    certifications: (q.required_certifications ?? []).join(", "),
    site_id: q.site_id ?? null,
    notes: q.notes ?? "",
    lines: (q.lines ?? []).map((l) => lineDraft(l, q.currency)),
  };
}

interface Built {
  body: Record<string, unknown>;
  errors: Record<string, string>;
  lineErrors: LineErrors;
}

/** The API body of a draft, and what is wrong with it before asking the server. */
function build(d: Draft, currency: string): Built {
  const errors: Record<string, string> = {};
  const lineErrors: LineErrors = {};
  const lines = d.lines.map((l, i) => {
    const e: Record<string, string> = {};
    const qty = parseQuantity(l.qty);
    if (qty === null || qty === 0n) e.quantity = "A number above 0 with at most 3 decimals";
    const price = parseMinor(l.price, currency);
    if (price === null) e.unit_price = "An amount like 125.00";
    const disc = parsePercentBp(l.discount);
    if (disc === null) e.discount_bp = "0 to 100 (%)";
    if (!l.description.trim()) e.description = "Describe the line";
    if (Object.keys(e).length) lineErrors[i] = e;
    const b: Record<string, unknown> = {
      kind: l.kind,
      description: l.description.trim(),
      quantity: qty === null ? l.qty : quantityNumber(qty),
      unit_price: price ?? l.price,
      discount_bp: disc ?? l.discount,
      taxable: l.taxable,
    };
    if (l.kind === "labor") {
      if (l.work_type_id) b.work_type_id = l.work_type_id;
    } else if (l.product_id) b.product_id = l.product_id;
    if (l.kind === "equipment") b.install = l.install;
    return b;
  });
  let response: number | null = null;
  if (d.response_value.trim()) {
    const n = Number(d.response_value);
    if (!/^\d+$/.test(d.response_value.trim()) || n <= 0) errors.response_time_minutes = "A whole number above 0";
    else response = n * UNIT_MINUTES[d.response_unit];
  }
  let warranty: number | null = null;
  if (d.warranty.trim()) {
    if (!/^\d+$/.test(d.warranty.trim())) errors.warranty_days = "Whole days, 0 or more";
    else warranty = Number(d.warranty);
  }
  const tax = parsePercentBp(d.tax_rate);
  if (tax === null) errors.tax_rate_bp = "A rate from 0 to 100 %";
  if (!d.title.trim()) errors.title = "Give the quote a title";
  if (!d.company_id) errors.company_id = "Choose the client";
  const body: Record<string, unknown> = {
    company_id: d.company_id,
    contact_id: d.contact_id,
    opportunity_id: d.opportunity_id,
    title: d.title.trim(),
    contract_kind: d.contract_kind,
    tax_rate_bp: tax ?? 0,
    response_time_minutes: response,
    coverage: d.coverage,
    warranty_days: warranty,
    technicians: d.technicians.map((user_id) => ({ user_id })),
    qualifications: d.qualifications.trim() || null,
    required_certifications: d.certifications.split(",").map((c) => c.trim()).filter(Boolean),
    site_id: d.site_id,
    notes: d.notes.trim() || null,
    lines,
  };
  if (d.valid_until) body.valid_until = d.valid_until;
  return { body, errors, lineErrors };
}

/** The API's problem split into header fields, line fields ("[2].unit_price: …") and the rest. */
function splitProblem(e: ApiError): { fields: Record<string, string>; lines: LineErrors; other: string[] } {
  const fields: Record<string, string> = {};
  const lines: LineErrors = {};
  const other: string[] = [];
  for (const x of e.problem.errors ?? []) {
    const m = /^\[(\d+)\]\.(\w+): (.*)$/s.exec(x.message);
    if (x.field === "lines" && m) {
      const i = Number(m[1]);
      lines[i] = { ...(lines[i] ?? {}), [m[2]]: m[3] };
    } else if (x.field === "technicians" && m) {
      fields.technicians = fields.technicians ?? m[3];
    } else if (HEADER_FIELDS.has(x.field)) {
      fields[x.field] = fields[x.field] ?? x.message;
    } else {
      other.push(x.field ? `${label(x.field)} ${x.message}` : x.message);
    }
  }
  return { fields, lines, other };
}

const HEADER_FIELDS = new Set([
  "company_id", "contact_id", "opportunity_id", "title", "contract_kind", "valid_until", "currency", "tax_rate_bp",
  "response_time_minutes", "coverage", "warranty_days", "technicians", "qualifications", "notes", "lines",
  "required_certifications", "site_id",
]);

/** Which fields of the draft make each member of the API body. */
const DRAFT_FIELDS: Record<string, (keyof Draft)[]> = {
  company_id: ["company_id"],
  contact_id: ["contact_id"],
  opportunity_id: ["opportunity_id"],
  title: ["title"],
  contract_kind: ["contract_kind"],
  valid_until: ["valid_until"],
  tax_rate_bp: ["tax_rate"],
  response_time_minutes: ["response_value", "response_unit"],
  coverage: ["coverage"],
  warranty_days: ["warranty"],
  technicians: ["technicians"],
  qualifications: ["qualifications"],
  required_certifications: ["certifications"],
  site_id: ["site_id"],
  notes: ["notes"],
  lines: ["lines"],
};

function focusFirstError() {
  setTimeout(() => document.querySelector<HTMLElement>(".quote-editor [aria-invalid='true']")?.focus(), 0);
}

/* The page ---------------------------------------------------------------------------- */

export function QuoteEditor({ id, user }: { id: number | null; user: Me }) {
  const settings = useSettings();
  const [quote, setQuote] = useState<Quote | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [baseline, setBaseline] = useState<string>("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [lineErrors, setLineErrors] = useState<LineErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [stale, setStale] = useState(false);
  const [busy, setBusy] = useState<"" | "save" | "send" | "revise">("");
  const [link, setLink] = useState<string | null>(null);
  const [sentDialog, setSentDialog] = useState(false);
  const [answer, setAnswer] = useState<"accept" | "decline" | null>(null);
  const [n, setN] = useState(0);
  const mayEdit = can("quotes.edit", user.role);
  const staff = (users.use() ?? []).filter((u) => u.active && !u.archived_at);

  const currency = quote?.currency ?? settings?.currency ?? "USD";
  const readOnly = !mayEdit || (!!quote && quote.status !== "draft");
  // the saved words of the terms hold until the coverage or response time is changed
  const savedTerms = quote ? toDraft(quote) : null;
  const dirtyTerms = !savedTerms || !draft || draft.coverage !== savedTerms.coverage || draft.response_value !== savedTerms.response_value || draft.response_unit !== savedTerms.response_unit;
  useTitle(quote ? `${quote.number} · ${quote.title}` : id ? "Quote" : "New quote");

  // load the quote, or start a new one (from ?company_id / ?opportunity_id)
  useEffect(() => {
    const ctl = new AbortController();
    setLoadError(null);
    if (id) {
      api
        .get<Quote>(`/quotes/${id}`, undefined, ctl.signal)
        .then((q) => {
          setQuote(q);
          const d = toDraft(q);
          setDraft(d);
          setBaseline(JSON.stringify(build(d, q.currency).body));
          setErrors({});
          setLineErrors({});
        })
        .catch((e) => {
          if ((e as Error).name !== "AbortError") setLoadError(errorMessage(e));
        });
    } else {
      const p = new URLSearchParams(window.location.search);
      const companyId = p.get("company_id") ? Number(p.get("company_id")) : null;
      const oppId = p.get("opportunity_id") ? Number(p.get("opportunity_id")) : null;
      const d: Draft = {
        company_id: companyId,
        contact_id: null,
        opportunity_id: oppId,
        title: "",
        contract_kind: "time_materials",
        valid_until: "",
        tax_rate: "",
        response_value: "4",
        response_unit: "hours",
        coverage: "business_hours",
        warranty: "90",
        technicians: [],
        qualifications: "",
        certifications: "",
        site_id: null,
        notes: "",
        lines: [],
      };
      setDraft(d);
      setBaseline("");
      if (oppId)
        api
          .get<Opportunity>(`/opportunities/${oppId}`, undefined, ctl.signal)
          .then((o) => setDraft((x) => (x ? { ...x, company_id: o.company_id, title: x.title || o.title } : x)))
          .catch(() => undefined);
    }
    return () => ctl.abort();
  }, [id, n]);

  // a new quote takes the firm's tax rate and validity once the settings are known
  useEffect(() => {
    if (id || !settings) return;
    setDraft((x) => {
      if (!x) return x;
      const until = new Date();
      until.setDate(until.getDate() + (settings.quote_validity_days || 30));
      const p = (k: number) => String(k).padStart(2, "0");
      return {
        ...x,
        tax_rate: x.tax_rate || bpText(settings.tax_rate_bp),
        valid_until: x.valid_until || `${until.getFullYear()}-${p(until.getMonth() + 1)}-${p(until.getDate())}`,
      };
    });
  }, [id, settings]);

  const built = useMemo(() => (draft ? build(draft, currency) : null), [draft, currency]);
  const dirty = !!built && (!quote || JSON.stringify(built.body) !== baseline);

  // a warning before leaving with unsaved changes
  useEffect(() => {
    if (!dirty || readOnly) return;
    const fn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = "";
    };
    window.addEventListener("beforeunload", fn);
    return () => window.removeEventListener("beforeunload", fn);
  }, [dirty, readOnly]);

  const live = useMemo(() => {
    if (!draft) return null;
    const rate = parsePercentBp(draft.tax_rate) ?? 0;
    return documentTotals(
      draft.lines.map((l) => ({ qty: parseQuantity(l.qty), price: parseMinor(l.price, currency), discount: parsePercentBp(l.discount), taxable: l.taxable })),
      rate,
    );
  }, [draft, currency]);

  if (loadError) return <ErrorState message={loadError} onRetry={() => setN((x) => x + 1)} />;
  if (!draft || !built || !live || (id && !quote)) return <Loading rows={8} label="Loading the quote…" />;

  function set<K extends keyof Draft>(k: K, v: Draft[K]) {
    setDraft((d) => (d ? { ...d, [k]: v } : d));
    const ek = k === "response_value" || k === "response_unit" ? "response_time_minutes" : k === "warranty" ? "warranty_days" : k === "tax_rate" ? "tax_rate_bp" : (k as string);
    if (errors[ek]) setErrors((e) => ({ ...e, [ek]: "" }));
  }
  function setLine(i: number, part: Partial<LineDraft>) {
    setDraft((d) => (d ? { ...d, lines: d.lines.map((l, j) => (j === i ? { ...l, ...part } : l)) } : d));
    if (lineErrors[i])
      setLineErrors((le) => {
        const c = { ...le, [i]: { ...le[i] } };
        for (const k of Object.keys(part)) {
          const f = k === "qty" ? "quantity" : k === "price" ? "unit_price" : k === "discount" ? "discount_bp" : k;
          delete c[i][f];
        }
        return c;
      });
  }
  function addLine(l: Omit<LineDraft, "key">) {
    setDraft((d) => (d ? { ...d, lines: [...d.lines, { ...l, key: ++lineKey }] } : d));
    if (errors.lines) setErrors((e) => ({ ...e, lines: "" }));
    setTimeout(() => {
      const rows = document.querySelectorAll<HTMLElement>(".qlines tbody tr");
      rows[rows.length - 1]?.querySelector<HTMLInputElement>("input.qty-input, input.desc-input")?.focus();
    }, 30);
  }
  function removeLine(i: number) {
    setDraft((d) => (d ? { ...d, lines: d.lines.filter((_, j) => j !== i) } : d));
    setLineErrors({});
  }
  function moveLine(i: number, by: number) {
    setDraft((d) => {
      if (!d) return d;
      const lines = [...d.lines];
      const j = i + by;
      if (j < 0 || j >= lines.length) return d;
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return { ...d, lines };
    });
    setLineErrors({});
  }

  function showProblem(e: unknown) {
    if (e instanceof ApiError) {
      const s = splitProblem(e);
      setErrors(s.fields);
      setLineErrors(s.lines);
      const has = Object.keys(s.fields).length > 0 || Object.keys(s.lines).length > 0;
      setFormError(s.other.length ? s.other.join("; ") : has ? "Please correct the highlighted fields." : errorMessage(e));
      if (e.status === 412) {
        setStale(true);
        setFormError(null);
      }
      if (has) focusFirstError();
    } else setFormError(errorMessage(e));
  }

  /** Saves; resolves to the saved quote (or null when it could not). */
  async function save(): Promise<Quote | null> {
    if (!draft || !built) return null;
    setFormError(null);
    if (Object.keys(built.errors).length || Object.keys(built.lineErrors).length) {
      setErrors(built.errors);
      setLineErrors(built.lineErrors);
      setFormError("Please correct the highlighted fields.");
      focusFirstError();
      return null;
    }
    try {
      let saved: Quote;
      if (!quote) {
        const body = { ...built.body };
        for (const k of Object.keys(body)) if (body[k] === null) delete body[k];
        if (settings?.currency) body.currency = settings.currency;
        saved = await api.post<Quote>("/quotes", body);
      } else {
        if (!dirty) return quote;
        const base = JSON.parse(baseline) as Record<string, unknown>;
        const patch: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(built.body)) if (JSON.stringify(v) !== JSON.stringify(base[k])) patch[k] = v;
        if (base.valid_until !== undefined && built.body.valid_until === undefined) patch.valid_until = null;
        saved = await api.patch<Quote>(`/quotes/${quote.id}`, patch, quote.version);
      }
      setErrors({});
      setLineErrors({});
      setStale(false);
      if (!quote) {
        toast(`Quote ${saved.number} created`);
        navigate(`/quotes/${saved.id}`, { replace: true });
        return saved;
      }
      setQuote(saved);
      const d = toDraft(saved);
      setDraft(d);
      setBaseline(JSON.stringify(build(d, saved.currency).body));
      return saved;
    } catch (e) {
      showProblem(e);
      if (e instanceof ApiError && e.status === 412 && quote) {
        // load their version and put this person's own changes back on top of it
        try {
          const fresh = await api.get<Quote>(`/quotes/${quote.id}`);
          const old = JSON.parse(baseline) as Record<string, unknown>;
          const mine = new Set(Object.keys(built.body).filter((k) => JSON.stringify(built.body[k]) !== JSON.stringify(old[k])));
          const theirs = toDraft(fresh);
          const merged: Draft = { ...theirs };
          for (const k of mine) for (const f of DRAFT_FIELDS[k] ?? []) (merged as unknown as Record<string, unknown>)[f] = draft[f];
          setQuote(fresh);
          setDraft(merged);
          setBaseline(JSON.stringify(build(theirs, fresh.currency).body));
        } catch {
          /* stays stale */
        }
      }
      return null;
    }
  }

  async function onSave() {
    setBusy("save");
    const q = await save();
    setBusy("");
    if (q && quote) toast("Quote saved");
  }

  async function onSend() {
    setBusy("send");
    try {
      const q = quote && !dirty ? quote : await save();
      if (!q) return;
      if (!quote) return; // a new quote is saved first; send from its page
      const sent = (await request<SentQuote>("POST", `/quotes/${q.id}/send`, { body: {}, version: q.version })).data;
      const { public_url, ...rest } = sent;
      setQuote(rest as Quote);
      const d = toDraft(rest as Quote);
      setDraft(d);
      setBaseline(JSON.stringify(build(d, rest.currency).body));
      setLink(public_url);
      setSentDialog(true);
      setFormError(null);
    } catch (e) {
      showProblem(e);
      toast(errorMessage(e), "error");
    } finally {
      setBusy("");
    }
  }

  async function onRevise() {
    if (!quote) return;
    setBusy("revise");
    try {
      const next = await api.post<Quote>(`/quotes/${quote.id}/revise`, {});
      toast(`Revision ${next.revision} of ${next.number} is a new draft; revision ${quote.revision} is superseded`);
      navigate(`/quotes/${next.id}`);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy("");
    }
  }

  const techs = [...staff].sort((a, b) => Number(b.role === "technician") - Number(a.role === "technician") || a.name.localeCompare(b.name));
  const showLive = dirty || !quote;
  const totals = showLive ? { subtotal: live.subtotal, tax: live.tax, total: live.total } : { subtotal: quote!.subtotal, tax: quote!.tax, total: quote!.total };
  const invalidLines = live.amounts.some((a) => a === null);
  const status = quote?.status ?? "draft";

  return (
    <div class="quote-editor" onKeyDown={(e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s" && !readOnly) {
        e.preventDefault();
        void onSave();
      }
    }}>
      <PageHeader
        crumbs={<a href="/quotes">Quotes</a>}
        title={
          quote ? (
            <>
              <span class="quote-no">{quote.number}</span>
              {(quote.revision ?? 1) > 1 && <span class="muted"> rev. {quote.revision}</span>} {quote.title}
            </>
          ) : (
            "New quote"
          )
        }
        subtitle={
          quote ? (
            <>
              <QuoteStatusBadge status={quote.status} />
              <CompanyName id={quote.company_id} link />
              <span class="muted">Updated {relative(quote.updated_at)}</span>
            </>
          ) : (
            "Pick the client, add lines from the catalog, set the terms, save — then send the client a link."
          )
        }
        actions={
          <div class="row quote-actions-bar">
            {quote && (
              <a class="btn btn-ghost btn-md" href={`/api/v1/quotes/${quote.id}.pdf`} target="_blank" rel="noopener" data-native>
                Open PDF
              </a>
            )}
            {mayEdit && quote && ["sent", "declined", "expired"].includes(status) && (
              <Button onClick={onRevise} busy={busy === "revise"}>
                Revise
              </Button>
            )}
            {mayEdit && quote && status === "sent" && (
              <>
                <Button onClick={() => setAnswer("decline")}>Record decline</Button>
                <Button onClick={() => setAnswer("accept")}>Record acceptance</Button>
              </>
            )}
            {mayEdit && (status === "draft" || status === "sent") && quote && (
              <Button variant={status === "draft" && !dirty ? "primary" : "secondary"} onClick={onSend} busy={busy === "send"} disabled={!!busy && busy !== "send"}>
                {status === "sent" ? "Send again" : dirty ? "Save and send" : "Send"}
              </Button>
            )}
            {!readOnly && (
              <Button variant={dirty || !quote ? "primary" : "secondary"} onClick={onSave} busy={busy === "save"} disabled={(!dirty && !!quote) || (!!busy && busy !== "save")} aria-keyshortcuts="Control+S">
                {quote ? (dirty ? "Save" : "Saved") : "Create quote"}
              </Button>
            )}
          </div>
        }
      />

      {quote && <Revisions quote={quote} />}

      {stale && (
        <Alert tone="warning" title="Someone else saved this quote meanwhile">
          Their version is loaded and your changes are put back on top of it (where you both changed the same thing, yours wins). Check, then save.{" "}
          <button type="button" class="link-btn" onClick={() => { setStale(false); setN((x) => x + 1); }}>
            Discard mine and load theirs
          </button>
        </Alert>
      )}
      {formError && <Alert>{formError}</Alert>}
      <StatusNote quote={quote} mayEdit={mayEdit} />

      <div class="quote-grid">
        <fieldset class="plain-fieldset quote-main" disabled={readOnly}>
          <legend class="sr-only">Client and offer</legend>
          <Card title="Client and offer">
            <div class="form-grid">
              <CompanyPicker
                label="Company"
                required
                value={draft.company_id}
                onValue={(v) => {
                  if (v !== draft.company_id) setDraft((d) => (d ? { ...d, company_id: v, contact_id: null, opportunity_id: null, site_id: null } : d));
                  if (errors.company_id) setErrors((e) => ({ ...e, company_id: "" }));
                }}
                error={errors.company_id}
              />
              <ContactPicker companyId={draft.company_id} value={draft.contact_id} onValue={(v) => set("contact_id", v)} error={errors.contact_id} />
              <SitePicker companyId={draft.company_id} value={draft.site_id} onValue={(v) => set("site_id", v)} error={errors.site_id} />
              <div class="span-2">
                <TextField label="Title" required value={draft.title} onValue={(v) => set("title", v)} error={errors.title} placeholder="Wi-Fi refresh for the main office" />
              </div>
              <OpportunitySelect companyId={draft.company_id} value={draft.opportunity_id} onValue={(v) => set("opportunity_id", v)} error={errors.opportunity_id} />
              <SelectField label="Contract on acceptance" value={draft.contract_kind} onValue={(v) => set("contract_kind", v as ContractKind)} options={CONTRACT_KINDS} error={errors.contract_kind} hint={draft.contract_kind === "managed" ? "Needs a service line (the monthly fee)." : draft.contract_kind === "block_hours" ? "Needs a labour line (the hours bought)." : undefined} />
              <TextField label="Valid until" type="date" value={draft.valid_until} onValue={(v) => set("valid_until", v)} error={errors.valid_until} hint={settings && !readOnly ? `Default: ${settings.quote_validity_days} days from today` : undefined} />
              <TextField label="Tax rate (%)" inputMode="decimal" value={draft.tax_rate} onValue={(v) => set("tax_rate", v)} error={errors.tax_rate_bp} hint={`Currency ${currency}`} />
            </div>
          </Card>
        </fieldset>

        <aside class="detail-side">
          <Card title="Summary" class="quote-summary">
            <dl class="qsum">
              <div>
                <dt>Lines</dt>
                <dd>{draft.lines.length}</dd>
              </div>
              <div>
                <dt>Subtotal</dt>
                <dd class="num">{money(totals.subtotal, currency)}</dd>
              </div>
              <div>
                <dt>Tax</dt>
                <dd class="num">{money(totals.tax, currency)}</dd>
              </div>
              <div class="qsum-total">
                <dt>Total</dt>
                <dd class="num">{money(totals.total, currency)}</dd>
              </div>
            </dl>
            {!readOnly && (
              <Button class="btn-block" variant={dirty || !quote ? "primary" : "secondary"} onClick={onSave} busy={busy === "save"} disabled={!dirty && !!quote}>
                {quote ? (dirty ? "Save changes" : "All changes saved") : "Create quote"}
              </Button>
            )}
          </Card>
          {link && quote?.status === "sent" && (
            <Card title="Client link">
              <CopyLink url={link} />
              <p class="small muted">Shown only now: copy it into your e-mail. Sending again makes a new link and this one stops working.</p>
            </Card>
          )}
          {quote && <AnswerCard quote={quote} />}
          {quote?.status === "accepted" && <ContractCard quote={quote} />}
          {quote && (
            <Card title="PDF">
              <iframe
                class="pdf-preview"
                key={`${quote.id}-${quote.version}`}
                src={`/api/v1/quotes/${quote.id}.pdf#view=FitH`}
                title={`PDF of quote ${quote.number} revision ${quote.revision}`}
                loading="lazy"
              />
              <div class="row">
                <a class="btn btn-secondary btn-md" href={`/api/v1/quotes/${quote.id}.pdf`} target="_blank" rel="noopener" data-native>
                  Open PDF
                </a>
                <a class="btn btn-ghost btn-md" href={`/api/v1/quotes/${quote.id}.pdf`} download={`${quote.number}-rev${quote.revision}.pdf`} data-native>
                  Download
                </a>
              </div>
              {dirty && <p class="small muted">The PDF shows the last saved version.</p>}
            </Card>
          )}
        </aside>
      </div>

      <fieldset class="plain-fieldset quote-section" disabled={readOnly}>
        <legend class="sr-only">Lines</legend>
        <Card title="Lines" class="qlines-card" pad={false}>
          <Lines
            draft={draft}
            currency={currency}
            amounts={showLive ? live.amounts : quote!.lines.map((l) => l.amount ?? null)}
            lineErrors={lineErrors}
            readOnly={readOnly}
            onLine={setLine}
            onRemove={removeLine}
            onMove={moveLine}
          />
          {errors.lines && (
            <div class="field-error qlines-error" role="alert">
              {errors.lines}
            </div>
          )}
          {!readOnly && <AddLine currency={currency} onAdd={addLine} />}
          <dl class="qtotals" aria-live="polite">
            <div>
              <dt>Subtotal</dt>
              <dd class="num">{money(totals.subtotal, currency)}</dd>
            </div>
            <div>
              <dt>Tax ({draft.tax_rate || "0"} % of {money(showLive ? live.taxable : taxableOf(quote!), currency)})</dt>
              <dd class="num">{money(totals.tax, currency)}</dd>
            </div>
            <div class="qtotals-total">
              <dt>Total</dt>
              <dd class="num" data-total>
                {money(totals.total, currency)}
              </dd>
            </div>
            {showLive && (
              <p class="qtotals-note small muted">{invalidLines ? "Lines with errors count as 0 until corrected." : quote ? "Live total — unsaved changes." : "Live total — not saved yet."}</p>
            )}
          </dl>
        </Card>
      </fieldset>

      <fieldset class="plain-fieldset quote-section" disabled={readOnly}>
        <legend class="sr-only">Terms</legend>
        <Card title="Terms">
          <div class="form-grid">
            <div class="field">
              <label class="field-label" for="q-response">
                Response time
              </label>
              <div class="input-unit">
                <input
                  id="q-response"
                  class="input"
                  inputMode="numeric"
                  value={draft.response_value}
                  placeholder="4"
                  aria-invalid={errors.response_time_minutes ? "true" : undefined}
                  aria-describedby={errors.response_time_minutes ? "q-response-error" : "q-response-hint"}
                  onInput={(e) => set("response_value", (e.currentTarget as HTMLInputElement).value)}
                />
                <label class="sr-only" for="q-response-unit">
                  Response time unit
                </label>
                <select id="q-response-unit" class="input select" value={draft.response_unit} onChange={(e) => set("response_unit", (e.currentTarget as HTMLSelectElement).value as TimeUnit)}>
                  <option value="minutes">minutes</option>
                  <option value="hours">hours</option>
                  <option value="days">days</option>
                </select>
              </div>
              {errors.response_time_minutes ? (
                <div class="field-error" id="q-response-error" role="alert">
                  {errors.response_time_minutes}
                </div>
              ) : (
                <div class="field-hint" id="q-response-hint">
                  {quote?.response_text && !dirtyTerms ? `The client reads: ${quote.response_text}.` : "Counted in working hours of the coverage: the contract's SLA responds within this."}
                </div>
              )}
            </div>
            <SelectField label="Hours of coverage" value={draft.coverage} onValue={(v) => set("coverage", v as Coverage)} options={COVERAGES} error={errors.coverage} hint={quote?.coverage_text && !dirtyTerms ? `The client reads: ${quote.coverage_text}.` : "Spelled out for the client from the calendar of that name when you save."} />
            <TextField label="Warranty (days)" inputMode="numeric" value={draft.warranty} onValue={(v) => set("warranty", v)} error={errors.warranty_days} placeholder="90" />
            <div />
            <div class="span-2">
              <TechPicker staff={techs} readOnly={readOnly} value={draft.technicians} onValue={(v) => set("technicians", v)} error={errors.technicians} />
            </div>
            <div class="span-2">
              <TextField
                label="Certifications required"
                value={draft.certifications}
                onValue={(v) => set("certifications", v)}
                error={errors.required_certifications}
                placeholder="CompTIA Network+, Electrical safety"
                hint="Comma-separated. Shown to the client; on acceptance the orders require them, and only a proposed technician who holds them is assigned."
              />
            </div>
            <div class="span-2">
              <TextArea
                label="Qualifications promised"
                rows={3}
                value={draft.qualifications}
                onValue={(v) => set("qualifications", v)}
                error={errors.qualifications}
                hint={
                  readOnly ? undefined : <>
                    Left empty, it is filled from the chosen technicians' valid certifications when you save.
                    {!readOnly && draft.technicians.length > 0 && draft.qualifications && (
                      <>
                        {" "}
                        <button type="button" class="link-btn" onClick={() => set("qualifications", "")}>
                          Refill from certifications
                        </button>
                      </>
                    )}
                  </>
                }
              />
            </div>
            <div class="span-2">
              <TextArea label="Notes for the client" rows={3} value={draft.notes} onValue={(v) => set("notes", v)} error={errors.notes} hint="Shown on the client's link and the PDF." />
            </div>
          </div>
        </Card>
      </fieldset>

      {sentDialog && link && quote && (
        <Dialog
          title={`${quote.number} sent`}
          onClose={() => setSentDialog(false)}
          footer={
            <Button variant="primary" onClick={() => setSentDialog(false)}>
              Done
            </Button>
          }
        >
          <div class="stack">
            <p>Send this link to the client. They can read the quote, download the PDF, and accept it by typing their name — or decline.</p>
            <CopyLink url={link} />
            <p class="small muted">The link is shown only now. It stays valid until {date(quote.valid_until)}.</p>
          </div>
        </Dialog>
      )}
      {answer && quote && (
        <AnswerDialog
          quote={quote}
          kind={answer}
          onClose={() => setAnswer(null)}
          onDone={(q) => {
            setAnswer(null);
            setQuote(q);
            const d = toDraft(q);
            setDraft(d);
            setBaseline(JSON.stringify(build(d, q.currency).body));
            toast(q.status === "accepted" ? "Acceptance recorded: the contract and service orders are created" : "Decline recorded");
          }}
        />
      )}
    </div>
  );
}

function taxableOf(q: Quote): number {
  return q.lines.reduce((s, l) => s + (l.taxable ? (l.amount ?? 0) : 0), 0);
}

/* Lines ------------------------------------------------------------------------------------- */

function Lines({ draft, currency, amounts, lineErrors, readOnly, onLine, onRemove, onMove }: {
  draft: Draft;
  currency: string;
  amounts: (number | null)[];
  lineErrors: LineErrors;
  readOnly: boolean;
  onLine: (i: number, part: Partial<LineDraft>) => void;
  onRemove: (i: number) => void;
  onMove: (i: number, by: number) => void;
}) {
  const wts = workTypes.use();
  if (draft.lines.length === 0)
    return <p class="qlines-empty muted">{readOnly ? "No lines." : "No lines yet. Add equipment from the catalog, labour by the hour or a service line below."}</p>;
  return (
    <div class="table-wrap">
      <table class="table qlines" aria-label="Quote lines">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" class="num">
              Qty
            </th>
            <th scope="col" class="num">
              Unit price
            </th>
            <th scope="col" class="num">
              Disc. %
            </th>
            <th scope="col">Taxed</th>
            <th scope="col">Install</th>
            <th scope="col" class="num">
              Amount
            </th>
            {!readOnly && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {draft.lines.map((l, i) => {
            const e = lineErrors[i] ?? {};
            const n = i + 1;
            const refErr = e.product_id || e.work_type_id || e.kind;
            const wt = l.kind === "labor" && l.work_type_id ? wts?.find((w) => w.id === l.work_type_id) : null;
            const err = (k: string, id: string) =>
              e[k] ? (
                <div class="field-error" id={id} role="alert">
                  {e[k]}
                </div>
              ) : null;
            const eid = (k: string) => `ql-${l.key}-${k}-err`;
            const badQty = !!e.quantity || parseQuantity(l.qty) === null;
            const badPrice = !!e.unit_price || parseMinor(l.price, currency) === null;
            const badDisc = !!e.discount_bp || parsePercentBp(l.discount) === null;
            return (
              <tr key={l.key} class={`qline qline-${l.kind} ${Object.keys(e).length ? "has-error" : ""}`}>
                <td class="qline-item">
                  <div class="qline-kind">
                    <Badge tone={l.kind === "labor" ? "violet" : l.kind === "service" ? "indigo" : "blue"}>{LINE_LABELS[l.kind]}</Badge>
                    {l.ref && <span class="small muted">{l.ref}</span>}
                    {wt && <span class="small muted">{wt.name} · {money(wt.hourly_rate, wt.currency)}/h</span>}
                  </div>
                  <label class="sr-only" for={`ql-${l.key}-desc`}>
                    Description, line {n}
                  </label>
                  <input
                    id={`ql-${l.key}-desc`}
                    class="input desc-input"
                    value={l.description}
                    onInput={(ev) => onLine(i, { description: (ev.currentTarget as HTMLInputElement).value })}
                    aria-invalid={e.description ? "true" : undefined}
                    aria-describedby={e.description ? eid("description") : undefined}
                  />
                  {err("description", eid("description"))}
                  {refErr && (
                    <div class="field-error" role="alert">
                      {refErr}
                    </div>
                  )}
                </td>
                <td class="qline-qty" data-label={l.kind === "labor" ? "Hours" : "Qty"}>
                  <label class="sr-only" for={`ql-${l.key}-qty`}>
                    {l.kind === "labor" ? "Hours" : "Quantity"}, line {n}
                  </label>
                  <div class="input-suffix">
                    <input
                      id={`ql-${l.key}-qty`}
                      class="input num qty-input"
                      inputMode="decimal"
                      value={l.qty}
                      onInput={(ev) => onLine(i, { qty: (ev.currentTarget as HTMLInputElement).value })}
                      aria-invalid={badQty ? "true" : undefined}
                      aria-describedby={e.quantity ? eid("quantity") : undefined}
                    />
                    {l.kind === "labor" && <span aria-hidden="true">h</span>}
                  </div>
                  {err("quantity", eid("quantity"))}
                </td>
                <td class="qline-price" data-label="Unit price">
                  <label class="sr-only" for={`ql-${l.key}-price`}>
                    Unit price ({currency}), line {n}
                  </label>
                  <input
                    id={`ql-${l.key}-price`}
                    class="input num price-input"
                    inputMode="decimal"
                    value={l.price}
                    onInput={(ev) => onLine(i, { price: (ev.currentTarget as HTMLInputElement).value })}
                    aria-invalid={badPrice ? "true" : undefined}
                    aria-describedby={e.unit_price ? eid("unit_price") : undefined}
                  />
                  {err("unit_price", eid("unit_price"))}
                </td>
                <td class="qline-disc" data-label="Disc. %">
                  <label class="sr-only" for={`ql-${l.key}-disc`}>
                    Discount per cent, line {n}
                  </label>
                  <input
                    id={`ql-${l.key}-disc`}
                    class="input num disc-input"
                    inputMode="decimal"
                    value={l.discount}
                    onInput={(ev) => onLine(i, { discount: (ev.currentTarget as HTMLInputElement).value })}
                    aria-invalid={badDisc ? "true" : undefined}
                    aria-describedby={e.discount_bp ? eid("discount_bp") : undefined}
                  />
                  {err("discount_bp", eid("discount_bp"))}
                </td>
                <td class="qline-check" data-label="Taxed">
                  <input type="checkbox" class="check" checked={l.taxable} aria-label={`Taxed, line ${n}`} onChange={(ev) => onLine(i, { taxable: (ev.currentTarget as HTMLInputElement).checked })} />
                  {err("taxable", eid("taxable"))}
                </td>
                <td class="qline-check" data-label="Install">
                  {l.kind === "equipment" ? (
                    <input type="checkbox" class="check" checked={l.install} aria-label={`Install, line ${n} (creates an installation order on acceptance)`} onChange={(ev) => onLine(i, { install: (ev.currentTarget as HTMLInputElement).checked })} />
                  ) : (
                    <span class="muted" aria-hidden="true">—</span>
                  )}
                  {err("install", eid("install"))}
                </td>
                <td class="num nowrap qline-amount" data-label="Amount">
                  {amounts[i] === null || amounts[i] === undefined ? <span class="muted">—</span> : money(amounts[i]!, currency)}
                </td>
                {!readOnly && (
                  <td class="qline-actions">
                    <button type="button" class="icon-btn" aria-label={`Move line ${n} up`} disabled={i === 0} onClick={() => onMove(i, -1)}>
                      ↑
                    </button>
                    <button type="button" class="icon-btn" aria-label={`Move line ${n} down`} disabled={i === draft.lines.length - 1} onClick={() => onMove(i, 1)}>
                      ↓
                    </button>
                    <button type="button" class="icon-btn icon-danger" aria-label={`Remove line ${n}`} onClick={() => onRemove(i)}>
                      ✕
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function AddLine({ currency, onAdd }: { currency: string; onAdd: (l: Omit<LineDraft, "key">) => void }) {
  const [mode, setMode] = useState<"" | "product" | "labor">("");
  const [wt, setWt] = useState("");
  const [hours, setHours] = useState("1");
  const [hoursErr, setHoursErr] = useState("");
  const wts = (workTypes.use() ?? []).filter((w) => !w.archived_at);
  const wrap = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (mode) setTimeout(() => wrap.current?.querySelector<HTMLElement>("input, select")?.focus(), 0);
  }, [mode]);

  function product(p: Product) {
    onAdd({
      kind: p.kind === "service" ? "service" : "equipment",
      product_id: p.id,
      work_type_id: null,
      ref: p.sku,
      description: p.name,
      qty: "1",
      price: minorText(p.unit_price, currency),
      discount: "0",
      taxable: p.taxable,
      install: false,
    });
    setMode("");
  }

  function labour(e: Event) {
    e.preventDefault();
    const w = wts.find((x) => String(x.id) === wt);
    const q = parseQuantity(hours);
    if (!w) return;
    if (q === null || q === 0n) {
      setHoursErr("Hours above 0, at most 3 decimals");
      return;
    }
    onAdd({ kind: "labor", product_id: null, work_type_id: w.id, ref: "", description: w.name, qty: hours.trim(), price: minorText(w.hourly_rate, currency), discount: "0", taxable: false, install: false });
    setMode("");
    setHours("1");
  }

  return (
    <div class="qadd" ref={wrap}>
      {mode === "" && (
        <div class="row">
          <Button size="sm" variant="subtle" onClick={() => setMode("product")}>
            + Equipment or service from catalog
          </Button>
          <Button size="sm" variant="subtle" onClick={() => setMode("labor")}>
            + Labour
          </Button>
          <Button
            size="sm"
            variant="subtle"
            onClick={() => onAdd({ kind: "service", product_id: null, work_type_id: null, ref: "", description: "", qty: "1", price: "", discount: "0", taxable: true, install: false })}
          >
            + Free service line
          </Button>
        </div>
      )}
      {mode === "product" && (
        <div class="qadd-panel">
          <ProductPicker value={null} onValue={(_, rec) => rec && product(rec)} />
          <Button size="sm" onClick={() => setMode("")}>
            Cancel
          </Button>
        </div>
      )}
      {mode === "labor" && (
        <form class="qadd-panel" onSubmit={labour} aria-label="Add labour">
          <SelectField label="Work type" value={wt} onValue={setWt} options={wts.map((w) => ({ value: String(w.id), label: `${w.name} · ${money(w.hourly_rate, w.currency)}/h` }))} placeholder={wts.length ? "Choose…" : "No work types yet"} />
          <TextField label="Hours" inputMode="decimal" value={hours} onValue={(v) => { setHours(v); setHoursErr(""); }} error={hoursErr} />
          <Button size="sm" type="submit" variant="primary" disabled={!wt}>
            Add labour
          </Button>
          <Button size="sm" onClick={() => setMode("")}>
            Cancel
          </Button>
        </form>
      )}
    </div>
  );
}

function TechPicker({ staff, value, onValue, error, readOnly }: { staff: { id: number; name: string; role: string }[]; value: number[]; onValue: (v: number[]) => void; error?: string; readOnly?: boolean }) {
  const [all, setAll] = useState(false);
  const hasOthers = !readOnly && staff.some((u) => u.role !== "technician");
  const shown = staff.filter((u) => value.includes(u.id) || (!readOnly && (all || u.role === "technician")));
  return (
    <fieldset class={`plain-fieldset field ${error ? "has-error" : ""}`}>
      <legend class="field-label">Technicians proposed</legend>
      <div class="chips tech-chips">
        {staff.length === 0 && <span class="muted small">Loading staff…</span>}
        {readOnly && staff.length > 0 && shown.length === 0 && <span class="muted small">None named</span>}
        {shown.map((u) => {
          const on = value.includes(u.id);
          return (
            <button key={u.id} type="button" class={`chip ${on ? "is-active" : ""}`} aria-pressed={on} onClick={() => onValue(on ? value.filter((x) => x !== u.id) : [...value, u.id])}>
              {on && <span aria-hidden="true">✓ </span>}
              {u.name}
              {u.role !== "technician" && <span class="muted small"> · {u.role}</span>}
            </button>
          );
        })}
        {hasOthers && (
          <button type="button" class="link-btn small" aria-expanded={all} onClick={() => setAll(!all)}>
            {all ? "Technicians only" : "Other staff…"}
          </button>
        )}
      </div>
      {error && (
        <div class="field-error" role="alert">
          {error}
        </div>
      )}
    </fieldset>
  );
}

/* Around the quote ------------------------------------------------------------------------------ */

function Revisions({ quote }: { quote: Quote }) {
  const [list, setList] = useState<Quote[] | null>(null);
  useEffect(() => {
    listAll<Quote>("/quotes", { number: quote.number, sort: "revision" }, 100).then(setList, () => setList(null));
  }, [quote.number, quote.id, quote.status]);
  if (!list || list.length < 2) return null;
  return (
    <nav class="revisions" aria-label="Revisions">
      <span class="revisions-label small muted">Revisions</span>
      <ol>
        {list.map((r) => (
          <li key={r.id}>
            <a href={`/quotes/${r.id}`} class={`rev ${r.id === quote.id ? "is-current" : ""}`} aria-current={r.id === quote.id ? "page" : undefined}>
              <span class="rev-no">rev. {r.revision}</span>
              <span class={`rev-status rev-${r.status}`}>{r.status ? QUOTE_STATUS_LABELS[r.status] : "—"}</span>
              <span class="rev-total small">{money(r.total, r.currency)}</span>
            </a>
          </li>
        ))}
      </ol>
    </nav>
  );
}

function StatusNote({ quote, mayEdit }: { quote: Quote | null; mayEdit: boolean }) {
  if (!quote) return null;
  switch (quote.status) {
    case "draft":
      return mayEdit ? null : <Alert tone="info">Your role may read quotes but not change them.</Alert>;
    case "sent":
      return (
        <Alert tone="info" title={`Sent ${dateTime(quote.sent_at)} — waiting for the client`}>
          A sent quote is not edited. Revise it to change anything (the client's link then shows that a newer version exists), or record the client's answer.
        </Alert>
      );
    case "superseded":
      return (
        <Alert tone="warning" title="A newer revision replaces this one">
          {quote.superseded_by_id ? <a href={`/quotes/${quote.superseded_by_id}`}>Open the newer revision</a> : "See the revisions above."}
        </Alert>
      );
    case "expired":
      return <Alert tone="warning" title={`Expired ${dateTime(quote.expired_at)}`}>The client did not answer before {date(quote.valid_until)}. Revise it to send a new offer.</Alert>;
    default:
      return null;
  }
}

function AnswerCard({ quote }: { quote: Quote }) {
  const list = users.use();
  if (quote.status === "accepted")
    return (
      <Card title="Accepted">
        <DefList
          items={[
            ["Signed by", quote.accepted_name],
            ["When", dateTime(quote.accepted_at)],
            ["How", quote.accepted_by_id ? `Recorded by ${list?.find((u) => u.id === quote.accepted_by_id)?.name ?? "staff"}` : "Through the client link"],
            ["From address", quote.accepted_address ? <span class="mono">{quote.accepted_address}</span> : null],
          ]}
        />
      </Card>
    );
  if (quote.status === "declined")
    return (
      <Card title="Declined">
        <DefList items={[["When", dateTime(quote.declined_at)], ["Reason", quote.decline_reason]]} />
      </Card>
    );
  return null;
}

function ContractCard({ quote }: { quote: Quote }) {
  const [contract, setContract] = useState<Contract | null | undefined>(undefined);
  const [tickets, setTickets] = useState<Ticket[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (quote.contract_id && can("contracts.view"))
      api.get<Contract>(`/contracts/${quote.contract_id}`).then(setContract, () => setContract(null));
    else setContract(null);
    listAll<Ticket>("/tickets", { quote_id: quote.id, sort: "number" }, 200).then(setTickets, (e) => setError(errorMessage(e)));
  }, [quote.id, quote.contract_id]);
  return (
    <Card title="Contract and service orders" class="contract-card">
      {contract ? (
        <div class="contract-box">
          <div>
            <strong>{contract.name}</strong>
          </div>
          <div class="small muted">
            {CONTRACT_KINDS.find((k) => k.value === contract.kind)?.label ?? label(contract.kind)} · {label(contract.status)} · from {date(contract.starts_on)}
            {contract.ends_on ? ` to ${date(contract.ends_on)}` : ""}
            {quote.response_time_minutes ? ` · responds within ${fmtMinutes(quote.response_time_minutes)}` : ""}
          </div>
          <a class="small" href={`/clients/${quote.company_id}`}>
            See it with the client's contracts
          </a>
        </div>
      ) : quote.contract_id ? (
        <p class="small">Contract #{quote.contract_id}</p>
      ) : null}
      {error ? (
        <p class="small text-danger">{error}</p>
      ) : !tickets ? (
        <Loading rows={2} />
      ) : tickets.length === 0 ? (
        <p class="small muted">No service orders were created (no labour or installed equipment).</p>
      ) : (
        <>
          <ul class="contract-tickets" aria-label="Service orders from this quote">
            {tickets.map((t) => (
              <li key={t.id}>
                <a href={`/tickets/${t.id}`}>
                  <span class="ticket-no">{t.number}</span> {t.subject}
                </a>
                <StatusBadge status={t.status} />
              </li>
            ))}
          </ul>
          <a class="small" href={`/tickets?status=&quote_id=${quote.id}`}>
            Open {tickets.length === 1 ? "it" : `all ${tickets.length}`} in the service order list
          </a>
        </>
      )}
    </Card>
  );
}

function AnswerDialog({ quote, kind, onClose, onDone }: { quote: Quote; kind: "accept" | "decline"; onClose: () => void; onDone: (q: Quote) => void }) {
  const form = useForm({ name: "", reason: "" });
  async function submit(e: Event) {
    e.preventDefault();
    await form.submit(async (v) => {
      const q = kind === "accept" ? await api.post<Quote>(`/quotes/${quote.id}/accept`, { name: v.name.trim() }) : await api.post<Quote>(`/quotes/${quote.id}/decline`, { reason: v.reason.trim() });
      onDone(q);
    });
  }
  return (
    <Dialog
      title={kind === "accept" ? `Record acceptance of ${quote.number}` : `Record decline of ${quote.number}`}
      description={kind === "accept" ? "For a client who accepted by phone, e-mail or on paper. Accepting wins the opportunity and creates the contract and its service orders." : "For a client who declined by phone or e-mail."}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form="answer-form" variant={kind === "accept" ? "primary" : "danger"} busy={form.busy}>
            {kind === "accept" ? "Record acceptance" : "Record decline"}
          </Button>
        </>
      }
    >
      <form id="answer-form" class="stack" onSubmit={submit} noValidate>
        {form.formError && <Alert>{form.formError}</Alert>}
        {kind === "accept" ? (
          <TextField label="Name of the person who accepted" required autoFocus autoComplete="off" value={form.values.name} onValue={(x) => form.set("name", x)} error={form.errors.name} hint={`For a total of ${money(quote.total, quote.currency)}.`} />
        ) : (
          <TextArea label="Reason" required autoFocus rows={3} value={form.values.reason} onValue={(x) => form.set("reason", x)} error={form.errors.reason} />
        )}
      </form>
    </Dialog>
  );
}
