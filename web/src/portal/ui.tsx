/*
 * ui.tsx - the portal's own small pieces: the firm's brand (logo and name),
 * the page title in the firm's name, a page heading, and how a ticket's
 * status and priority read for a client (plainer words than the staff
 * screens use). Buttons, fields and alerts are the staff UI's
 * (components/ui.tsx).
 */
import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
import { Badge } from "../components/ui";
import { bp, money } from "../lib/format";
import { useStore } from "../lib/store";
import { firm } from "./api";

export function usePortalTitle(title: string): void {
  const f = useStore(firm);
  useEffect(() => {
    const who = f?.firm_name || "Client portal";
    document.title = title ? `${title} · ${who}` : who;
  }, [title, f?.firm_name]);
}

/** The firm's logo (when it has one) and name. */
export function Brand({ large }: { large?: boolean }) {
  const f = useStore(firm);
  return (
    <span class={`portal-brand ${large ? "is-large" : ""}`}>
      {f?.logo_url && <img class="portal-logo" src={f.logo_url} alt="" />}
      <span class="portal-firm">{f?.firm_name ?? "Client portal"}</span>
    </span>
  );
}

/** How to reach the firm: phone, e-mail, website. */
export function FirmContact() {
  const f = useStore(firm);
  if (!f) return null;
  return (
    <p class="portal-contact small">
      {f.phone && (
        <a href={`tel:${f.phone.replace(/[^\d+]/g, "")}`} data-native>
          {f.phone}
        </a>
      )}
      {f.email && (
        <a href={`mailto:${f.email}`} data-native>
          {f.email}
        </a>
      )}
      {f.website && (
        <a href={f.website} target="_blank" rel="noopener noreferrer">
          {f.website.replace(/^https?:\/\//, "").replace(/\/$/, "")}
        </a>
      )}
    </p>
  );
}

export function PageHead({ title, back, children }: { title: ComponentChildren; back?: { href: string; label: string }; children?: ComponentChildren }) {
  return (
    <header class="portal-page-head">
      {back && (
        <a class="portal-back" href={back.href}>
          <span aria-hidden="true">‹ </span>
          {back.label}
        </a>
      )}
      <h1 tabIndex={-1}>{title}</h1>
      {children}
    </header>
  );
}

/** A ticket's status in a client's words. */
export const STATUS_TEXT: Record<string, string> = {
  new: "Received",
  assigned: "Assigned",
  in_progress: "In progress",
  waiting_customer: "Waiting for you",
  waiting_parts: "Waiting for parts",
  escalated: "In progress",
  resolved: "Resolved",
  closed: "Closed",
  cancelled: "Cancelled",
};

const STATUS_TONE: Record<string, string> = {
  new: "blue",
  assigned: "indigo",
  in_progress: "violet",
  waiting_customer: "amber",
  waiting_parts: "amber",
  escalated: "violet",
  resolved: "green",
  closed: "gray",
  cancelled: "gray",
};

export function TicketStatus({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? "neutral"} dot>
      {STATUS_TEXT[status] ?? status}
    </Badge>
  );
}

export const PRIORITY_TEXT: Record<string, string> = {
  critical: "Critical — work has stopped",
  high: "High — hard to work",
  medium: "Medium",
  low: "Low — when convenient",
};

export function DocStatus({ status, overdue }: { status: string | null; overdue?: boolean | null }) {
  if (overdue) return <Badge tone="red">Overdue</Badge>;
  const tone: Record<string, string> = { sent: "blue", accepted: "green", declined: "gray", expired: "amber", issued: "blue", paid: "green", void: "gray" };
  const text: Record<string, string> = { sent: "Awaiting your answer", accepted: "Accepted", declined: "Declined", expired: "Expired", issued: "To pay", paid: "Paid", void: "Void", superseded: "Replaced" };
  return <Badge tone={tone[status ?? ""] ?? "neutral"}>{text[status ?? ""] ?? status ?? "—"}</Badge>;
}

/** One of a document's own total lines: its label, the amount (the line is left out when null), bold when the total. */
export type TotalRow = readonly [label: string, amount: number | null | undefined, total?: boolean];

/**
 * A quote's or an invoice's totals: subtotal and tax (at its rate), always,
 * then the document's own lines (total, paid, balance…).
 */
export function Totals({ currency, subtotal, tax, taxRateBp, rows }: { currency: string; subtotal: number | null; tax: number | null; taxRateBp: number | null; rows: TotalRow[] }) {
  const line = (label: string, amount: number | null | undefined, total?: boolean) => (
    <div key={label} class={total ? "is-total" : undefined}>
      <dt>{label}</dt>
      <dd>{money(amount, currency)}</dd>
    </div>
  );
  return (
    <dl class="portal-totals">
      {line("Subtotal", subtotal)}
      {line(`Tax (${bp(taxRateBp)})`, tax)}
      {rows.filter(([, amount]) => amount != null).map(([label, amount, total]) => line(label, amount, total))}
    </dl>
  );
}
