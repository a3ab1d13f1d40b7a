/*
 * backlog.ts - the open backlog's age buckets (the server's backlog_by_age,
 * service/quality_dashboard.c) as people read them, and the priorities
 * drawn in it with their colours: shared by the quality dashboard and the
 * home dashboard.
 */
export const AGES: Record<string, string> = {
  lt_1d: "Under 1 day",
  "1_3d": "1–3 days",
  "3_7d": "3–7 days",
  "7_14d": "7–14 days",
  "14_30d": "14–30 days",
  gt_30d: "30 days or more",
};

export const PRIORITIES = ["critical", "high", "medium", "low"] as const;

export const PRIORITY_COLORS: Record<(typeof PRIORITIES)[number], string> = {
  critical: "#c4231c",
  high: "#e07016",
  medium: "#2451d6",
  low: "#94a3b8",
};
