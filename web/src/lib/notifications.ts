/*
 * notifications.ts - the caller's notifications: the unread count the bell
 * shows (polled, and refreshed after every change made here), marking read,
 * and the words for each kind.
 */
import { api } from "./api";
import { store } from "./store";
import type { Notification, NotificationKind } from "./types";

/** The caller's unread notifications; null until the first count is in. */
export const unreadCount = store<number | null>(null);

export async function refreshUnread(): Promise<void> {
  try {
    unreadCount.set((await api.get<{ unread: number }>("/me/notifications/count")).unread);
  } catch {
    /* the next poll tries again; the bell keeps the last count */
  }
}

export async function markRead(n: Notification): Promise<Notification> {
  const done = await api.post<Notification>(`/me/notifications/${n.id}/read`);
  await refreshUnread();
  return done;
}

export async function markAllRead(): Promise<number> {
  const { updated } = await api.post<{ updated: number }>("/me/notifications/read-all");
  unreadCount.set(0);
  return updated;
}

export interface NotificationSettings {
  email: NotificationKind[];
  kinds: NotificationKind[];
}

/** What each kind means to its reader, for the e-mail choices. */
export const KIND_LABELS: Record<NotificationKind, { label: string; hint: string }> = {
  assigned: { label: "Assigned to me", hint: "Someone else gives you a service order." },
  client_replied: { label: "The client replied", hint: "On your service orders (managers: also on those nobody has)." },
  sla_warning: { label: "SLA warnings", hint: "At 75, 90 and 100 % of a response or resolution target (managers: every service order)." },
  quote_accepted: { label: "Quote accepted", hint: "A quote you made or whose opportunity you own (managers: every quote)." },
  negative_rating: { label: "Poor rating", hint: "A client rates a service order 1 or 2 of 5." },
};
