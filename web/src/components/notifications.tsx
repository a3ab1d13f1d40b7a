/*
 * notifications.tsx - the bell in the top bar: the unread count (polled
 * every 45 seconds and when the window regains focus), and a panel of the
 * latest notifications. Opening one goes to its service order or quote
 * and marks it read; "Mark all read" clears the count.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, errorMessage } from "../lib/api";
import { relative } from "../lib/format";
import { markAllRead, markRead, refreshUnread, unreadCount } from "../lib/notifications";
import { useStore } from "../lib/store";
import type { Notification } from "../lib/types";

const POLL_MS = 45000;

function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
      <path
        d="M6 17V11a6 6 0 0 1 12 0v6l2 2H4zM10 21h4"
        fill="none"
        stroke="currentColor"
        stroke-width="1.8"
        stroke-linecap="round"
        stroke-linejoin="round"
      />
    </svg>
  );
}

/** One notification as a link: opening it marks it read. */
export function NotificationItem({ n, onOpen }: { n: Notification; onOpen?: (n: Notification) => void }) {
  return (
    <a
      href={n.link ?? undefined}
      class={`notif-item ${n.read ? "" : "is-unread"}`}
      onClick={() => {
        if (!n.read) void markRead(n).catch(() => undefined);
        onOpen?.(n);
      }}
    >
      {!n.read && <span class="notif-dot" aria-label="Unread" />}
      <span class="notif-text">
        <span class="notif-title">{n.title}</span>
        {n.body && <span class="notif-body">{n.body}</span>}
        <span class="notif-when">
          {relative(n.created_at)}
          {n.emailed ? " · e-mailed" : ""}
        </span>
      </span>
    </a>
  );
}

export function NotificationBell() {
  const count = useStore(unreadCount);
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    void refreshUnread();
    const timer = setInterval(() => void refreshUnread(), POLL_MS);
    const onFocus = () => void refreshUnread();
    window.addEventListener("focus", onFocus);
    return () => {
      clearInterval(timer);
      window.removeEventListener("focus", onFocus);
    };
  }, []);

  useEffect(() => {
    if (!open) return;
    const ctl = new AbortController();
    setError(null);
    api.list<Notification>("/me/notifications", { limit: 12 }, ctl.signal).then(
      (p) => setItems(p.data),
      (e) => {
        if ((e as Error).name !== "AbortError") setError(errorMessage(e));
      },
    );
    void refreshUnread();
    const onDoc = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape") return;
      setOpen(false);
      root.current?.querySelector<HTMLElement>(".notif-bell")?.focus();
    };
    document.addEventListener("mousedown", onDoc);
    document.addEventListener("keydown", onKey);
    return () => {
      ctl.abort();
      document.removeEventListener("mousedown", onDoc);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

  async function allRead() {
    try {
      await markAllRead();
      setItems((rows) => rows?.map((n) => ({ ...n, read: true })) ?? null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  const unread = count ?? 0;
  return (
    <div class="notif" ref={root}>
      <button
        type="button"
        class="icon-btn notif-bell"
        aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-controls="notif-panel"
        onClick={() => setOpen(!open)}
      >
        <BellIcon />
        {unread > 0 && (
          <span class="notif-count" aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        )}
      </button>
      {open && (
        <div class="notif-panel" id="notif-panel" role="dialog" aria-label="Notifications">
          <div class="notif-head">
            <strong>Notifications</strong>
            <button type="button" class="link-btn small" onClick={() => void allRead()} disabled={!unread}>
              Mark all read
            </button>
          </div>
          <div class="notif-list">
            {error && <p class="notif-empty">{error}</p>}
            {!error && items === null && <p class="notif-empty">Loading…</p>}
            {!error && items?.length === 0 && <p class="notif-empty">Nothing yet. You will hear of service orders given to you, clients' replies, SLA warnings and accepted quotes here.</p>}
            {items?.map((n) => <NotificationItem key={n.id} n={n} onOpen={() => setOpen(false)} />)}
          </div>
          <div class="notif-foot">
            <a href="/account/notifications" class="small" onClick={() => setOpen(false)}>
              All notifications and e-mail choices
            </a>
          </div>
        </div>
      )}
    </div>
  );
}
