/*
 * types.ts - what the API returns (docs/openapi.yaml). The resource records,
 * their items and enums are generated from the server's tables
 * (records.gen.ts, "make generate"); the shapes here are the replies that
 * are no resource records: SLA explanations, dispatch candidates, a token
 * made.
 */

export * from "./records.gen";

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

/** The reply to making a token: the secret, this once. */
export interface ApiTokenMade {
  id: number;
  user_id: number;
  name: string;
  expires_at: string | null;
  token: string;
  note: string;
}
