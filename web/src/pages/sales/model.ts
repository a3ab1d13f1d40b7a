/*
 * model.ts - the sales records' labels and colours (the records themselves
 * are generated from the server's tables: records.gen.ts), the firm's
 * settings and the sales reports as the API returns them, and the document
 * arithmetic of quotes done
 * exactly as the server does it (DESIGN.md, "Data conventions"): quantities
 * in thousandths, money in integer minor units, one rounding half away from
 * zero per line and one for the tax, in BigInt so nothing is ever a float.
 */
import { minorDigits } from "../../lib/format";
import {
  ActivityKindValues,
  OpportunityStageValues,
  QuoteStatusValues,
  type ActivityKind,
  type OpportunityStage,
  type Quote,
  type QuoteContractKind,
  type QuoteCoverage,
  type QuoteLineKind,
  type QuoteStatus,
  type Rec,
} from "../../lib/types";

export type { Activity, ActivityKind, Opportunity, Product as ProductRec, Quote, QuoteLine, QuoteStatus } from "../../lib/types";

export type Stage = OpportunityStage;
export const STAGES: Stage[] = [...OpportunityStageValues];
export const OPEN_STAGES: Stage[] = ["new", "qualified", "quoted"];
export const STAGE_LABELS: Record<Stage, string> = { new: "New", qualified: "Qualified", quoted: "Quoted", won: "Won", lost: "Lost" };
export const STAGE_TONE: Record<Stage, string> = { new: "blue", qualified: "indigo", quoted: "violet", won: "green", lost: "gray" };

export const ACTIVITY_KINDS: ActivityKind[] = [...ActivityKindValues];
export const ACTIVITY_LABELS: Record<ActivityKind, string> = { call: "Call", email: "E-mail", meeting: "Meeting", visit: "Visit", task: "Task" };
export const ACTIVITY_ICON: Record<ActivityKind, string> = { call: "☎", email: "✉", meeting: "◷", visit: "⌂", task: "✓" };

export const QUOTE_STATUSES: QuoteStatus[] = [...QuoteStatusValues];
export const QUOTE_STATUS_LABELS: Record<QuoteStatus, string> = {
  draft: "Draft",
  sent: "Sent",
  accepted: "Accepted",
  declined: "Declined",
  expired: "Expired",
  superseded: "Superseded",
};
export const QUOTE_STATUS_TONE: Record<QuoteStatus, string> = {
  draft: "slate",
  sent: "blue",
  accepted: "green",
  declined: "red",
  expired: "amber",
  superseded: "gray",
};

export type LineKind = QuoteLineKind;
export const LINE_LABELS: Record<LineKind, string> = { equipment: "Equipment", labor: "Labour", service: "Service" };

export type ContractKind = QuoteContractKind;
export const CONTRACT_KINDS: { value: ContractKind; label: string }[] = [
  { value: "time_materials", label: "Time & materials" },
  { value: "managed", label: "Managed services" },
  { value: "block_hours", label: "Block hours" },
];
export type Coverage = QuoteCoverage;
export const COVERAGES: { value: Coverage; label: string }[] = [
  { value: "business_hours", label: "Business hours (Mon–Fri 08–17)" },
  { value: "extended", label: "Extended (Mon–Sat 07–20)" },
  { value: "24x7", label: "24 × 7" },
];

export interface SentQuote extends Quote {
  public_url: string;
}

export interface Settings extends Rec {
  firm_name: string;
  currency: string;
  tax_rate_bp: number;
  quote_validity_days: number;
  public_url: string | null;
  timezone: string;
}

export interface PipelineReport {
  from: string | null;
  to: string | null;
  stages: { stage: Stage; currency: string; count: number; value: number }[];
  win_rate: { period: string; sent: number; accepted: number; declined: number; expired: number; win_rate_bp: number | null }[];
}

export interface ReferralsReport {
  from: string | null;
  to: string | null;
  partners: { partner_id: number; name: string; currency: string; won: number; revenue: number }[];
  sources: { source: string; currency: string; won: number; revenue: number }[];
}

/* Exact numbers typed by people ------------------------------------------------------ */

const QTY_RE = /^\d{1,7}(?:\.\d{0,3})?$/;

/** "3.5" -> 3500n thousandths; null when it is no quantity of at most three decimals. */
export function parseQuantity(text: string): bigint | null {
  const t = text.trim();
  if (!QTY_RE.test(t)) return null;
  const [i, f = ""] = t.split(".");
  return BigInt(i) * 1000n + BigInt((f + "000").slice(0, 3));
}

/** Thousandths -> the JSON number the API takes (3500n -> 3.5), exact for ≤3 decimals. */
export function quantityNumber(th: bigint): number {
  return Number(th) / 1000;
}

