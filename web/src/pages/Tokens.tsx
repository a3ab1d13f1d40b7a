/*
 * Tokens.tsx - API tokens for programs (monitoring, accounting, scripts).
 *
 * A token acts as its user, with the user's role, so it is personal: every
 * staff member makes, sees and revokes their own from the account menu
 * ("API tokens", /account/api-tokens). Admins also get Settings → API
 * tokens: everyone's tokens, filtered by user, to make one for a service
 * account or revoke one when someone leaves. The secret is in the reply to
 * POST /tokens only, so it is shown once, with a copy button.
 */
import { useState } from "preact/hooks";
import { UserName } from "../components/names";
import { UserSelect } from "../components/pickers";
import { Alert, Badge, Button, Card, Confirm, CopyField, Dialog, Empty, ErrorState, FormDialog, ListFoot, Loading, PageHeader, TextField, toast } from "../components/ui";
import { api } from "../lib/api";
import { date, dateTime, relative } from "../lib/format";
import { useForm, usePaged, useTitle } from "../lib/hooks";
import { users } from "../lib/lookup";
import { navigate, useLocation } from "../lib/router";
import { can, type Me } from "../lib/session";
import type { ApiToken, ApiTokenMade } from "../lib/types";

type TokenState = "active" | "expired" | "revoked";

function tokenState(t: ApiToken, now = Date.now()): TokenState {
  if (t.revoked_at) return "revoked";
  if (t.expires_at && new Date(t.expires_at).getTime() <= now) return "expired";
  return "active";
}

function StateBadge({ t }: { t: ApiToken }) {
  const s = tokenState(t);
  if (s === "revoked") return <Badge tone="gray" title={`Revoked ${dateTime(t.revoked_at)}`}>Revoked</Badge>;
  if (s === "expired") return <Badge tone="gray" title={`Expired ${dateTime(t.expires_at)}`}>Expired</Badge>;
  return <Badge tone="green-soft">Active</Badge>;
}

