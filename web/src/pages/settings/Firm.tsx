/*
 * Firm.tsx - Settings → Firm profile (admins): everything about the firm
 * itself, which was API-only before.
 *
 * - Name and letterhead: the name, logo, address and contact details at the
 *   top of every quote and invoice, and the firm's own line at the foot of
 *   each page (registration, tax id, bank), with a preview laid out as the
 *   documents lay it out. A logo in any format the browser reads is drawn
 *   onto a canvas and kept as the PNG the documents need.
 * - The public URL, the address clients reach Servio at: every link given to
 *   a client (a quote, a portal invitation, a survey) starts with it, never
 *   with whatever address the sender's browser used. "servio init" fills it
 *   from the listen address; a firm behind a proxy or on its own domain
 *   changes it here.
 * - Region and money: time zone, currency, tax rate, how long quotes are
 *   valid, payment terms; and the billing defaults for work under no
 *   contract.
 * - Coverage hours (a card of its own, as it writes calendars): what a
 *   quote's "business hours" and "extended hours" promise, the calendars of
 *   those names that acceptance gives its SLA policy.
 */
import { useState } from "preact/hooks";
import { HoursGrid, hoursOf, hoursSummary, weekOf, type WeekHours } from "../../components/hours";
import { Alert, Button, Card, Checkbox, ErrorState, Loading, SaveActions, SelectField, TextArea, TextField, toast } from "../../components/ui";
import { api, ApiError, listAll } from "../../lib/api";
import { relative } from "../../lib/format";
import { useForm, useLoad } from "../../lib/hooks";
import type { Calendar } from "../../lib/types";

interface FirmSettings {
  version: number;
  updated_at: string;
  firm_name: string;
  address: string | null;
  phone: string | null;
  email: string | null;
  website: string | null;
  public_url: string | null;
  logo_png: string | null;
  document_footer: string | null;
  timezone: string;
  currency: string;
  tax_rate_bp: number;
  quote_validity_days: number;
  payment_terms_days: number;
  billing_increment_minutes: number;
  minimum_minutes: number;
  labor_taxable: boolean;
  time_approval: boolean;
}

/* the members the form edits as text, as whole numbers, as yes/no */
const TEXTS = ["firm_name", "address", "phone", "email", "website", "public_url", "document_footer", "timezone", "currency"] as const;
const COUNTS = ["quote_validity_days", "payment_terms_days", "billing_increment_minutes", "minimum_minutes"] as const;
const FLAGS = ["labor_taxable", "time_approval"] as const;
/* what may not be emptied (the rest becomes null when emptied) */
const REQUIRED = new Set<string>(["firm_name", "timezone", "currency"]);

type FirmForm = Record<(typeof TEXTS)[number] | (typeof COUNTS)[number] | "tax_percent", string> &
  Record<(typeof FLAGS)[number], boolean> & { logo_png: string | null };

/** "8.25" from 825 basis points. */
function percentOf(bp: number): string {
  return String(bp / 100);
}

function toForm(s: FirmSettings): FirmForm {
  const f = { logo_png: s.logo_png, tax_percent: percentOf(s.tax_rate_bp) } as FirmForm;
  for (const k of TEXTS) f[k] = s[k] ?? "";
  for (const k of COUNTS) f[k] = String(s[k]);
  for (const k of FLAGS) f[k] = s[k];
  return f;
}

/** A whole number in a text box, or undefined when it is not one. */
function count(v: string): number | undefined {
  return /^\d{1,7}$/.test(v.trim()) ? Number(v.trim()) : undefined;
}

/**
 * The merge patch: only what changed; an emptied optional field is null.
 * What cannot be sent (a tax rate that is no percentage, a count that is no
 * number) is named in errors, beside its field.
 */
function patchOf(before: FirmForm, v: FirmForm): { body: Record<string, unknown>; errors: Record<string, string> } {
  const body: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const k of TEXTS) if (v[k].trim() !== before[k]) body[k] = v[k].trim() === "" && !REQUIRED.has(k) ? null : v[k].trim();
  for (const k of COUNTS) {
    if (v[k].trim() === before[k]) continue;
    const n = count(v[k]);
    if (n === undefined) errors[k] = "must be a whole number";
    else body[k] = n;
  }
  for (const k of FLAGS) if (v[k] !== before[k]) body[k] = v[k];
  if (v.logo_png !== before.logo_png) body.logo_png = v.logo_png;
  if (v.tax_percent.trim() !== before.tax_percent) {
    const m = /^(\d{1,3})(?:[.,](\d{1,2}))?$/.exec(v.tax_percent.trim());
    if (!m) errors.tax_percent = "must be a percentage such as 8.25, with at most two decimals";
    else body.tax_rate_bp = Number(m[1]) * 100 + Number((m[2] ?? "0").padEnd(2, "0"));
  }
  return { body, errors };
}

