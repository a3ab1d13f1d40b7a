/*
 * Notifications.tsx - the caller's notifications and which of them also
 * come by e-mail (/account/notifications, from the account menu and the
 * bell). Every notification is listed here whatever is chosen; the
 * choices only say what is mailed too.
 */
import { useEffect, useState } from "preact/hooks";
import { NotificationItem } from "../components/notifications";
import { Alert, Button, Card, Checkbox, Empty, ErrorState, ListFoot, Loading, PageHeader, toast } from "../components/ui";
import { api, errorMessage, request } from "../lib/api";
import { usePaged, useLoad, useTitle } from "../lib/hooks";
import { KIND_LABELS, markAllRead, refreshUnread, type NotificationSettings } from "../lib/notifications";
import type { Notification, NotificationKind } from "../lib/types";

export function AccountNotificationsPage() {
  useTitle("Notifications");
  return (
    <div>
      <PageHeader
        crumbs={<span>Your account</span>}
        title="Notifications"
        subtitle="What happened that is yours to act on. Every notification is listed here and under the bell; choose which of them reach you by e-mail too."
      />
      <div class="notif-page">
        <NotificationList />
        <EmailChoices />
      </div>
    </div>
  );
}

function NotificationList() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const list = usePaged<Notification>("/me/notifications", { read: unreadOnly ? false : undefined }, [unreadOnly]);
  const [busy, setBusy] = useState(false);

  async function allRead() {
    setBusy(true);
    try {
      const n = await markAllRead();
      toast(n === 1 ? "1 notification marked read" : `${n} notifications marked read`);
      list.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Card
      title="Your notifications"
      actions={
        <>
          <Checkbox label="Unread only" checked={unreadOnly} onValue={setUnreadOnly} />
          <Button size="sm" onClick={() => void allRead()} busy={busy}>
            Mark all read
          </Button>
        </>
      }
    >
      {list.error && <ErrorState message={list.error} onRetry={list.reload} />}
      {!list.error && list.rows === null && <Loading />}
      {list.rows?.length === 0 && <Empty title={unreadOnly ? "Nothing unread" : "No notifications yet"} />}
      {list.rows && list.rows.length > 0 && (
        <div class="notif-list notif-list-page" aria-label="Notifications">
          {list.rows.map((n) => (
            <NotificationItem key={n.id} n={n} />
          ))}
        </div>
      )}
      {list.rows && <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />}
    </Card>
  );
}

function EmailChoices() {
  const settings = useLoad((signal) => api.get<NotificationSettings>("/me/notification-settings", undefined, signal), []);
  const [chosen, setChosen] = useState<NotificationKind[] | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (settings.data) setChosen(settings.data.email);
  }, [settings.data]);
  useEffect(() => void refreshUnread(), []);

  if (settings.error) return <ErrorState message={settings.error} onRetry={settings.reload} />;
  if (!settings.data || !chosen) return <Loading />;
  const kinds = settings.data.kinds;
  const changed = kinds.some((k) => chosen.includes(k) !== settings.data!.email.includes(k));

  async function save() {
    setSaving(true);
    setError(null);
    try {
      const stored = (await request<NotificationSettings>("PATCH", "/me/notification-settings", { body: { email: kinds.filter((k) => chosen!.includes(k)) } })).data;
      settings.set(stored);
      toast("E-mail choices saved");
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  return (
    <Card title="E-mail me about">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        {error && <Alert>{error}</Alert>}
        <fieldset class="notif-choices">
          <legend class="sr-only">Kinds of notification sent by e-mail</legend>
          {kinds.map((k) => (
            <Checkbox
              key={k}
              name={k}
              label={KIND_LABELS[k]?.label ?? k}
              hint={KIND_LABELS[k]?.hint}
              checked={chosen.includes(k)}
              onValue={(on) => setChosen(on ? [...chosen, k] : chosen.filter((x) => x !== k))}
            />
          ))}
        </fieldset>
        <p class="small muted">Mail goes to your sign-in address when the firm's outgoing mail is set up. You never hear of your own changes.</p>
        <Button type="submit" variant="primary" busy={saving} disabled={!changed}>
          Save e-mail choices
        </Button>
      </form>
    </Card>
  );
}
