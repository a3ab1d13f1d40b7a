/* types.ts - the records as the API returns them (docs/openapi.yaml). */

export interface Rec {
  id: number;
  created_at: string;
  updated_at: string;
  version: number;
  archived_at: string | null;
}

export type CompanyKind = "client" | "prospect" | "partner" | "vendor";

export interface Company extends Rec {
  name: string;
  kind: CompanyKind;
  phone: string | null;
  email: string | null;
  website: string | null;
  referred_by_id: number | null;
  lead_source: string | null;
  notes: string | null;
}

export interface Contact extends Rec {
  company_id: number;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  mobile: string | null;
  title: string | null;
  portal_access: boolean;
  notes: string | null;
}

export interface Site extends Rec {
  company_id: number;
  name: string;
  address_line1: string | null;
  address_line2: string | null;
  city: string | null;
  region: string | null;
  postal_code: string | null;
  country: string | null;
  timezone: string | null;
  phone: string | null;
  notes: string | null;
}

export interface Asset extends Rec {
  company_id: number;
  site_id: number | null;
  name: string;
  kind: string;
  manufacturer: string | null;
  model: string | null;
  serial_number: string | null;
  warranty_expires_on: string | null;
  notes: string | null;
}

export interface User extends Rec {
  email: string;
  name: string;
  role: "admin" | "manager" | "technician" | "sales" | "billing";
  active: boolean;
  skills: string[];
  totp_enabled: boolean;
}

export interface Certification extends Rec {
  user_id: number;
  name: string;
  issuer: string | null;
  number: string | null;
  issued_on: string | null;
  expires_on: string | null;
}

export interface Ticket extends Rec {
  number: string;
  subject: string;
  description: string | null;
  kind: string;
  channel: string;
  priority: string;
  status: string;
  company_id: number;
  contact_id: number | null;
  site_id: number | null;
  asset_id: number | null;
  contract_id: number | null;
  assignee_id: number | null;
  tier: number;
  required_skills: string[];
  required_certifications: string[];
  resolution: string | null;
  first_responded_at: string | null;
  resolved_at: string | null;
  closed_at: string | null;
  sla_policy_id: number | null;
  response_due_at: string | null;
  resolution_due_at: string | null;
  response_breached: boolean;
  resolution_breached: boolean;
  paused_minutes: number;
  merged_into_id: number | null;
  follow_up_at: string | null;
  follow_up_user_id: number | null;
  follow_up_note: string | null;
  external_reference: string | null;
  /** the recurring ticket that made it, and for which occurrence */
  recurring_id: number | null;
  recurring_at: string | null;
  /** the accepted quote it came from */
  quote_id: number | null;
}

export interface Note extends Rec {
  ticket_id: number;
  body: string;
  visibility: "internal" | "public";
  author_id: number | null;
  contact_id: number | null;
}

export interface TimeEntry extends Rec {
  ticket_id: number;
  user_id: number;
  work_type_id: number;
  started_at: string;
  minutes: number;
  billable: boolean;
  notes: string | null;
  invoice_id: number | null;
}

export interface WorkType extends Rec {
  name: string;
  currency: string;
  hourly_rate: number;
  billable: boolean;
}

export interface Product extends Rec {
  sku: string;
  name: string;
  kind: string;
  description: string | null;
  currency: string;
  unit_cost: number;
  unit_price: number;
  taxable: boolean;
}

export interface Part extends Rec {
  ticket_id: number;
  product_id: number;
  quantity: number;
  unit_cost: number;
  unit_price: number;
  serial_number: string | null;
  billable: boolean;
  invoice_id: number | null;
}

export interface ChecklistItem extends Rec {
  ticket_id: number;
  label: string;
  required: boolean;
  done: boolean;
  done_by: number | null;
  done_at: string | null;
  position: number;
  template_id: number | null;
}