/* the widest and tallest a logo is kept at: plenty for a letterhead, small in the database */
const LOGO_W = 800;
const LOGO_H = 400;
/* the server's limit on logo_png, in base64 characters */
const LOGO_MAX = 700000;

/** file as a data: URL (the pages' CSP lets images load from data:, not blob:). */
function dataUrlOf(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(new Error("The file could not be read."));
    r.readAsDataURL(file);
  });
}

/** The picture in file as base64 PNG, scaled down to fit LOGO_W × LOGO_H. */
async function logoFrom(file: File): Promise<string> {
  const img = new Image();
  img.src = await dataUrlOf(file);
  await img.decode().catch(() => {
    throw new Error("This file is no picture the browser can read. Choose a PNG, JPEG, SVG or WebP file.");
  });
  const w = img.naturalWidth || LOGO_W;
  const h = img.naturalHeight || LOGO_H;
  const scale = Math.min(1, LOGO_W / w, LOGO_H / h);
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(w * scale));
  canvas.height = Math.max(1, Math.round(h * scale));
  const g = canvas.getContext("2d");
  if (!g) throw new Error("This browser cannot draw the picture.");
  g.drawImage(img, 0, 0, canvas.width, canvas.height);
  const data = canvas.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
  if (data.length > LOGO_MAX) throw new Error("The logo is too detailed to keep (over 512 KiB as a PNG). Choose a simpler or smaller picture.");
  return data;
}

/** Every IANA zone the browser knows, with the current one kept even if it does not. */
function zones(current: string): string[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set(["UTC", current, ...all])].filter(Boolean);
}

/** ISO 4217 currencies with their English names: "EUR — Euro". */
function currencies(current: string): { value: string; label: string }[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("currency") : [];
  const names = new Intl.DisplayNames(["en"], { type: "currency" });
  return [...new Set([current, ...all])].filter(Boolean).map((c) => ({ value: c, label: `${c} — ${names.of(c) ?? c}` }));
}

export function FirmSettingsSection() {
  const s = useLoad((signal) => api.get<FirmSettings>("/settings", undefined, signal), []);
  if (s.error) return <ErrorState message={s.error} onRetry={s.reload} />;
  if (!s.data) return <Loading rows={6} label="Loading the firm profile…" />;
  return (
    <div class="stack">
      <FirmForm key={s.data.version} settings={s.data} onSaved={s.set} onStale={s.reload} />
      <CoverageHours timezone={s.data.timezone} />
    </div>
  );
}

