/* badges.tsx - the colours of ticket status, priority and SLA urgency. */
import { minutes } from "../lib/format";
import { slaPolicies } from "../lib/lookup";
import { PRIORITY_LABELS, slaState, STATUS_LABELS } from "../lib/tickets";
import type { Ticket } from "../lib/types";
import { Badge } from "./ui";

const STATUS_TONE: Record<string, string> = {
  new: "blue",
  assigned: "indigo",
  in_progress: "violet",
  waiting_customer: "amber",
  waiting_parts: "amber",
  escalated: "orange",
  resolved: "green",
  closed: "gray",
  cancelled: "gray",
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge tone={STATUS_TONE[status] ?? "neutral"} dot>
      {STATUS_LABELS[status] ?? status}
    </Badge>
  );
}

const PRIORITY_ICON: Record<string, string> = { critical: "▲▲", high: "▲", medium: "■", low: "▼" };

export function PriorityBadge({ priority }: { priority: string }) {
  return (
    <span class={`prio prio-${priority}`}>
      <span class="prio-icon" aria-hidden="true">
        {PRIORITY_ICON[priority] ?? ""}
      </span>
      {PRIORITY_LABELS[priority] ?? priority}
    </span>
  );
}

export function SlaBadge({ ticket, now = Date.now(), compact }: { ticket: Ticket; now?: number; compact?: boolean }) {
  const policies = slaPolicies.use();
  const pause = policies?.find((p) => p.id === ticket.sla_policy_id)?.pause_statuses;
  const s = slaState(ticket, now, pause);
  const which = s.clock === "response" ? "Response" : "Resolution";
  switch (s.urgency) {
    case "none":
      return <span class="muted">No SLA</span>;
    case "met":
      return <Badge tone="green-soft">SLA met</Badge>;
    case "breached":
      return (
        <Badge tone="red" title={s.dueAt ? `${which} was due ${new Date(s.dueAt).toLocaleString()}` : undefined}>
          {s.left !== null ? `${compact ? "" : which + " "}overdue ${minutes(-s.left)}` : "SLA breached"}
        </Badge>
      );
    case "paused":
      return <Badge tone="slate" title="The resolution clock is paused in this status">Paused</Badge>;
    case "at_risk":
      return (
        <Badge tone="amber-strong" title={`${which} due ${new Date(s.dueAt!).toLocaleString()}`}>
          {compact ? "" : which + " "}
          {minutes(s.left!)} left
        </Badge>
      );
    default:
      return (
        <Badge tone="green-soft" title={`${which} due ${new Date(s.dueAt!).toLocaleString()}`}>
          {compact ? "" : which + " "}
          {minutes(s.left!)} left
        </Badge>
      );
  }
}
