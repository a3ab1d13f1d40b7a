/* History.tsx - who changed what on the ticket, in words. */
import { TicketLink } from "../../components/names";
import { ErrorState, Empty, Loading } from "../../components/ui";
import { listAll } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import { useRecord, userName, users } from "../../lib/lookup";
import { can } from "../../lib/session";
import { KIND_LABELS, PRIORITY_LABELS, STATUS_LABELS } from "../../lib/tickets";
import type { Contract, HistoryEntry, Ticket, User } from "../../lib/types";

function describe(e: HistoryEntry, staff: User[] | null): string {
  const st = (v: string | null) => (v ? STATUS_LABELS[v] ?? v : "—");
  const who = (v: string | null) => (v ? userName(staff, Number(v)) : "nobody");
  switch (e.kind) {
    case "created":
      return `Created as ${st(e.to_value)}`;
    case "status":
      return `Status changed from ${st(e.from_value)} to ${st(e.to_value)}`;
    case "priority":
      return `Priority changed from ${PRIORITY_LABELS[e.from_value ?? ""] ?? e.from_value} to ${PRIORITY_LABELS[e.to_value ?? ""] ?? e.to_value}`;
    case "kind":
      return `Kind changed from ${KIND_LABELS[e.from_value ?? ""] ?? e.from_value} to ${KIND_LABELS[e.to_value ?? ""] ?? e.to_value}`;
    case "assignee":
      return e.to_value ? `Assigned to ${who(e.to_value)}${e.from_value ? ` (was ${who(e.from_value)})` : ""}` : `Unassigned (was ${who(e.from_value)})`;
    case "tier":
      return `Tier changed from ${e.from_value ?? "—"} to ${e.to_value}`;
    case "public_note":
      return "Public reply sent";
    case "assignment_override":
      return `Assigned to ${who(e.to_value)} despite a missing certification: ${e.detail ?? ""}`;
    case "escalation": {
      try {
        const d = JSON.parse(e.detail ?? "{}");
        const to = d.to === "tier" ? `tier ${d.tier ?? "up"}` : d.to === "user" ? userName(staff, d.user_id) : `${d.to}${d.reference ? ` (${d.reference})` : ""}`;
        return `Escalated to ${to}: ${d.reason ?? ""}`;
      } catch {
        return `Escalated: ${e.detail ?? ""}`;
      }
    }
    case "merged_into":
      return `Merged into ticket #${e.to_value}`;
    case "merged_from":
      return `Ticket #${e.to_value} merged into this one`;
    case "sla_warning":
      return `${e.from_value === "response" ? "Response" : "Resolution"} clock ${e.to_value} % used`;
    case "reopen": {
      const reason = field(e.detail, "reason");
      return reason ? `Reopened: ${reason}` : "Reopened";
    }
    case "autoclose": {
      const days = field(e.detail, "after_days");
      // after_days is the rule's wait, not the resolution's age (a job that ran late closes older ones)
      return days ? `Closed by itself: no answer from the client within ${days} day${days === "1" ? "" : "s"} of the resolution` : "Closed by itself";
    }
    case "survey_answered":
      return e.from_value ? `The client changed their rating from ${e.from_value} to ${e.to_value} of 5` : `The client rated the service ${e.to_value} of 5`;
    case "negative_rating":
      return `A rating of ${e.to_value} of 5 opened a follow-up${e.detail ? `: “${e.detail}”` : ""}`;
    default: {
      const kind = (e.kind ?? "").replace(/_/g, " ");
      return `${kind[0]?.toUpperCase() ?? ""}${kind.slice(1)}${e.to_value ? `: ${e.to_value}` : ""}`;
    }
  }
}

/** A contract by its name ("…" while it loads); null for those who may not see contracts. */
function useContractName(id: string | null): string | null {
  const c = useRecord<Contract>("contracts", id && can("contracts.view") ? Number(id) : null);
  if (!id || !can("contracts.view")) return null;
  return c ? c.name : c === null ? "a contract since removed" : "…";
}

/** "Contract set to Support hours (was Managed IT)", in names, not ids. */
function ContractChange({ from, to }: { from: string | null; to: string | null }) {
  const was = useContractName(from);
  const now = useContractName(to);
  if (!can("contracts.view")) return <>{to ? "Contract changed" : "Contract removed"}</>;
  return <>{to ? `Contract set to ${now}${was ? ` (was ${was})` : ""}` : `Contract removed (was ${was})`}</>;
}

/** A member of an event's JSON detail, as text (undefined when absent or not JSON). */
function field(detail: string | null, name: string): string | undefined {
  try {
    const v = JSON.parse(detail ?? "{}")[name];
    return v == null ? undefined : String(v);
  } catch {
    return undefined;
  }
}

export function HistoryPanel({ ticket }: { ticket: Ticket }) {
  const h = useLoad(() => listAll<HistoryEntry>(`/tickets/${ticket.id}/history`, {}, 2000), [ticket.id, ticket.version]);
  const staff = users.use();
  if (h.error) return <ErrorState message={h.error} onRetry={h.reload} />;
  if (!h.data) return <Loading rows={3} />;
  if (h.data.length === 0) return <Empty title="No history" />;
  return (
    <ol class="history" aria-label="History">
      {[...h.data].reverse().map((e) => (
        <li key={e.id} class={`history-item hk-${e.kind}`}>
          <span class="history-dot" aria-hidden="true" />
          <div>
            <div>
              {e.kind === "contract" ? (
                <ContractChange from={e.from_value} to={e.to_value} />
              ) : e.kind === "merged_into" && e.to_value ? (
                <>
                  Merged as a duplicate into <TicketLink id={Number(e.to_value)} />
                </>
              ) : e.kind === "merged_from" && e.to_value ? (
                <>
                  <TicketLink id={Number(e.to_value)} /> merged into this one as a duplicate
                </>
              ) : (
                describe(e, staff)
              )}
            </div>
            <div class="small muted">
              {e.actor_id ? userName(staff, e.actor_id) : "System"} · <time dateTime={e.at ?? undefined} title={dateTime(e.at)}>{relative(e.at)}</time>
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}
