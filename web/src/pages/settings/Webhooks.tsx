/*
 * Webhooks.tsx - Settings → Webhooks (admins): the endpoints that receive
 * the firm's events (docs/WEBHOOKS.md), made and edited here; the signing
 * secret is shown once, when made or rotated, with a copy button; a test
 * message; and each webhook's delivery log with its status, the
 * endpoint's last answer, and replay.
 */
import { useState } from "preact/hooks";
import { Alert, Badge, Button, Card, Checkbox, Confirm, CopyField, Dialog, Empty, ErrorState, FormDialog, ListFoot, Loading, TextField, toast } from "../../components/ui";
import { api, errorMessage } from "../../lib/api";
import { dateTime, relative } from "../../lib/format";
import { useForm, usePaged } from "../../lib/hooks";
import type { Webhook, WebhookDelivery } from "../../lib/types";

const FAMILIES: [string, string][] = [
  ["*", "Everything"],
  ["ticket.*", "Tickets and notes"],
  ["quote.*", "Quotes"],
  ["contract.*", "Contracts"],
  ["invoice.*", "Invoices"],
  ["credit_note.*", "Credit notes"],
];

type WebhookMade = Webhook & { secret: string };

function parseEvents(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function WebhooksSection() {
  const list = usePaged<Webhook>("/webhooks", { sort: "-created_at" }, []);
  const [editing, setEditing] = useState<Webhook | "new" | null>(null);
  const [secret, setSecret] = useState<{ hook: Webhook; secret: string; rotated: boolean } | null>(null);
  const [rotating, setRotating] = useState<Webhook | null>(null);
  const [archiving, setArchiving] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<Webhook | null>(null);
  const [logKey, setLogKey] = useState(0);
  const rows = list.rows;

  async function test(h: Webhook) {
    try {
      await api.post(`/webhooks/${h.id}/test`);
      toast("Test message queued: it goes out within seconds");
      setOpen(h);
      setLogKey((k) => k + 1);
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  }

  return (
    <div class="stack">
      <Card
        title="Webhooks"
        actions={
          <Button variant="primary" size="sm" onClick={() => setEditing("new")}>
            New webhook
          </Button>
        }
        pad={false}
      >
        <p class="small muted webhooks-note">
          Servio POSTs each change you subscribe to — tickets, quotes, contracts, invoices — to your URL, signed as Standard Webhooks specifies. Failed deliveries are retried for about a day; an answer of 410 Gone switches the webhook off. docs/WEBHOOKS.md shows how to check a signature.
        </p>
        {list.error ? (
          <ErrorState message={list.error} onRetry={list.reload} />
        ) : !rows ? (
          <Loading rows={2} label="Loading webhooks…" />
        ) : rows.length === 0 ? (
          <Empty
            title="No webhooks yet"
            icon="↯"
            action={
              <Button size="sm" variant="subtle" onClick={() => setEditing("new")}>
                Add a webhook
              </Button>
            }
          >
            A webhook tells another program — your intranet, a chat channel, an accounting tool — what changed, as it happens.
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="table webhooks-table" aria-label="Webhooks">
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">Secret</th>
                    <th scope="col">Status</th>
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((h) => (
                    <tr key={h.id} class={h.active ? "" : "is-inactive"}>
                      <td class="col-name">
                        <div class="cell-title mono">{h.url}</div>
                        {h.description && <div class="cell-sub">{h.description}</div>}
                      </td>
                      <td data-label="Events">
                        {h.events.map((e) => (
                          <span class="chip is-static" key={e}>
                            {e}
                          </span>
                        ))}
                      </td>
                      <td class="mono small secret" data-label="Secret">
                        {h.secret}
                        {h.previous_secret_expires_at && new Date(h.previous_secret_expires_at).getTime() > Date.now() && (
                          <div class="cell-sub">old one signs too until {dateTime(h.previous_secret_expires_at)}</div>
                        )}
                      </td>
                      <td class="nowrap" data-label="Status">
                        {h.active ? <Badge tone="green-soft">Active</Badge> : <Badge tone="gray" title={h.disabled_reason ?? undefined}>Off</Badge>}
                        {!h.active && h.disabled_reason && <div class="cell-sub">{h.disabled_reason}</div>}
                      </td>
                      <td class="col-actions">
                        <div class="webhook-actions">
                        <button type="button" class="link-btn" onClick={() => setOpen(open?.id === h.id ? null : h)} aria-label={`Deliveries of ${h.url}`} aria-expanded={open?.id === h.id}>
                          Deliveries
                        </button>
                        <button type="button" class="link-btn" onClick={() => test(h)} aria-label={`Send a test to ${h.url}`}>
                          Test
                        </button>
                        <button type="button" class="link-btn" onClick={() => setEditing(h)} aria-label={`Edit ${h.url}`}>
                          Edit
                        </button>
                        <button type="button" class="link-btn" onClick={() => setRotating(h)} aria-label={`Rotate the secret of ${h.url}`}>
                          Rotate secret
                        </button>
                        <button type="button" class="link-btn link-danger" onClick={() => setArchiving(h)} aria-label={`Delete ${h.url}`}>
                          Delete
                        </button>
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
          </>
        )}
      </Card>
      {open && <DeliveriesCard key={`${open.id}-${logKey}`} hook={open} />}
      {editing && (
        <WebhookDialog
          hook={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          onSaved={(h, made) => {
            setEditing(null);
            list.reload();
            if (made) setSecret({ hook: h, secret: made, rotated: false });
            else toast("Webhook saved");
          }}
        />
      )}
      {secret && <SecretDialog {...secret} onClose={() => setSecret(null)} />}
      {rotating && (
        <Confirm
          title="Rotate the signing secret?"
          description="Servio makes a new secret and shows it once. For 24 hours every message is signed with both the new and the old secret, so you can update the receiver in your own time."
          confirmLabel="Rotate secret"
          variant="primary"
          onClose={() => setRotating(null)}
          onConfirm={async () => {
            const h = await api.post<WebhookMade>(`/webhooks/${rotating.id}/rotate-secret`);
            setRotating(null);
            list.reload();
            setSecret({ hook: h, secret: h.secret, rotated: true });
          }}
        />
      )}
      {archiving && (
        <Confirm
          title="Delete this webhook?"
          description="Nothing more is sent to it. Its delivery log is kept."
          confirmLabel="Delete webhook"
          cancelLabel="Keep it"
          onClose={() => setArchiving(null)}
          onConfirm={async () => {
            await api.del(`/webhooks/${archiving.id}`, archiving.version);
            if (open?.id === archiving.id) setOpen(null);
            setArchiving(null);
            list.reload();
            toast("Webhook deleted");
          }}
        >
          <p class="mono small">{archiving.url}</p>
        </Confirm>
      )}
    </div>
  );
}

function WebhookDialog({ hook, onClose, onSaved }: { hook: Webhook | null; onClose: () => void; onSaved: (h: Webhook, secret: string | null) => void }) {
  const f = useForm({
    url: hook?.url ?? "",
    description: hook?.description ?? "",
    events: (hook?.events ?? ["ticket.*"]).join(", "),
    active: hook?.active ?? true,
  });
  const v = f.values;
  const chosen = parseEvents(v.events);

  function toggle(pattern: string) {
    const next = chosen.includes(pattern) ? chosen.filter((x) => x !== pattern) : [...chosen, pattern];
    f.set("events", next.join(", "));
  }

  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const body: Record<string, unknown> = { url: v.url.trim(), description: v.description.trim() || null, events: parseEvents(v.events) };
      if (hook) {
        body.active = v.active;
        const h = await api.patch<Webhook>(`/webhooks/${hook.id}`, body, hook.version);
        onSaved(h, null);
      } else {
        const h = await api.post<WebhookMade>("/webhooks", body);
        onSaved(h, h.secret);
      }
    });
  }

  return (
    <FormDialog
      title={hook ? "Edit webhook" : "New webhook"}
      description="Servio POSTs the events you choose to this URL as JSON, signed with the webhook's secret."
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel={hook ? "Save" : "Add webhook"}
      wide
    >
      <TextField label="URL" name="url" type="url" value={v.url} onValue={(x) => f.set("url", x)} error={f.errors.url} required autoFocus={!hook} placeholder="https://intranet.example/servio-hook" hint="http:// or https://, without a user name or password. Redirects are not followed." />
      <TextField label="Description" name="description" value={v.description} onValue={(x) => f.set("description", x)} error={f.errors.description} placeholder="The intranet's ticket board" />
      <div>
        <TextField
          label="Events"
          name="events"
          value={v.events}
          onValue={(x) => f.set("events", x)}
          error={f.errors.events}
          required
          hint="Separated by commas: * for everything, a family such as ticket.*, or one type such as ticket.updated or invoice.paid."
        />
        <div class="quick-minutes" role="group" aria-label="Event families">
          <span class="small muted">Quick:</span>
          {FAMILIES.map(([p, l]) => (
            <button type="button" class={`chip ${chosen.includes(p) ? "is-active" : ""}`} key={p} aria-pressed={chosen.includes(p)} onClick={() => toggle(p)}>
              {l}
            </button>
          ))}
        </div>
      </div>
      {hook && (
        <Checkbox
          label="Active"
          name="active"
          checked={v.active}
          onValue={(x) => f.set("active", x)}
          hint={hook.disabled_reason ? `Switched off: ${hook.disabled_reason}. Switch it on again once the endpoint is fixed.` : "When off, no events are sent (a test still is)."}
        />
      )}
    </FormDialog>
  );
}

function SecretDialog({ hook, secret, rotated, onClose }: { hook: Webhook; secret: string; rotated: boolean; onClose: () => void }) {
  return (
    <Dialog
      title={rotated ? "Copy the new signing secret" : "Copy the signing secret"}
      onClose={onClose}
      wide
      footer={
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      }
    >
      <div class="stack">
        <Alert tone="warning" title="This is the only time the secret is shown">
          Put it in the receiving program now: it checks each message's webhook-signature with it.{" "}
          {rotated ? "The old secret keeps signing beside this one for 24 hours." : "If it is lost, rotate the secret to get a new one."}
        </Alert>
        <CopyField label={`Secret of ${hook.url}`} value={secret} copiedText="Secret copied" />
        <div>
          <div class="field-label">Check a message (Python)</div>
          <pre class="codeblock">{`from standardwebhooks.webhooks import Webhook\nWebhook(SECRET).verify(raw_body, request.headers)`}</pre>
        </div>
      </div>
    </Dialog>
  );
}

const STATUS_TONE: Record<string, string> = { delivered: "green-soft", pending: "amber", failed: "red" };

function DeliveriesCard({ hook }: { hook: Webhook }) {
  const list = usePaged<WebhookDelivery>(`/webhooks/${hook.id}/deliveries`, {}, [hook.id]);
  const [busy, setBusy] = useState<number | null>(null);
  const rows = list.rows;

  async function replay(d: WebhookDelivery) {
    setBusy(d.id);
    try {
      await api.post(`/webhooks/${hook.id}/deliveries/${d.id}/replay`);
      toast("Queued to be sent again");
      list.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card
      title={<span>Deliveries to <span class="mono">{hook.url}</span></span>}
      actions={
        <Button size="sm" onClick={() => list.reload()}>
          Refresh
        </Button>
      }
      pad={false}
    >
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !rows ? (
        <Loading rows={3} label="Loading deliveries…" />
      ) : rows.length === 0 ? (
        <Empty title="Nothing sent yet" icon="↯">
          Each event this webhook subscribed to, each test and each replay appears here.
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table deliveries-table" aria-label="Deliveries">
              <thead>
                <tr>
                  <th scope="col">Queued</th>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last answer</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <tr key={d.id}>
                    <td class="nowrap" data-label="Queued" title={dateTime(d.created_at)}>
                      {relative(d.created_at)}
                    </td>
                    <td data-label="Event">
                      <div class="mono">{d.type}</div>
                      <div class="cell-sub mono">{d.msg_id}{d.replay_of_id ? ` · replay of #${d.replay_of_id}` : ""}</div>
                    </td>
                    <td class="nowrap" data-label="Status">
                      <Badge tone={STATUS_TONE[d.status ?? "pending"]}>{d.status}</Badge>
                      {d.status === "pending" && d.next_attempt_at && <div class="cell-sub">next {relative(d.next_attempt_at)}</div>}
                    </td>
                    <td class="num" data-label="Attempts">
                      {d.attempts}
                    </td>
                    <td data-label="Last answer">
                      {d.last_status ? <span class="mono">HTTP {d.last_status}</span> : d.attempts ? <span class="muted">no answer</span> : <span class="muted">—</span>}
                      {d.last_error && <div class="cell-sub">{d.last_error}</div>}
                      {(d.response_excerpt || d.payload != null) && (
                        <details class="small">
                          <summary>Body</summary>
                          <div class="field-label">Sent</div>
                          <pre class="codeblock">{JSON.stringify(d.payload, null, 2)}</pre>
                          {d.response_excerpt && (
                            <>
                              <div class="field-label">Answer (start)</div>
                              <pre class="codeblock">{d.response_excerpt}</pre>
                            </>
                          )}
                        </details>
                      )}
                    </td>
                    <td class="right nowrap col-actions">
                      {d.status !== "pending" && (
                        <button type="button" class="link-btn" disabled={busy === d.id} onClick={() => replay(d)} aria-label={`Replay delivery ${d.id}`}>
                          Replay
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
    </Card>
  );
}
