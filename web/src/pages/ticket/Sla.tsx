/*
 * Sla.tsx - the SLA clocks and why their due times are what they are:
 * GET /tickets/{id}/sla gives each clock and the timeline of intervals
 * counted, skipped (outside hours, holidays), paused or stopped; here they
 * become a bar and sentences a client could be read out.
 */
import { Badge, ErrorState, Loading } from "../../components/ui";
import { api } from "../../lib/api";
import { dateTime, minutes, relative, time } from "../../lib/format";
import { useLoad } from "../../lib/hooks";
import { STATUS_LABELS } from "../../lib/tickets";
import type { SlaClock, SlaExplain, SlaInterval, Ticket } from "../../lib/types";

function ClockView({ name, clock, responded, always }: { name: string; clock: SlaClock; responded?: string | null; always: boolean }) {
  if (clock.target_minutes === null) {
    return (
      <div class="clock">
        <div class="clock-head">
          <span class="clock-name">{name}</span>
          <span class="muted small">No target for this priority</span>
        </div>
      </div>
    );
  }
  const pct = Math.min(100, clock.elapsed_percent ?? 0);
  const now = Date.now();
  const due = clock.due_at ? new Date(clock.due_at).getTime() : null;
  const stoppedAt = clock.stopped_at ?? clock.responded_at ?? clock.resolved_at ?? responded ?? null;
  let state: { tone: string; text: string };
  if (clock.breached) state = { tone: "red", text: clock.running ? `Breached · overdue ${minutes((now - (due ?? now)) / 60000)}` : "Breached" };
  else if (!clock.running && stoppedAt) state = { tone: "green", text: "Met" };
  else if (!clock.running) state = { tone: "slate", text: "Paused" };
  else if (pct >= 75) state = { tone: "amber-strong", text: `At risk · ${minutes(((due ?? now) - now) / 60000)} left` };
  else state = { tone: "green-soft", text: `${minutes(((due ?? now) - now) / 60000)} left` };
  const barTone = clock.breached ? "red" : pct >= 75 && clock.running ? "amber" : "green";
  return (
    <div class="clock">
      <div class="clock-head">
        <span class="clock-name">{name}</span>
        <Badge tone={state.tone}>{state.text}</Badge>
      </div>
      <div class={`meter meter-${barTone}`} role="meter" aria-label={`${name} clock used`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={clock.elapsed_percent ?? 0}>
        <div class="meter-fill" style={{ width: `${pct}%` }} />
      </div>
      <dl class="clock-facts">
        <div>
          <dt>Target</dt>
          <dd>{minutes(clock.target_minutes)}{always ? " around the clock" : " working"}</dd>
        </div>
        <div>
          <dt>Due</dt>
          <dd title={clock.due_at ?? ""}>{dateTime(clock.due_at)}</dd>
        </div>
        <div>
          <dt>Used</dt>
          <dd>
            {minutes(clock.elapsed_minutes)} ({clock.elapsed_percent ?? 0} %)
          </dd>
        </div>
        {stoppedAt && (
          <div>
            <dt>{name === "Response" ? "Responded" : "Stopped"}</dt>
            <dd>{dateTime(stoppedAt)}</dd>
          </div>
        )}
        {!!clock.paused_minutes && (
          <div>
            <dt>Paused</dt>
            <dd>{minutes(clock.paused_minutes)}</dd>
          </div>
        )}
      </dl>
    </div>
  );
}

function sentence(iv: SlaInterval, always: boolean): string {
  const wall = (new Date(iv.end).getTime() - new Date(iv.start).getTime()) / 60000;
  const status = iv.status ? ` (${STATUS_LABELS[iv.status] ?? iv.status})` : "";
  switch (iv.kind) {
    case "counted": {
      // around the clock every minute counts: there is no "working" time
      const clocks = iv.clock === "both" ? " on both clocks" : iv.clock === "response" ? " on the response clock" : iv.clock === "resolution" ? " on the resolution clock only" : "";
      return `${minutes(iv.minutes)}${always ? "" : " of working time"} counted${clocks}${status}`;
    }
    case "outside_hours":
      return `${minutes(wall)} outside business hours — not counted`;
    case "holiday":
      return `${minutes(wall)} holiday — not counted`;
    case "paused":
      return `${minutes(iv.minutes || wall)} paused while waiting${status} — the resolution clock stops`;
    case "stopped":
      return `Clock stopped${status}`;
  }
}

const KIND_LABEL: Record<string, string> = {
  counted: "Counted",
  outside_hours: "Outside hours",
  holiday: "Holiday",
  paused: "Paused",
  stopped: "Stopped",
};

function Timeline({ items, truncated, tz, always }: { items: SlaInterval[]; truncated?: boolean; tz?: string; always: boolean }) {
  const start = new Date(items[0].start).getTime();
  const end = new Date(items[items.length - 1].end).getTime();
  const span = Math.max(1, end - start);
  return (
    <div class="sla-timeline">
      <div class="sla-bar" aria-hidden="true">
        {items.map((iv, i) => (
          <span
            key={i}
            class={`sla-seg seg-${iv.kind} ${iv.future ? "is-future" : ""}`}
            style={{ width: `${Math.max(0.6, ((new Date(iv.end).getTime() - new Date(iv.start).getTime()) / span) * 100)}%` }}
            title={`${KIND_LABEL[iv.kind]}: ${time(iv.start)}–${time(iv.end)}`}
          />
        ))}
      </div>
      <div class="sla-legend" aria-hidden="true">
        <span><i class="seg-counted" /> Counted</span>
        <span><i class="seg-outside_hours" /> Outside hours</span>
        <span><i class="seg-holiday" /> Holiday</span>
        <span><i class="seg-paused" /> Paused</span>
        <span><i class="seg-future" /> Forecast</span>
      </div>
      <ol class="sla-steps">
        {items.map((iv, i) => (
          <li key={i} class={`sla-step step-${iv.kind} ${iv.future ? "is-future" : ""}`}>
            <span class="sla-when">
              {dateTime(iv.start)} – {new Date(iv.start).toDateString() === new Date(iv.end).toDateString() ? time(iv.end) : dateTime(iv.end)}
            </span>
            <span class="sla-what">
              {sentence(iv, always)}
              {iv.future && <em class="forecast"> · forecast</em>}
            </span>
          </li>
        ))}
      </ol>
      {truncated && <p class="small muted">The timeline is long; only its start is shown.</p>}
      {tz && <p class="small muted">Business hours are counted in {tz}; times here are shown in your time zone.</p>}
    </div>
  );
}

/**
 * Why the due times are what they are, in sentences: when the clocks
 * started, which hours they count, the targets that apply (either may be
 * missing) and what pauses the resolution clock.
 */
export function explanation(
  startedAt: string | undefined,
  policy: { name: string; timezone: string; always_open: boolean; pause_statuses: string[] },
  responseMinutes: number | null,
  resolutionMinutes: number | null,
): string {
  const hours = policy.always_open ? "run around the clock, nights, weekends and holidays included" : `count only the working hours of the ${policy.name} policy's calendar (${policy.timezone}), skipping its holidays`;
  const unit = policy.always_open ? "" : " of working time";
  // "a response is due after 2 h of working time, a resolution after 8 h"; alone: "a resolution is due after 8 h …"
  const resolution = resolutionMinutes == null ? null : responseMinutes != null ? `a resolution after ${minutes(resolutionMinutes)}` : `a resolution is due after ${minutes(resolutionMinutes)}${unit}`;
  const targets = [responseMinutes != null ? `a response is due after ${minutes(responseMinutes)}${unit}` : null, resolution].filter(Boolean).join(", ");
  const pauses = policy.pause_statuses.map((p) => (STATUS_LABELS[p] ?? p).toLowerCase()).join(" or ");
  let text = startedAt ? `The clocks started at ${dateTime(startedAt)} and ${hours}.` : `The clocks ${hours}.`;
  if (targets) text += ` ${targets[0].toUpperCase()}${targets.slice(1)}.`;
  if (pauses) text += ` The resolution clock pauses while the ticket is ${pauses}.`;
  return text;
}

export function SlaPanel({ ticket }: { ticket: Ticket }) {
  const sla = useLoad(() => api.get<SlaExplain>(`/tickets/${ticket.id}/sla`), [ticket.id, ticket.version]);
  if (sla.error) return <ErrorState message={sla.error} onRetry={sla.reload} />;
  if (!sla.data) return <Loading rows={3} label="Loading the SLA clock…" />;
  const s = sla.data;
  if (!s.policy)
    return (
      <p class="muted small">
        {s.explanation ?? "No SLA policy applies: the ticket has no contract policy and there is no default policy."}
      </p>
    );
  return (
    <div class="sla">
      <p class="small muted sla-policy">
        Policy <strong>{s.policy.name}</strong> · {s.policy.always_open ? "24×7" : `business hours, ${s.policy.timezone}`}
        {s.computed_at && <> · as of {relative(s.computed_at)}</>}
      </p>
      {s.response && <ClockView name="Response" clock={s.response} responded={ticket.first_responded_at} always={s.policy.always_open} />}
      {s.resolution && <ClockView name="Resolution" clock={s.resolution} always={s.policy.always_open} />}
      {s.timeline && s.timeline.length > 0 && (
        <details class="sla-explain">
          <summary>Why these due times?</summary>
          <p class="small">{explanation(s.started_at, s.policy, s.response?.target_minutes ?? null, s.resolution?.target_minutes ?? null)}</p>
          <Timeline items={s.timeline} truncated={s.timeline_truncated} tz={s.policy.always_open ? undefined : s.policy.timezone} always={s.policy.always_open} />
        </details>
      )}
    </div>
  );
}