function FirmForm({ settings, onSaved, onStale }: { settings: FirmSettings; onSaved: (s: FirmSettings) => void; onStale: () => void }) {
  const before = toForm(settings);
  const f = useForm<FirmForm>(before, ["tax_rate_bp"]);
  const v = f.values;
  const { body, errors: local } = patchOf(before, v);
  const dirty = Object.keys(body).length > 0 || Object.keys(local).length > 0;
  const [logoError, setLogoError] = useState<string | null>(null);

  async function save(e: Event) {
    e.preventDefault();
    if (Object.keys(local).length) {
      f.setErrors(local);
      f.setFormError("Please correct the highlighted fields.");
      return;
    }
    const ok = await f.submit(async () => {
      try {
        onSaved(await api.patch<FirmSettings>("/settings", body, settings.version));
      } catch (err) {
        if (err instanceof ApiError && err.status === 412) onStale();
        throw err;
      }
    });
    if (ok) toast("Firm profile saved");
  }

  async function pickLogo(file: File | undefined) {
    setLogoError(null);
    if (!file) return;
    try {
      f.set("logo_png", await logoFrom(file));
    } catch (err) {
      setLogoError(err instanceof Error ? err.message : String(err));
    }
  }

  /* the server names tax_rate_bp; the form shows it as a percentage */
  const taxError = f.errors.tax_percent ?? f.errors.tax_rate_bp;
  return (
    <Card title="Firm profile" actions={<span class="small muted">Saved {relative(settings.updated_at)}</span>}>
      <form onSubmit={save} noValidate class="stack" aria-label="Firm profile">
        {f.formError && <Alert>{f.formError}</Alert>}
        {!settings.public_url && (
          <Alert>No public URL is set: quotes cannot be sent and clients cannot be invited to the portal until it is.</Alert>
        )}

        <fieldset class="fieldset">
          <legend>Name and letterhead</legend>
          <div class="form-grid">
            <TextField label="Firm name" name="firm_name" value={v.firm_name} onValue={(x) => f.set("firm_name", x)} error={f.errors.firm_name} required />
            <TextField label="Phone" name="phone" value={v.phone} onValue={(x) => f.set("phone", x)} error={f.errors.phone} />
            <TextField label="E-mail" name="email" type="email" value={v.email} onValue={(x) => f.set("email", x)} error={f.errors.email} />
            <TextField label="Website" name="website" type="url" value={v.website} onValue={(x) => f.set("website", x)} error={f.errors.website} placeholder="https://example.com" />
          </div>
          <TextArea label="Address" name="address" rows={3} value={v.address} onValue={(x) => f.set("address", x)} error={f.errors.address} hint="On the letterhead of quotes and invoices." />
          <TextField
            label="Footer line"
            name="document_footer"
            value={v.document_footer}
            onValue={(x) => f.set("document_footer", x)}
            error={f.errors.document_footer}
            hint="At the foot of every page of quotes and invoices: registration number, tax ID, bank details."
          />
          <div class="field">
            <span class="field-label" id="logo-label">
              Logo
            </span>
            <div class="row firm-logo">
              {v.logo_png ? <img class="firm-logo-img" src={`data:image/png;base64,${v.logo_png}`} alt="The firm's logo" /> : <span class="muted small">No logo: the letterhead starts with the firm's name.</span>}
              <label class="btn btn-secondary btn-sm">
                {v.logo_png ? "Replace logo…" : "Upload logo…"}
                <input
                  type="file"
                  class="sr-only"
                  aria-labelledby="logo-label"
                  accept="image/png,image/jpeg,image/svg+xml,image/webp,image/gif"
                  onChange={(e) => {
                    const input = e.currentTarget as HTMLInputElement;
                    void pickLogo(input.files?.[0]).then(() => (input.value = ""));
                  }}
                />
              </label>
              {v.logo_png && (
                <Button size="sm" variant="ghost" onClick={() => f.set("logo_png", null)}>
                  Remove logo
                </Button>
              )}
            </div>
            {(logoError ?? f.errors.logo_png) && <div class="field-error">{logoError ?? f.errors.logo_png}</div>}
            <div class="field-hint">Any picture; it is kept as a PNG of at most {LOGO_W}×{LOGO_H} pixels.</div>
          </div>
          <LetterheadPreview v={v} />
        </fieldset>

        <fieldset class="fieldset">
          <legend>Where clients reach you</legend>
          <TextField
            label="Public URL"
            name="public_url"
            type="url"
            value={v.public_url}
            onValue={(x) => f.set("public_url", x)}
            error={f.errors.public_url}
            placeholder="https://psa.example.com"
            hint="Where clients reach Servio: every link sent to a client starts with it. No slash at the end."
          />
        </fieldset>

        <fieldset class="fieldset">
          <legend>Region and money</legend>
          <div class="form-grid">
            <SelectField
              label="Time zone"
              name="timezone"
              value={v.timezone}
              onValue={(x) => f.set("timezone", x)}
              options={zones(settings.timezone).map((z) => ({ value: z, label: z.replace(/_/g, " ") }))}
              error={f.errors.timezone}
              hint="The firm's days: what 'today' and 'this week' mean, and the coverage hours below."
            />
            <SelectField label="Currency" name="currency" value={v.currency} onValue={(x) => f.set("currency", x)} options={currencies(settings.currency)} error={f.errors.currency} hint="Of new quotes, contracts and invoices." />
            <TextField label="Tax rate (%)" name="tax_percent" inputMode="decimal" value={v.tax_percent} onValue={(x) => f.set("tax_percent", x)} error={taxError} hint="On taxable lines of new quotes and invoices, e.g. 8.25." />
            <TextField label="Quotes valid for (days)" name="quote_validity_days" inputMode="numeric" value={v.quote_validity_days} onValue={(x) => f.set("quote_validity_days", x)} error={f.errors.quote_validity_days} />
            <TextField label="Payment terms (days)" name="payment_terms_days" inputMode="numeric" value={v.payment_terms_days} onValue={(x) => f.set("payment_terms_days", x)} error={f.errors.payment_terms_days} hint="Unless a company says otherwise." />
          </div>
        </fieldset>

        <fieldset class="fieldset">
          <legend>Billing of work under no contract</legend>
          <div class="form-grid">
            <TextField label="Billing increment (minutes)" name="billing_increment_minutes" inputMode="numeric" value={v.billing_increment_minutes} onValue={(x) => f.set("billing_increment_minutes", x)} error={f.errors.billing_increment_minutes} hint="Time bills in steps of this many minutes." />
            <TextField label="Minimum (minutes)" name="minimum_minutes" inputMode="numeric" value={v.minimum_minutes} onValue={(x) => f.set("minimum_minutes", x)} error={f.errors.minimum_minutes} hint="Each piece of work bills at least this long." />
          </div>
          <Checkbox label="Labour is taxed" checked={v.labor_taxable} onValue={(x) => f.set("labor_taxable", x)} error={f.errors.labor_taxable} />
          <Checkbox label="Only time a manager approved is billed" checked={v.time_approval} onValue={(x) => f.set("time_approval", x)} error={f.errors.time_approval} />
        </fieldset>

        <SaveActions form={f} before={before} dirty={dirty} label="Save firm profile" />
      </form>
    </Card>
  );
}

/** The letterhead as quotes and invoices lay it out: logo and name left, contact details right, the footer line below. */
function LetterheadPreview({ v }: { v: FirmForm }) {
  const contact = [v.address, v.phone, v.email, v.website].map((x) => x.trim()).filter(Boolean);
  return (
    <figure class="letterhead-preview" aria-label="Letterhead preview">
      <div class="letterhead-top">
        <div>
          {v.logo_png && <img src={`data:image/png;base64,${v.logo_png}`} alt="" class="letterhead-logo" />}
          <div class="letterhead-name">{v.firm_name.trim() || "Your firm's name"}</div>
        </div>
        <div class="letterhead-contact">
          {contact.map((line, i) => (
            <div key={i}>{line}</div>
          ))}
        </div>
      </div>
      <div class="letterhead-body muted small">Quote Q-000001 · the client's address · the lines…</div>
      <div class="letterhead-foot small">
        <div class="row">
          <span>{v.firm_name.trim()}</span>
          <span class="muted">page 1 of 1</span>
        </div>
        {v.document_footer.trim() && <div>{v.document_footer.trim()}</div>}
      </div>
      <figcaption class="sr-only">How the top and foot of a quote or invoice look with these details.</figcaption>
    </figure>
  );
}

/* ---- coverage hours: the calendars a quote's promise is counted on ---- */

const COVERAGES = [
  { name: "Business hours", key: "business_hours", days: [1, 2, 3, 4, 5], start: "08:00", end: "17:00" },
  { name: "Extended hours", key: "extended", days: [1, 2, 3, 4, 5, 6], start: "07:00", end: "20:00" },
] as const;

function CoverageHours({ timezone }: { timezone: string }) {
  const cals = useLoad(() => listAll<Calendar>("/calendars", {}, 200), []);
  if (cals.error) return <ErrorState message={cals.error} onRetry={cals.reload} />;
  if (!cals.data) return <Loading rows={4} label="Loading the coverage hours…" />;
  const found = COVERAGES.map((c) => cals.data!.find((x) => x.name === c.name) ?? null);
  return <CoverageForm key={found.map((c) => (c ? `${c.id}.${c.version}` : "-")).join()} calendars={found} timezone={timezone} onSaved={cals.reload} />;
}

function CoverageForm({ calendars, timezone, onSaved }: { calendars: (Calendar | null)[]; timezone: string; onSaved: () => void }) {
  const before = { weeks: COVERAGES.map((c, i) => weekOf(calendars[i]?.hours ?? null, [...c.days], c.start, c.end)) };
  const f = useForm<{ weeks: WeekHours[] }>(before, ["hours", "timezone", "name"]);
  const dirty = JSON.stringify(f.values.weeks) !== JSON.stringify(before.weeks);
  const otherZone = calendars.some((c) => c && c.timezone !== timezone);

  async function save(e: Event) {
    e.preventDefault();
    const ok = await f.submit(async (v) => {
      for (let i = 0; i < COVERAGES.length; i++) {
        const body = { hours: hoursOf(v.weeks[i]), timezone };
        const cal = calendars[i];
        if (cal) await api.patch(`/calendars/${cal.id}`, body, cal.version);
        else await api.post("/calendars", { name: COVERAGES[i].name, always_open: false, ...body });
      }
    });
    if (ok) {
      toast("Coverage hours saved");
      onSaved();
    }
  }

  return (
    <Card title="Coverage hours">
      <form onSubmit={save} noValidate class="stack" aria-label="Coverage hours">
        <p class="muted small">
          What a quote promises when its coverage is business hours or extended hours: a response time counts only these hours, in the firm's time zone ({timezone}). 24×7 counts every minute.
        </p>
        {f.formError && <Alert>{f.formError}</Alert>}
        {otherZone && <Alert tone="warning">The coverage calendars count in another time zone than the firm's; saving moves them to {timezone}.</Alert>}
        {COVERAGES.map((c, i) => (
          <fieldset class="fieldset" key={c.key}>
            <legend>
              {c.name} <span class="muted small">({hoursSummary({ always_open: false, hours: hoursOf(f.values.weeks[i]) })})</span>
            </legend>
            <HoursGrid idPrefix={c.key} week={f.values.weeks[i]} onWeek={(w) => f.set("weeks", f.values.weeks.map((x, j) => (j === i ? w : x)))} />
          </fieldset>
        ))}
        {f.errors.hours && <div class="field-error">{f.errors.hours}</div>}
        <SaveActions form={f} before={before} dirty={dirty} label="Save coverage hours" />
      </form>
    </Card>
  );
}
