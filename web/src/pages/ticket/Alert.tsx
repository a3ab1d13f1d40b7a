/*
 * Alert.tsx - on a service order a monitoring alert opened: the alert
 * (source, key), how often it fired, first and last, whether it cleared,
 * and whether it still takes the alert's repeats (docs/ALERTS.md).
 */
import { Badge, Card, DefList, ErrorState, Loading } from "../../components/ui";
import { api } from "../../lib/api";
import { dateTime } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import type { Alert, Ticket } from "../../lib/types";

export function AlertCard({ ticket }: { ticket: Ticket }) {
  const rows = useLoad((signal) => api.list<Alert>("/alerts", { ticket_id: ticket.id, limit: 1 }, signal), [ticket.id, ticket.version]);
  if (rows.error) return <Card title="Monitoring alert"><ErrorState message={rows.error} onRetry={rows.reload} /></Card>;
  if (!rows.data) return <Card title="Monitoring alert"><Loading rows={2} /></Card>;
  const a = rows.data.data[0];
  if (!a) return null;
  const open = a.state === "open";
  return (
    <Card title="Monitoring alert" id="alert">
      <DefList
        items={[
          ["Source", a.source],
          ["Key", <code>{a.key}</code>],
          [
            "State",
            <span class="row">
              <Badge tone={a.last_status === "firing" ? "red" : "green"} dot>
                {a.last_status === "firing" ? "Firing" : "Cleared"}
              </Badge>
              <span class="small muted">{open ? "repeats are added here" : "a new firing opens a new order"}</span>
            </span>,
          ],
          ["Fired", `${a.count} time${a.count === 1 ? "" : "s"}`],
          ["First", a.first_at ? dateTime(a.first_at) : null],
          ["Last", a.last_at ? dateTime(a.last_at) : null],
          ["Cleared", a.cleared_at ? dateTime(a.cleared_at) : null],
        ]}
      />
    </Card>
  );
}