export interface HistoryEvent {
  id: number;
  ticket_id: number;
  at: string;
  kind: string;
  from_value: string | null;
  to_value: string | null;
  actor_id: number | null;
  detail: string | null;
}

export interface SlaClock {
  target_minutes: number | null;
  due_at: string | null;
  responded_at?: string | null;
  resolved_at?: string | null;
  stopped_at?: string | null;
  running: boolean;
  elapsed_minutes: number;
  elapsed_percent: number | null;
  paused_minutes?: number;
  stopped_minutes?: number;
  breached: boolean;
  explanation: string;
}

export interface SlaInterval {
  start: string;
  end: string;
  kind: "counted" | "outside_hours" | "holiday" | "paused" | "stopped";
  minutes: number;
  clock: "both" | "response" | "resolution" | "none";
  status: string | null;
  future: boolean;
}

export interface SlaExplain {
  ticket_id: number;
  policy: { id: number; name: string; timezone: string; always_open: boolean; pause_statuses: string[] } | null;
  explanation?: string;
  created_at?: string;
  started_at?: string;
  computed_at?: string;
  response?: SlaClock;
  resolution?: SlaClock;
  timeline?: SlaInterval[];
  timeline_truncated?: boolean;
}

export interface Candidate {
  rank: number;
  user_id: number;
  name: string;
  email: string;
  skills: string[];
  eligible: boolean;
  skills_matched: number;
  skills_missing: string[];
  certifications: { name: string; status: "valid" | "expired" | "missing"; expires_on: string | null }[];
  open_tickets: number;
  booked_minutes_next_24h: number;
  reasons: string[];
}

export interface Appointment extends Rec {
  ticket_id: number | null;
  user_id: number;
  starts_at: string;
  ends_at: string;
  site_id: number | null;
  status: "scheduled" | "confirmed" | "done" | "cancelled";
  title: string | null;
  notes: string | null;
}

export interface Contract extends Rec {
  company_id: number;
  name: string;
  kind: "time_materials" | "managed" | "block_hours";
  status: string;
  starts_on: string;
  ends_on: string | null;
  sla_policy_id: number | null;
  currency: string;
  monthly_fee: number | null;
  block_minutes: number | null;
  block_price: number | null;
}

export interface Calendar extends Rec {
  name: string;
  timezone: string;
  always_open: boolean;
  hours: { weekday: number; start: string; end: string }[];
  holidays: string[];
}

export interface SlaPolicy extends Rec {
  name: string;
  calendar_id: number;
  targets: { priority: string; response_minutes?: number; resolution_minutes?: number }[];
  pause_statuses: string[];
  is_default: boolean;
}

export interface ChecklistTemplate extends Rec {
  name: string;
  ticket_kind: string;
  items: { label: string; required?: boolean }[];
}

export interface RecurringTicket extends Rec {
  name: string;
  /** RFC 5545 RRULE without "RRULE:" (FREQ=MONTHLY;BYDAY=1MO) */
  rrule: string;
  /** the first occurrence, local: YYYY-MM-DDTHH:MM */
  starts_local: string;
  timezone: string;
  active: boolean;
  next_run_at: string | null;
  last_run_at: string | null;
  next_occurrences: string[];
  subject: string;
  description: string | null;
  kind: string;
  priority: string;
  company_id: number;
  site_id: number | null;
  asset_id: number | null;
  contract_id: number | null;
  assignee_id: number | null;
  required_skills: string[];
}

/** An API token, never with its secret. */
export interface ApiToken {
  id: number;
  user_id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** The reply to making a token: the secret, this once. */
export interface ApiTokenMade {
  id: number;
  user_id: number;
  name: string;
  expires_at: string | null;
  token: string;
  note: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_id: number | null;
  /** the user's e-mail, or "cli", "system" */
  actor: string;
  action: string;
  resource: string;
  record_id: number | null;
  before: unknown;
  after: unknown;
  request_id: string | null;
}
