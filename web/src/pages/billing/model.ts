/*
 * model.ts - getting paid, as the screens see it: the labels and colours
 * of invoice statuses, line rules and time kinds; the shapes of the
 * replies that are no resource records (an invoice run, a block balance,
 * the billing reports, a week approved), read from src/billing/*.c; and
 * the date arithmetic of periods. The records themselves (Invoice,
 * Contract, TimeEntry, Payment, CreditNote, InvoiceRun) are generated:
 * records.gen.ts.
 *
 * Periods differ by route and the screens keep them apart: an invoice run
 * takes [from, to] with both days included; the reports and the export
 * take [from, to) (to not included).
 */
import type { ContractKind, Invoice, InvoiceLineRule, InvoiceRun, InvoiceStatus, PaymentMethod, TimeEntryKind } from "../../lib/types";
import type { Settings } from "../sales/model";

export type { Contract, ContractAddition, ContractRate, CreditNote, Invoice, InvoiceLine, InvoiceRun, Payment, TimeEntry } from "../../lib/types";

/* Labels ------------------------------------------------------------------------------ */

export const INVOICE_STATUS_LABELS: Record<InvoiceStatus, string> = { draft: "Draft", issued: "Issued", paid: "Paid", void: "Void" };
export const INVOICE_STATUS_TONE: Record<InvoiceStatus, string> = { draft: "slate", issued: "blue", paid: "green", void: "gray" };

export const RULE_LABELS: Record<InvoiceLineRule, string> = {
  time: "Time",
  block_draw: "Block drawn",
  block_overage: "Beyond block",
  block_purchase: "Block bought",
  managed_fee: "Monthly fee",
  addition: "Recurring",
  part: "Part",
  manual: "Manual",
};
export const RULE_TONE: Record<InvoiceLineRule, string> = {
  time: "blue",
  block_draw: "green-soft",
  block_overage: "orange",
  block_purchase: "violet",
  managed_fee: "indigo",
  addition: "slate",
  part: "amber",
  manual: "gray",
};

export const CONTRACT_KIND_LABELS: Record<ContractKind | "none", string> = {
  time_materials: "Time & materials",
  managed: "Managed services",
  block_hours: "Block hours",
  none: "No contract",
};
export const CONTRACT_STATUS_TONE: Record<string, string> = { draft: "slate", active: "green", suspended: "amber", ended: "gray" };

export const TIME_KIND_LABELS: Record<TimeEntryKind, string> = { ticket: "Ticket work", travel: "Travel", admin: "Admin", training: "Training" };
export const TIME_KIND_TONE: Record<TimeEntryKind, string> = { ticket: "blue", travel: "amber", admin: "slate", training: "violet" };

export const PAYMENT_METHOD_LABELS: Record<PaymentMethod, string> = {
  bank_transfer: "Bank transfer",
  card: "Card",
  cash: "Cash",
  check: "Check",
  direct_debit: "Direct debit",
  other: "Other",
};

export const EXPORT_FORMATS = [
  { value: "qbo", label: "QuickBooks Online (CSV)" },
  { value: "xero", label: "Xero (CSV)" },
  { value: "iif", label: "QuickBooks Desktop (IIF)" },
];

/* Replies that are no records -------------------------------------------------------- */

/** The firm's settings with its billing defaults. */
export interface BillingSettings extends Settings {
  billing_increment_minutes: number;
  minimum_minutes: number;
  labor_taxable: boolean;
  payment_terms_days: number;
  time_approval: boolean;
}

/** An invoice as a run plans it: a dry run's have no id, number or version. */
export type PlannedInvoice = Omit<Invoice, "id" | "version" | "created_at" | "updated_at" | "archived_at"> & Partial<Pick<Invoice, "id" | "version">>;

/** POST /invoice-runs: the run (null when dry) and the invoices it makes. */
export interface RunReply {
  run: InvoiceRun | null;
  dry_run: boolean;
  from: string;
  to: string;
  invoices: PlannedInvoice[];
}

export interface RunSummary {
  company_id: number;
  currency: string;
  lines: number;
  total: number;
}

/** GET /contracts/{id}/balance. */
export interface BlockBalance {
  contract_id: number;
  /** the block, with the minutes carried in */
  block_minutes: number;
  carried_minutes: number;
  used_minutes: number;
  drawn_minutes: number;
  remaining_minutes: number;
  overage_minutes: number;
  lapses_on: string | null;
  rollover: boolean;
  used_percent: number;
  entries: {
    id: number;
    started_at: string;
    ticket_number: string;
    user_id: number;
    minutes: number;
    billed_minutes: number;
    drawn_minutes: number;
    overage_minutes: number;
    remaining_minutes: number;
    invoice_id: number | null;
  }[];
}

export interface ProfitRow {
  company_id: number;
  contract_id?: number | null;
  month?: string;
  currency: string;
  revenue: number;
  credited: number;
  labour_cost: number;
  parts_cost: number;
  profit: number;
}

