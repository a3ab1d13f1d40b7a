/*
 * model.ts - the words and colours of e-mail: inbound outcomes, outbound
 * delivery states, the templates' events and the placeholders each may
 * use (a copy of the rule the server checks on PATCH
 * /mail-templates/{id}, docs/openapi.yaml; the server stays the judge),
 * the mail members of the settings, and the replies that are no records.
 */
import type { InboundMessage, InboundMessageOutcome, OutboundMessageStatus, OutboundMessageTemplate, Rec } from "../../lib/types";

export const OUTCOME_LABELS: Record<InboundMessageOutcome, string> = {
  ticket: "New service order",
  reply: "Reply",
  triage: "Held for triage",
  auto_reply: "Automatic mail",
  bounce: "Bounce",
  duplicate: "Duplicate",
  rejected: "Rejected",
};

export const OUTCOME_TONE: Record<InboundMessageOutcome, string> = {
  ticket: "green",
  reply: "blue",
  triage: "amber",
  auto_reply: "gray",
  bounce: "red",
  duplicate: "slate",
  rejected: "red",
};

export const TRIAGE_LABELS: Record<string, string> = { open: "Waiting", assigned: "Assigned", discarded: "Discarded" };

export const STATUS_LABELS: Record<OutboundMessageStatus, string> = {
  queued: "Queued",
  sent: "Sent",
  failed: "Failed",
  bounced: "Bounced",
};

export const STATUS_TONE: Record<OutboundMessageStatus, string> = {
  queued: "amber",
  sent: "green",
  failed: "red",
  bounced: "red",
};

export const EVENT_LABELS: Record<OutboundMessageTemplate, string> = {
  ticket_received: "Service order received",
  note_public: "Public reply",
  ticket_resolved: "Service order resolved",
  quote_sent: "Quote sent",
  invoice_issued: "Invoice issued",
  portal_invitation: "Portal invitation",
  portal_reset: "Portal password reset",
  notify_assigned: "To staff: assigned to you",
  notify_client_replied: "To staff: the client replied",
  notify_sla: "To staff: SLA warning",
  notify_quote_accepted: "To staff: quote accepted",
};

const COMMON = ["firm_name", "firm_phone", "firm_email", "firm_website", "contact_name"];

/** The placeholders each event's template may use. */
export const PLACEHOLDERS: Record<OutboundMessageTemplate, string[]> = {
  ticket_received: [...COMMON, "ticket_number", "ticket_subject"],
  note_public: [...COMMON, "ticket_number", "ticket_subject", "note_body", "author_name"],
  ticket_resolved: [...COMMON, "ticket_number", "ticket_subject", "resolution"],
  quote_sent: [...COMMON, "quote_number", "quote_title", "quote_total", "quote_valid_until", "quote_url"],
  invoice_issued: [...COMMON, "invoice_number", "invoice_total", "invoice_balance", "invoice_due_on"],
  portal_invitation: [...COMMON, "invite_url", "login_email", "inviter_name"],
  portal_reset: [...COMMON, "reset_url"],
  notify_assigned: [...COMMON, "user_name", "actor_name", "ticket_number", "ticket_subject", "ticket_priority", "company_name", "link"],
  notify_client_replied: [...COMMON, "user_name", "client_name", "ticket_number", "ticket_subject", "note_body", "link"],
  notify_sla: [...COMMON, "user_name", "ticket_number", "ticket_subject", "company_name", "sla_percent", "sla_clock", "sla_due_at", "link"],
  notify_quote_accepted: [...COMMON, "user_name", "accepted_name", "quote_number", "quote_title", "quote_total", "company_name", "link"],
};

/** Made-up values for the preview. */
export const SAMPLES: Record<string, string> = {
  firm_name: "Fixit IT",
  firm_phone: "+1 212 555 0142",
  firm_email: "support@fixit.example",
  firm_website: "https://fixit.example",
  contact_name: "Jane Miller",
  ticket_number: "T-000123",
  invite_url: "https://psa.fixit.example/portal/activate/…",
  reset_url: "https://psa.fixit.example/portal/reset/…",
  login_email: "jane.miller@client.example",
  inviter_name: "Morgan Reyes",
  ticket_subject: "Printer on floor 2 jams",
  note_body: "We replaced the fuser; please try printing again.",
  author_name: "Tina Torres",
  resolution: "Replaced the worn fuser unit and ran a test page.",
  quote_number: "Q-000045",
  quote_title: "Two new laptops",
  quote_total: "$2,480.00",
  quote_valid_until: "Jan 31, 2027",
  quote_url: "https://psa.fixit.example/q/abc123",
  invoice_number: "INV-000017",
  invoice_total: "$1,250.00",
  invoice_balance: "$1,250.00",
  invoice_due_on: "Jan 15, 2027",
  user_name: "Tina Torres",
  actor_name: "Mark Manager",
  ticket_priority: "high",
  company_name: "Acme Printing",
  link: "https://psa.fixit.example/tickets/123",
  client_name: "Jane Miller",
  sla_percent: "90",
  sla_clock: "resolution",
  sla_due_at: "Dec 7, 2026 14:00",
  accepted_name: "Jane Miller",
};

/** The text with each known {{name}} replaced by its sample; unknown ones stay as written. */
export function preview(text: string, allowed: string[]): string {
  return text.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (all, name: string) => (allowed.includes(name) && name in SAMPLES ? SAMPLES[name] : all));
}

/** The {{names}} in text that the event does not know. */
export function unknownPlaceholders(text: string, allowed: string[]): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) if (!allowed.includes(m[1]) && !out.includes(m[1])) out.push(m[1]);
  return out;
}

export type Security = "starttls" | "tls" | "none";

export const SECURITY_OPTIONS: { value: Security; label: string }[] = [
  { value: "starttls", label: "STARTTLS" },
  { value: "tls", label: "TLS from the start" },
  { value: "none", label: "None (a relay on this host)" },
];

/** The settings record's mail members (the server ones are in admins' replies only; passwords in none). */
export interface MailSettings extends Rec {
  mail_from: string | null;
  smtp_host?: string | null;
  smtp_port?: number;
  smtp_security?: Security;
  smtp_username?: string | null;
  imap_host?: string | null;
  imap_port?: number;
  imap_security?: Security;
  imap_username?: string | null;
  imap_mailbox?: string;
  mail_flood_limit?: number;
}

export interface MailTestResult {
  sent: boolean;
  detail: string;
}

export interface Attempt {
  at: string;
  ok: boolean;
  detail: string;
}

/** "Jane Miller <jane@example.com>", or the address alone. */
export function sender(m: Pick<InboundMessage, "from_name" | "from_address">): string {
  if (m.from_name && m.from_address) return `${m.from_name} <${m.from_address}>`;
  return m.from_address ?? m.from_name ?? "(no sender)";
}