/** A quantity as typed: 3.5 -> "3.5", 2 -> "2". */
export function quantityText(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}

/** "1,234.50" -> 123450 minor units of currency, exactly; null when not money. */
export function parseMinor(text: string, currency: string): number | null {
  const d = minorDigits(currency);
  const t = text.trim().replace(/[\s,]/g, "").replace(/^[^\d.]+/, "");
  const re = d > 0 ? new RegExp(`^\\d{1,13}(?:\\.\\d{0,${d}})?$`) : /^\d{1,13}$/;
  if (!re.test(t)) return null;
  const [i, f = ""] = t.split(".");
  const v = BigInt(i) * 10n ** BigInt(d) + BigInt((f + "0".repeat(d)).slice(0, d) || "0");
  return v > 1000000000000n ? null : Number(v);
}

/** 123450 -> "1234.50" (for an input, no grouping). */
export function minorText(minor: number | null | undefined, currency: string): string {
  if (minor === null || minor === undefined) return "";
  const d = minorDigits(currency);
  const neg = minor < 0;
  const s = String(Math.abs(minor)).padStart(d + 1, "0");
  const out = d ? `${s.slice(0, -d)}.${s.slice(-d)}` : s;
  return neg ? "-" + out : out;
}

/** "12.5" (per cent) -> 1250 basis points; null unless 0–100 with ≤2 decimals. */
export function parsePercentBp(text: string): number | null {
  const t = text.trim().replace(/\s*%$/, "");
  if (t === "") return 0;
  if (!/^\d{1,3}(?:\.\d{0,2})?$/.test(t)) return null;
  const [i, f = ""] = t.split(".");
  const bp = Number(i) * 100 + Number((f + "00").slice(0, 2));
  return bp > 10000 ? null : bp;
}

/** 1250 -> "12.5" */
export function bpText(bp: number | null | undefined): string {
  if (!bp) return "0";
  return String(bp / 100);
}

/* Document totals, exactly as the server computes them ------------------------------ */

/** num / den rounded half away from zero. */
export function divRound(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r = num % den;
  const ar = r < 0n ? -r : r;
  if (2n * ar >= den) return num < 0n ? q - 1n : q + 1n;
  return q;
}

/** round(quantity × unit_price × (10000 − discount_bp) / 10000) with the quantity in thousandths. */
export function lineAmount(qtyThousandths: bigint, unitPrice: number, discountBp: number): bigint {
  return divRound(qtyThousandths * BigInt(unitPrice) * BigInt(10000 - discountBp), 10000000n);
}

export interface Totals {
  amounts: (number | null)[];
  subtotal: number;
  taxable: number;
  tax: number;
  total: number;
}

/** Lines with exact parts (null where a line is not valid yet: it counts as 0). */
export function documentTotals(lines: { qty: bigint | null; price: number | null; discount: number | null; taxable: boolean }[], taxRateBp: number): Totals {
  let subtotal = 0n;
  let taxable = 0n;
  const amounts: (number | null)[] = [];
  for (const l of lines) {
    if (l.qty === null || l.price === null || l.discount === null) {
      amounts.push(null);
      continue;
    }
    const a = lineAmount(l.qty, l.price, l.discount);
    amounts.push(Number(a));
    subtotal += a;
    if (l.taxable) taxable += a;
  }
  const tax = divRound(taxable * BigInt(taxRateBp), 10000n);
  return { amounts, subtotal: Number(subtotal), taxable: Number(taxable), tax: Number(tax), total: Number(subtotal + tax) };
}

/* Durations ------------------------------------------------------------------------- */

export type TimeUnit = "minutes" | "hours" | "days";
export const UNIT_MINUTES: Record<TimeUnit, number> = { minutes: 1, hours: 60, days: 1440 };

/** 240 -> { value: "4", unit: "hours" }: the largest unit that divides it evenly. */
export function splitMinutes(m: number | null): { value: string; unit: TimeUnit } {
  if (!m) return { value: "", unit: "hours" };
  if (m % 1440 === 0) return { value: String(m / 1440), unit: "days" };
  if (m % 60 === 0) return { value: String(m / 60), unit: "hours" };
  return { value: String(m), unit: "minutes" };
}

/* Small helpers ---------------------------------------------------------------------- */

/** Sums by currency: "$12,500.00 + €3,000.00". */
export function sumByCurrency(items: { currency: string; value?: number | null }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i.currency, (m.get(i.currency) ?? 0) + (i.value ?? 0));
  return m;
}

/** Today (local) as YYYY-MM-DD. */
export function todayIso(offsetDays = 0): string {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/** "2026-11" -> "Nov 26" */
export function monthLabel(period: string): string {
  const [y, m] = period.split("-").map(Number);
  return new Date(y, m - 1, 15).toLocaleDateString(undefined, { month: "short", year: "2-digit" });
}