export interface ProfitabilityReport {
  from: string | null;
  to: string | null;
  clients: ProfitRow[];
  contracts: ProfitRow[];
  months: ProfitRow[];
}

export interface UtilisationReport {
  from: string;
  to: string;
  technicians: {
    user_id: number;
    name: string;
    calendar_id: number | null;
    billable_minutes: number;
    worked_minutes: number;
    working_minutes: number;
    utilisation_bp: number | null;
  }[];
}

export interface BlockBurnReport {
  from: string | null;
  to: string | null;
  contracts: {
    contract_id: number;
    name: string;
    company_id: number;
    block_minutes: number;
    used_minutes: number;
    remaining_minutes: number;
    overage_minutes: number;
    months: { month: string; minutes: number }[];
  }[];
}

export interface RevenueByKindReport {
  from: string | null;
  to: string | null;
  rows: { kind: ContractKind | "none"; month: string; currency: string; revenue: number; lines: number }[];
}

export const AGE_BUCKETS = [
  { key: "current", label: "Current" },
  { key: "days_1_30", label: "1–30 days" },
  { key: "days_31_60", label: "31–60 days" },
  { key: "days_61_90", label: "61–90 days" },
  { key: "days_over_90", label: "Over 90 days" },
] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number]["key"];

export type AgeAmounts = Record<AgeBucket, number> & { currency: string; total: number };

export interface AgeingReport {
  as_of: string;
  companies: (AgeAmounts & {
    company_id: number;
    name: string;
    invoices: { id: number; number: string; due_on: string; balance: number; days_past_due: number; bucket: AgeBucket }[];
  })[];
  totals: AgeAmounts[];
}

/** POST /time-entries/approve-week. */
export interface WeekApproval {
  user_id: number;
  week_of: string;
  undone: boolean;
  approved?: number;
  unapproved?: number;
  entries: number[];
}

/* Minutes and dates ------------------------------------------------------------------- */

/** 510 -> "8:30", as the server's explanations write hours. */
export function hm(total: number | null | undefined): string {
  if (total === null || total === undefined) return "—";
  const neg = total < 0;
  const m = Math.abs(Math.round(total));
  return `${neg ? "−" : ""}${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")}`;
}

/** "8:30", "8.5" or "510m"-less plain hours typed by a person -> minutes, or null. */
export function parseHours(text: string): number | null {
  const t = text.trim();
  let m: RegExpExecArray | null;
  if ((m = /^(\d{1,6}):([0-5]\d)$/.exec(t))) return Number(m[1]) * 60 + Number(m[2]);
  if (/^\d{1,6}(\.\d{1,2})?$/.test(t)) {
    const v = Math.round(Number(t) * 60);
    return Number.isFinite(v) ? v : null;
  }
  return null;
}

const p2 = (n: number) => String(n).padStart(2, "0");

/** A local Date as YYYY-MM-DD. */
export function ymd(d: Date): string {
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())}`;
}

/** Days added to a YYYY-MM-DD date (calendar arithmetic, no time zone). */
export function addDays(date: string, n: number): string {
  const [y, m, d] = date.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${p2(t.getUTCMonth() + 1)}-${p2(t.getUTCDate())}`;
}

/** The first and last day of the month before today's (both included). */
export function lastMonth(today = new Date()): { from: string; to: string } {
  const first = new Date(today.getFullYear(), today.getMonth() - 1, 1);
  const last = new Date(today.getFullYear(), today.getMonth(), 0);
  return { from: ymd(first), to: ymd(last) };
}

export function thisMonth(today = new Date()): { from: string; to: string } {
  return { from: ymd(new Date(today.getFullYear(), today.getMonth(), 1)), to: ymd(new Date(today.getFullYear(), today.getMonth() + 1, 0)) };
}

/** The Monday of the week of a YYYY-MM-DD date (weeks run Monday to Sunday). */
export function mondayOf(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay(); // 0 Sunday
  return addDays(date, -((wd + 6) % 7));
}

export function isDate(s: string | null | undefined): s is string {
  return !!s && /^\d{4}-\d{2}-\d{2}$/.test(s) && !isNaN(new Date(s + "T00:00:00Z").getTime());
}

/** "2026-11" -> "November 2026" */
export function monthLong(period: string): string {
  const [y, m] = period.split("-").map(Number);
  return new Date(y, m - 1, 15).toLocaleDateString(undefined, { month: "long", year: "numeric" });
}

/** "2026-11-01".."2026-11-30" -> "1 – 30 Nov 2026" */
export function periodText(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return "—";
  const a = new Date(from + "T12:00:00");
  const b = new Date(to + "T12:00:00");
  try {
    return new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" }).formatRange(a, b);
  } catch {
    return `${from} – ${to}`;
  }
}

/** An invoice's name for people: its number, or "Draft" with its id. */
export function invoiceName(inv: { id?: number; number: string | null }): string {
  return inv.number ?? (inv.id ? `Draft #${inv.id}` : "Draft");
}
