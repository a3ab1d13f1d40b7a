/*
 * tickets.ts - what the UI knows about service orders: the enum values (the
 * generated records') and their labels, the allowed status changes (a copy
 * of the table in src/service/tickets.c, so the UI offers only what the API
 * accepts; the API's 409 names the allowed ones should they ever differ) and
 * how urgent a ticket's SLA is.
 */
import { TicketChannelValues, TicketKindValues, TicketPriorityValues, TicketStatusValues, type Ticket } from "./types";

export const STATUSES = TicketStatusValues;

export const OPEN_STATUSES = ["new", "assigned", "in_progress", "waiting_customer", "waiting_parts", "escalated"];

export const STATUS_LABELS: Record<string, string> = {
  new: "New",
  assigned: "Assigned",
  in_progress: "In progress",
  waiting_customer: "Waiting on customer",
  waiting_parts: "Waiting for parts",
  escalated: "Escalated",
  resolved: "Resolved",
  closed: "Closed",
  cancelled: "Cancelled",
};

export const PRIORITIES = TicketPriorityValues;
export const PRIORITY_LABELS: Record<string, string> = { critical: "Critical", high: "High", medium: "Medium", low: "Low" };

export const KINDS = TicketKindValues;
export const KIND_LABELS: Record<string, string> = {
  incident: "Incident",
  service_request: "Service request",
  installation: "Installation",
  repair: "Repair",
  maintenance: "Maintenance",
};

export const CHANNELS = TicketChannelValues;
export const CHANNEL_LABELS: Record<string, string> = {
  phone: "Phone",
  email: "E-mail",
  portal: "Portal",
  chat: "Chat",
  api: "API",
  monitoring: "Monitoring",
  onsite: "On site",
};

/** src/service/tickets.c: transitions[] */
export const TRANSITIONS: Record<string, string[]> = {
  new: ["assigned", "in_progress", "waiting_customer", "waiting_parts", "escalated", "resolved", "cancelled"],
  assigned: ["new", "in_progress", "waiting_customer", "waiting_parts", "escalated", "resolved", "cancelled"],
  in_progress: ["assigned", "waiting_customer", "waiting_parts", "escalated", "resolved", "cancelled"],
  waiting_customer: ["assigned", "in_progress", "waiting_parts", "escalated", "resolved", "cancelled"],
  waiting_parts: ["assigned", "in_progress", "waiting_customer", "escalated", "resolved", "cancelled"],
  escalated: ["assigned", "in_progress", "waiting_customer", "waiting_parts", "resolved", "cancelled"],
  resolved: ["closed", "in_progress"],
  closed: ["in_progress"],
  cancelled: ["new", "in_progress"],
};

/** What a person would call the move to `to` from `from`. */
export function transitionLabel(from: string, to: string): string {
  if (to === "in_progress" && ["resolved", "closed", "cancelled"].includes(from)) return "Reopen";
  if (to === "new" && from === "cancelled") return "Reopen as new";
  const verbs: Record<string, string> = {
    assigned: "Mark assigned",
    new: "Back to new",
    in_progress: "Start work",
    waiting_customer: "Wait on customer",
    waiting_parts: "Wait for parts",
    escalated: "Mark escalated",
    resolved: "Resolve…",
    closed: "Close",
    cancelled: "Cancel ticket",
  };
  return verbs[to] ?? STATUS_LABELS[to] ?? to;
}

export function isOpen(t: Pick<Ticket, "status">): boolean {
  return OPEN_STATUSES.includes(t.status);
}

export type Urgency = "breached" | "at_risk" | "on_track" | "paused" | "met" | "none";

export interface SlaState {
  urgency: Urgency;
  clock: "response" | "resolution" | null;
  dueAt: string | null;
  /** minutes until due (negative: overdue) */
  left: number | null;
}

/**
 * The clock that matters now: the response clock until the first response,
 * then the resolution clock. At risk: the SLA sweep warned that 75 % of that
 * clock's target is used (the ticket's sla.*_warned_percent).
 */
export function slaState(t: Ticket, now = Date.now(), pauseStatuses: string[] = ["waiting_customer"]): SlaState {
  if (!t.sla_policy_id && !t.response_due_at && !t.resolution_due_at)
    return { urgency: "none", clock: null, dueAt: null, left: null };
  if (!isOpen(t)) {
    const breached = t.response_breached || t.resolution_breached;
    return { urgency: breached ? "breached" : "met", clock: null, dueAt: null, left: null };
  }
  const clock: "response" | "resolution" =
    !t.first_responded_at && t.response_due_at ? "response" : "resolution";
  const dueAt = clock === "response" ? t.response_due_at : t.resolution_due_at;
  if (!dueAt) return { urgency: "none", clock: null, dueAt: null, left: null };
  const due = new Date(dueAt).getTime();
  const left = (due - now) / 60000;
  const breached = (clock === "response" ? t.response_breached : t.resolution_breached) || left < 0;
  if (breached) return { urgency: "breached", clock, dueAt, left };
  if (clock === "resolution" && pauseStatuses.includes(t.status)) return { urgency: "paused", clock, dueAt, left };
  // at risk: 75 % of the clock's working time used, as the server's SLA sweep counts it (the
  // wall time to the due time says nothing of nights and weekends the clock does not count)
  const warned = clock === "response" ? t.sla?.response_warned_percent : t.sla?.resolution_warned_percent;
  return { urgency: (warned ?? 0) >= 75 ? "at_risk" : "on_track", clock, dueAt, left };
}

export const URGENCY_ORDER: Record<Urgency, number> = { breached: 0, at_risk: 1, on_track: 2, paused: 3, met: 4, none: 5 };

/** Most urgent first: breached, at risk, then by time left. */
export function byUrgency(a: Ticket, b: Ticket, now = Date.now()): number {
  const sa = slaState(a, now);
  const sb = slaState(b, now);
  if (URGENCY_ORDER[sa.urgency] !== URGENCY_ORDER[sb.urgency]) return URGENCY_ORDER[sa.urgency] - URGENCY_ORDER[sb.urgency];
  return (sa.left ?? Infinity) - (sb.left ?? Infinity);
}