/** The personal page, for every staff role (the account menu's "API tokens"). */
export function AccountTokensPage({ user }: { user: Me }) {
  useTitle("API tokens");
  return (
    <div>
      <PageHeader
        crumbs={<span>Your account</span>}
        title="API tokens"
        subtitle={
          <>
            Programs — monitoring, accounting, your own scripts — use the Servio API with a token. A token acts as you, with your role ({user.role}): keep it as safe as your password.
          </>
        }
        actions={can("tokens.all", user.role) && <a href="/settings/api-tokens" class="small">Everyone's tokens (Settings)</a>}
      />
      <TokensPanel me={user} scope="mine" />
    </div>
  );
}

/** Settings → API tokens (admins): everyone's, filtered by user in the URL. */
export function AllTokensSection({ me }: { me: Me }) {
  return <TokensPanel me={me} scope="all" />;
}

function TokensPanel({ me, scope }: { me: Me; scope: "mine" | "all" }) {
  const loc = useLocation();
  const all = scope === "all" && can("tokens.all", me.role);
  const filterUser = all ? Number(new URLSearchParams(loc.search).get("user_id")) || null : me.id;
  const list = usePaged<ApiToken>("/tokens", { user_id: filterUser ?? undefined, sort: "-id" }, [filterUser]);
  const [making, setMaking] = useState(false);
  const [revoking, setRevoking] = useState<ApiToken | null>(null);
  const rows = list.rows;

  function setUser(id: number | null) {
    navigate(loc.path + (id ? `?user_id=${id}` : ""), { replace: true });
  }

  return (
    <Card
      title={all ? "Everyone's API tokens" : "Your API tokens"}
      actions={
        <Button variant="primary" size="sm" onClick={() => setMaking(true)}>
          New token
        </Button>
      }
      pad={false}
    >
      {all && (
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-select">
            <label for="tok-user" class="sr-only">
              User
            </label>
            <UserFilter id="tok-user" value={filterUser} onValue={setUser} />
          </div>
          <span class="small muted">Revoke a token when its program is retired or its person leaves; it stops working at once.</span>
        </div>
      )}
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !rows ? (
        <Loading rows={3} label="Loading API tokens…" />
      ) : rows.length === 0 ? (
        <Empty
          title={all && filterUser ? "This user has no API tokens" : all ? "No API tokens yet" : "You have no API tokens"}
          icon="⚿"
          action={
            <Button size="sm" variant="subtle" onClick={() => setMaking(true)}>
              Make a token
            </Button>
          }
        >
          A token lets a program call the REST API (docs/openapi.yaml) as {all ? "its user" : "you"}; it is shown once when made.
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table tokens-table" aria-label="API tokens">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  {all && <th scope="col">User</th>}
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => {
                  const st = tokenState(t);
                  return (
                    <tr key={t.id} class={st === "active" ? "" : "is-inactive"}>
                      <td class="col-name">
                        <div class="cell-title">{t.name}</div>
                        <div class="cell-sub mono" title="The first characters of the token, to tell tokens apart">
                          svo_{t.prefix}…
                        </div>
                      </td>
                      {all && (
                        <td data-label="User">
                          <UserName id={t.user_id} empty="—" />
                        </td>
                      )}
                      <td class="nowrap" data-label="Created" title={dateTime(t.created_at)}>
                        {date(t.created_at)}
                      </td>
                      <td class="nowrap" data-label="Last used" title={t.last_used_at ? dateTime(t.last_used_at) : undefined}>
                        {t.last_used_at ? relative(t.last_used_at) : <span class="muted">Never</span>}
                      </td>
                      <td class="nowrap" data-label="Expires">
                        {t.expires_at ? date(t.expires_at) : <span class="muted">Never</span>}
                      </td>
                      <td class="nowrap col-state">
                        <StateBadge t={t} />
                      </td>
                      <td class="right nowrap col-actions">
                        {st !== "revoked" && (
                          <button type="button" class="link-btn link-danger" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <ListFoot count={rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
      {making && (
        <NewTokenDialog
          me={me}
          forAnyone={all}
          userId={all ? filterUser ?? me.id : me.id}
          onClose={() => setMaking(false)}
          onMade={() => list.reload()}
        />
      )}
      {revoking && (
        <Confirm
          title={`Revoke “${revoking.name}”?`}
          description="Programs using this token stop working at once. This cannot be undone: make a new token if it is still needed."
          confirmLabel="Revoke token"
          cancelLabel="Keep it"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await api.del(`/tokens/${revoking.id}`);
            const name = revoking.name;
            setRevoking(null);
            list.reload();
            toast(`Token “${name}” revoked`);
          }}
        >
          <p>
            {revoking.user_id !== me.id && (
              <>
                It belongs to <strong><UserName id={revoking.user_id} /></strong>.{" "}
              </>
            )}
            Last used {revoking.last_used_at ? relative(revoking.last_used_at) : "never"}.
          </p>
        </Confirm>
      )}
    </Card>
  );
}

function UserFilter({ id, value, onValue }: { id: string; value: number | null; onValue: (id: number | null) => void }) {
  const list = users.use();
  return (
    <select id={id} class={`input select filter-input ${value ? "is-set" : ""}`} value={value ? String(value) : ""} onChange={(e) => onValue(Number((e.currentTarget as HTMLSelectElement).value) || null)}>
      <option value="">Every user</option>
      {(list ?? []).map((u) => (
        <option key={u.id} value={String(u.id)}>
          {u.name}
          {u.active ? "" : " (deactivated)"}
        </option>
      ))}
    </select>
  );
}

const EXPIRY_CHOICES: [string, string][] = [
  ["30", "30 days"],
  ["90", "90 days"],
  ["365", "1 year"],
  ["", "Never"],
];

function NewTokenDialog({ me, forAnyone, userId, onClose, onMade }: { me: Me; forAnyone: boolean; userId: number; onClose: () => void; onMade: () => void }) {
  const f = useForm({ name: "", expires_days: "90", user_id: userId as number | null });
  const [made, setMade] = useState<ApiTokenMade | null>(null);
  const v = f.values;
  const days = Number(v.expires_days);
  const until = v.expires_days.trim() && days > 0 ? new Date(Date.now() + days * 86400000) : null;

  async function submit(e: Event) {
    e.preventDefault();
    await f.submit(async (v) => {
      const body: Record<string, unknown> = { name: v.name.trim() };
      if (v.expires_days.trim()) body.expires_days = Number(v.expires_days);
      if (forAnyone && v.user_id && v.user_id !== me.id) body.user_id = v.user_id;
      const t = await api.post<ApiTokenMade>("/tokens", body);
      setMade(t);
      onMade();
    });
  }

  if (made)
    return (
      <Dialog
        title="Copy the new token"
        onClose={onClose}
        wide
        footer={
          <Button variant="primary" onClick={onClose}>
            Done
          </Button>
        }
      >
        <div class="stack">
          <Alert tone="warning" title="This is the only time the token is shown">
            Copy it now into the program's secret store. You will not see it again: Servio keeps only a fingerprint of it. If it is lost, revoke it and make a new one.
          </Alert>
          <CopyField label={`Token “${made.name}”`} value={made.token} copiedText="Token copied" hint={made.expires_at ? `Works until ${dateTime(made.expires_at)}.` : "Never expires: only revoking it stops it."} />
          <div>
            <div class="field-label">Try it</div>
            <pre class="codeblock">{`export SERVIO_TOKEN='…the token…'\ncurl -H "Authorization: Bearer $SERVIO_TOKEN" ${window.location.origin}/api/v1/me`}</pre>
          </div>
          {made.user_id !== me.id && (
            <p class="small muted">
              The token acts as <UserName id={made.user_id} />, with their role.
            </p>
          )}
        </div>
      </Dialog>
    );

  return (
    <FormDialog
      title="New API token"
      description="The token acts as its user, with the user's role. Give it a name that says which program uses it."
      onClose={onClose}
      onSubmit={submit}
      busy={f.busy}
      formError={f.formError}
      submitLabel="Make token"
    >
      <TextField label="Name" name="name" value={v.name} onValue={(x) => f.set("name", x)} error={f.errors.name} required autoFocus placeholder="Monitoring (Zabbix)" hint="What it is for, e.g. the program that uses it." />
      {forAnyone && <UserSelect label="Acts as" value={v.user_id} onValue={(x) => f.set("user_id", x)} error={f.errors.user_id} placeholder="Choose a user…" required hint="Only active users; the token gets their role." />}
      <div>
        <TextField
          label="Expires after (days)"
          name="expires_days"
          type="number"
          inputMode="numeric"
          min={1}
          max={3650}
          value={v.expires_days}
          onValue={(x) => f.set("expires_days", x)}
          error={f.errors.expires_days}
          hint={until ? `Stops working on ${date(until.toISOString())}.` : "Empty: never expires — only revoking stops it."}
        />
        <div class="quick-minutes" role="group" aria-label="Expiry presets">
          <span class="small muted">Quick:</span>
          {EXPIRY_CHOICES.map(([d, l]) => (
            <button type="button" class={`chip ${v.expires_days === d ? "is-active" : ""}`} key={l} aria-pressed={v.expires_days === d} onClick={() => f.set("expires_days", d)}>
              {l}
            </button>
          ))}
        </div>
      </div>
    </FormDialog>
  );
}
