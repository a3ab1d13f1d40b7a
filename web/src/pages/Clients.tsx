/*
 * Clients.tsx - companies with search, and a company's page: its details,
 * contacts, sites, assets, service orders and contracts, with forms to
 * create and edit each.
 */
import { useEffect, useState } from "preact/hooks";
import { PriorityBadge, SlaBadge, StatusBadge } from "../components/badges";
import { SiteName } from "../components/names";
import { RecordDialog, type FieldSpec } from "../components/recordform";
import { Alert, Badge, Button, Card, CopyField, DefList, Dialog, Empty, ErrorState, LinkButton, Loading, PageHeader, TabPanel, Tabs, toast } from "../components/ui";
import { api, errorMessage, listAll, type ListPage, type Query } from "../lib/api";
import { date, label, relative } from "../lib/format";
import { useDebounced, useLoad, useTitle } from "../lib/hooks";
import { remember } from "../lib/lookup";
import { navigate } from "../lib/router";
import { can } from "../lib/session";
import { OPEN_STATUSES } from "../lib/tickets";
import { AssetKindValues, type Asset, type Company, type Contact, type Contract, type Site, type Ticket } from "../lib/types";
import { ContractDialog, ContractKindBadge, contractPrice, ContractStatusBadge } from "./billing/Contracts";
import { CompanySales } from "./sales/CompanySales";

const KINDS = [
  { value: "client", label: "Client" },
  { value: "prospect", label: "Prospect" },
  { value: "partner", label: "Partner" },
  { value: "vendor", label: "Vendor" },
];
const KIND_TONE: Record<string, string> = { client: "blue", prospect: "violet", partner: "green", vendor: "gray" };

const ASSET_KINDS = AssetKindValues.map((k) => ({ value: k, label: label(k) }));

export const COMPANY_FIELDS: FieldSpec[] = [
  { name: "name", label: "Name", required: true, span: true },
  { name: "kind", label: "Kind", type: "select", options: KINDS },
  { name: "lead_source", label: "Lead source", placeholder: "Referral, website, trade show…" },
  { name: "phone", label: "Phone", type: "tel" },
  { name: "email", label: "E-mail", type: "email" },
  { name: "email_domain", label: "Mail domain", placeholder: "example.com", hint: "Mail from anyone at this domain opens service orders for this company, even from people not yet contacts. Leave empty for shared domains (gmail.com…)." },
  { name: "website", label: "Website", type: "url", placeholder: "https://", span: true },
  { name: "notes", label: "Notes", type: "textarea" },
];

const CONTACT_FIELDS: FieldSpec[] = [
  { name: "first_name", label: "First name", required: true },
  { name: "last_name", label: "Last name", required: true },
  { name: "title", label: "Job title" },
  { name: "email", label: "E-mail", type: "email" },
  { name: "phone", label: "Phone", type: "tel" },
  { name: "mobile", label: "Mobile", type: "tel" },
  { name: "portal_access", label: "May sign in to the client portal", type: "checkbox", span: true },
  {
    name: "portal_role",
    label: "In the portal",
    type: "select",
    options: [
      { value: "technical", label: "Technical: service orders, assets, help articles" },
      { value: "billing", label: "Billing: quotes, invoices, hours left" },
      { value: "admin", label: "Admin: everything" },
    ],
  },
  { name: "notes", label: "Notes", type: "textarea" },
];

interface Invitation {
  contact_id: number;
  invite_url: string;
  expires_at: string;
  email_queued: boolean;
}

/** Invites a contact to the portal and shows the link once (to pass on when mail is not set up). */
function InviteButton({ contact, onDone }: { contact: Contact; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [made, setMade] = useState<Invitation | null>(null);
  const invite = async () => {
    setBusy(true);
    try {
      setMade(await api.post<Invitation>(`/contacts/${contact.id}/invite`));
      onDone();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button size="sm" busy={busy} onClick={invite} aria-label={`Invite ${contact.first_name} ${contact.last_name} to the portal`}>
        {contact.portal_invited_at ? "Invite again" : "Invite"}
      </Button>
      {made && (
        <Dialog
          title={`${contact.first_name} ${contact.last_name} is invited`}
          onClose={() => setMade(null)}
          footer={
            <Button variant="primary" onClick={() => setMade(null)}>
              Done
            </Button>
          }
        >
          <p>
            {made.email_queued
              ? `The invitation is on its way to ${contact.email}. `
              : "Outgoing mail is not set up (or the address bounced): pass this link on yourself. "}
            It works once, until {date(made.expires_at)}; a new invitation ends this one.
          </p>
          <CopyField label="Invitation link" value={made.invite_url} />
        </Dialog>
      )}
    </>
  );
}

const SITE_FIELDS: FieldSpec[] = [
  { name: "name", label: "Name", required: true, placeholder: "Head office" },
  { name: "phone", label: "Phone", type: "tel" },
  { name: "address_line1", label: "Address", span: true },
  { name: "address_line2", label: "Address line 2", span: true },
  { name: "city", label: "City" },
  { name: "region", label: "State / region" },
  { name: "postal_code", label: "Postal code" },
  { name: "country", label: "Country", placeholder: "US", hint: "Two-letter code" },
  { name: "timezone", label: "Time zone", placeholder: "America/New_York", hint: "IANA name" },
  { name: "notes", label: "Notes", type: "textarea" },
];

function assetFields(sites: Site[]): FieldSpec[] {
  return [
    { name: "name", label: "Name", required: true, placeholder: "Front desk printer" },
    { name: "kind", label: "Kind", type: "select", options: ASSET_KINDS, required: true },
    { name: "site_id", label: "Site", type: "select", options: sites.map((s) => ({ value: String(s.id), label: s.name })), none: "No site" },
    { name: "manufacturer", label: "Manufacturer" },
    { name: "model", label: "Model" },
    { name: "serial_number", label: "Serial number" },
    { name: "warranty_expires_on", label: "Warranty until", type: "date" },
    { name: "notes", label: "Notes", type: "textarea" },
  ];
}

/* The companies list ------------------------------------------------------------ */

/** Under a contact's address: mail to it bounced, and why. */
function BouncedNote({ contact }: { contact: Contact }) {
  if (!contact.email_bounced_at) return null;
  return (
    <div class="bounced-note" title={contact.email_bounce_reason ?? undefined}>
      <Badge tone="red">Mail bounced</Badge>{" "}
      <span class="small">
        {date(contact.email_bounced_at)}
        {contact.email_bounce_reason ? `: ${contact.email_bounce_reason}` : ""}
      </span>
    </div>
  );
}

function BouncedAlert({ contact }: { contact: Contact }) {
  return (
    <Alert tone="warning" title="Mail to this address bounced">
      On {date(contact.email_bounced_at)} the receiving server refused mail to {contact.email}
      {contact.email_bounce_reason ? <>: <span class="mono small">{contact.email_bounce_reason}</span>.</> : "."} Nothing more is sent to it until the address changes.
    </Alert>
  );
}

export function CompaniesPage() {
  useTitle("Clients");
  const params = new URLSearchParams(window.location.search);
  const [text, setText] = useState(params.get("q") ?? "");
  const [kind, setKind] = useState(params.get("kind") ?? "");
  const q = useDebounced(text, 250);
  const [rows, setRows] = useState<Company[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [n, setN] = useState(0);

  const query: Query = { q: q.trim() || undefined, kind: kind || undefined, sort: "name", limit: 25 };

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    const sp = new URLSearchParams();
    if (q.trim()) sp.set("q", q.trim());
    if (kind) sp.set("kind", kind);
    navigate("/clients" + (sp.toString() ? "?" + sp : ""), { replace: true });
    api
      .list<Company>("/companies", query, ctl.signal)
      .then((p) => {
        setRows(p.data);
        setCursor(p.next_cursor);
        setLoading(false);
        p.data.forEach((c) => remember("companies", c));
      })
      .catch((e) => {
        if ((e as Error).name === "AbortError") return;
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => ctl.abort();
  }, [q, kind, n]);

  async function loadMore() {
    setMore(true);
    try {
      const p = await api.list<Company>("/companies", { ...query, cursor });
      setRows((r) => [...r, ...p.data]);
      setCursor(p.next_cursor);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setMore(false);
    }
  }

  return (
    <div>
      <PageHeader
        title="Clients"
        subtitle="Companies you work for, sell to, partner or buy from."
        actions={
          can("clients.edit") && (
            <Button variant="primary" onClick={() => setCreating(true)}>
              New company
            </Button>
          )
        }
      />
      <section class="card list-card">
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-search">
            <label for="company-q" class="sr-only">
              Search companies
            </label>
            <input id="company-q" type="search" class="input" placeholder="Search by name, e-mail or website…" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <div class="chips" role="group" aria-label="Kind">
            {[{ value: "", label: "All" }, ...KINDS].map((k) => (
              <button key={k.value} type="button" class={`chip ${kind === k.value ? "is-active" : ""}`} aria-pressed={kind === k.value} onClick={() => setKind(k.value)}>
                {k.label}
              </button>
            ))}
          </div>
        </div>
        {error ? (
          <ErrorState message={error} onRetry={() => setN((x) => x + 1)} />
        ) : loading ? (
          <Loading rows={6} label="Loading companies…" />
        ) : rows.length === 0 ? (
          <Empty title={q || kind ? "No companies match" : "No companies yet"} icon="⌂" action={can("clients.edit") && !q ? <Button variant="primary" onClick={() => setCreating(true)}>New company</Button> : undefined}>
            {q || kind ? "Try other words or another kind." : "Add your first client to open service orders for it."}
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="table companies-table" aria-label="Companies">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Kind</th>
                    <th scope="col" class="hide-sm">Phone</th>
                    <th scope="col" class="hide-sm">E-mail</th>
                    <th scope="col" class="hide-sm">Website</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((c) => (
                    <tr key={c.id} class="clickable" onClick={(e) => { if (!(e.target as HTMLElement).closest("a")) navigate(`/clients/${c.id}`); }}>
                      <td>
                        <a href={`/clients/${c.id}`} class="cell-title">
                          {c.name}
                        </a>
                      </td>
                      <td>
                        <Badge tone={KIND_TONE[c.kind]}>{label(c.kind)}</Badge>
                      </td>
                      <td class="hide-sm nowrap">{c.phone ?? <span class="muted">—</span>}</td>
                      <td class="hide-sm">{c.email ? <a href={`mailto:${c.email}`} data-native>{c.email}</a> : <span class="muted">—</span>}</td>
                      <td class="hide-sm">{c.website ? <a href={c.website} target="_blank" rel="noopener noreferrer">{c.website.replace(/^https?:\/\//, "")}</a> : <span class="muted">—</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="table-foot">
              <span>{rows.length} shown{cursor ? "" : " · that is all"}</span>
              {cursor && (
                <Button size="sm" onClick={loadMore} busy={more}>
                  Load more
                </Button>
              )}
            </div>
          </>
        )}
      </section>
      {creating && (
        <RecordDialog<Company>
          title="New company"
          path="/companies"
          fields={COMPANY_FIELDS}
          defaults={{ kind: "client" }}
          onClose={() => setCreating(false)}
          onDone={(c) => {
            remember("companies", c);
            toast(`${c.name} created`);
            navigate(`/clients/${c.id}`);
          }}
        />
      )}
    </div>
  );
}

/* One company ---------------------------------------------------------------------- */

type Editing =
  | null
  | { kind: "company" }
  | { kind: "contact"; rec?: Contact }
  | { kind: "site"; rec?: Site }
  | { kind: "asset"; rec?: Asset }
  | { kind: "contract"; rec?: Contract }
  | { kind: "archive" };

function useList<T>(path: string, query: Query, deps: unknown[]) {
  return useLoad(() => listAll<T>(path, query, 1000), deps);
}

export function CompanyPage({ id }: { id: number }) {
  const company = useLoad((signal) => api.get<Company>(`/companies/${id}`, undefined, signal), [id]);
  const contacts = useList<Contact>("/contacts", { company_id: id, sort: "last_name" }, [id]);
  const sites = useList<Site>("/sites", { company_id: id, sort: "name" }, [id]);
  const assets = useList<Asset>("/assets", { company_id: id, sort: "name" }, [id]);
  const contracts = useLoad(() => (can("contracts.view") ? listAll<Contract>("/contracts", { company_id: id }, 200) : Promise.resolve([])), [id]);
  const [tab, setTab] = useState("tickets");
  const [editing, setEditing] = useState<Editing>(null);
  const [busy, setBusy] = useState(false);
  const c = company.data;
  useTitle(c ? c.name : "Company");

  if (company.error) return <ErrorState message={company.error} onRetry={company.reload} />;
  if (!c) return <Loading rows={8} label="Loading the company…" />;

  const count = (l: { data?: unknown[] }) => (l.data ? <span class="count">{l.data.length}</span> : null);
  const edit = can("clients.edit");

  async function archive() {
    setBusy(true);
    try {
      await api.del(`/companies/${c!.id}`, c!.version);
      toast(`${c!.name} archived`);
      navigate("/clients");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <PageHeader
        crumbs={<a href="/clients">Clients</a>}
        title={c.name}
        subtitle={
          <>
            <Badge tone={KIND_TONE[c.kind]}>{label(c.kind)}</Badge>
            {c.archived_at && <Badge tone="red">Archived</Badge>}
            {c.phone && <span>{c.phone}</span>}
            {c.email && <a href={`mailto:${c.email}`} data-native>{c.email}</a>}
            {c.website && <a href={c.website} target="_blank" rel="noopener noreferrer">{c.website.replace(/^https?:\/\//, "")}</a>}
          </>
        }
        actions={
          <>
            {can("tickets.create") && (
              <LinkButton href={`/tickets/new?company_id=${c.id}`} variant="primary">
                New service order
              </LinkButton>
            )}
            {edit && <Button onClick={() => setEditing({ kind: "company" })}>Edit</Button>}
            {can("clients.archive") && !c.archived_at && (
              <Button variant="ghost" onClick={() => setEditing({ kind: "archive" })}>
                Archive
              </Button>
            )}
          </>
        }
      />

      <div class="detail-grid">
        <section class="card">
          <Tabs
            label="Company records"
            active={tab}
            onChange={setTab}
            tabs={[
              { id: "tickets", label: "Service orders" },
              { id: "contacts", label: <>Contacts{count(contacts)}</> },
              { id: "sites", label: <>Sites{count(sites)}</> },
              { id: "assets", label: <>Assets{count(assets)}</> },
              ...(can("contracts.view") ? [{ id: "contracts", label: <>Contracts{count(contracts)}</> }] : []),
              ...(can("quotes.view") ? [{ id: "sales", label: "Sales" }] : []),
            ]}
          />
          <TabPanel id={tab}>
            {tab === "tickets" && <CompanyTickets companyId={c.id} />}
            {tab === "sales" && <CompanySales companyId={c.id} />}
            {tab === "contacts" && (
              <SubList
                state={contacts}
                noun="contact"
                onAdd={edit ? () => setEditing({ kind: "contact" }) : undefined}
                head={["Name", "Title", "E-mail", "Phone", ""]}
                row={(x: Contact) => [
                  <strong>
                    {x.first_name} {x.last_name}
                  </strong>,
                  x.title,
                  x.email && (
                    <>
                      <a href={`mailto:${x.email}`} data-native>{x.email}</a>
                      <BouncedNote contact={x} />
                    </>
                  ),
                  x.phone ?? x.mobile,
                  x.portal_access ? (
                    <span class="row">
                      <Badge tone="green-soft" title={x.portal_activated_at ? `Signed up ${date(x.portal_activated_at)}` : x.portal_invited_at ? `Invited ${date(x.portal_invited_at)}` : "Not invited yet"}>
                        Portal{x.portal_activated_at ? "" : x.portal_invited_at ? " · invited" : ""}
                      </Badge>
                      {x.email && can("portal.invite") && <InviteButton contact={x} onDone={() => contacts.reload()} />}
                    </span>
                  ) : null,
                ]}
                onEdit={edit ? (x) => setEditing({ kind: "contact", rec: x }) : undefined}
              />
            )}
            {tab === "sites" && (
              <SubList
                state={sites}
                noun="site"
                onAdd={edit ? () => setEditing({ kind: "site" }) : undefined}
                head={["Name", "Address", "Time zone", "Phone"]}
                row={(x: Site) => [<strong>{x.name}</strong>, [x.address_line1, x.city, x.region, x.postal_code, x.country].filter(Boolean).join(", "), x.timezone, x.phone]}
                onEdit={edit ? (x) => setEditing({ kind: "site", rec: x }) : undefined}
              />
            )}
            {tab === "assets" && (
              <SubList
                state={assets}
                noun="asset"
                onAdd={edit ? () => setEditing({ kind: "asset" }) : undefined}
                head={["Name", "Kind", "Make / model", "Serial", "Site", "Warranty"]}
                row={(x: Asset) => [
                  <strong>{x.name}</strong>,
                  label(x.kind),
                  [x.manufacturer, x.model].filter(Boolean).join(" "),
                  x.serial_number && <span class="mono">{x.serial_number}</span>,
                  x.site_id ? <SiteName id={x.site_id} /> : null,
                  x.warranty_expires_on ? (
                    <span class={new Date(x.warranty_expires_on) < new Date() ? "text-danger" : ""}>{date(x.warranty_expires_on)}</span>
                  ) : null,
                ]}
                onEdit={edit ? (x) => setEditing({ kind: "asset", rec: x }) : undefined}
              />
            )}
            {tab === "contracts" && (
              <SubList
                state={contracts}
                noun="contract"
                onAdd={can("contracts.create") ? () => setEditing({ kind: "contract" }) : undefined}
                head={["Name", "Kind", "Status", "Term", "Price"]}
                row={(x: Contract) => [
                  <a href={`/contracts/${x.id}`} class="cell-title">
                    {x.name}
                  </a>,
                  <ContractKindBadge kind={x.kind} />,
                  <ContractStatusBadge status={x.status} />,
                  `${date(x.starts_on)} – ${x.ends_on ? date(x.ends_on) : "open"}`,
                  contractPrice(x),
                ]}
                onEdit={can("contracts.edit") ? (x) => setEditing({ kind: "contract", rec: x }) : undefined}
              />
            )}
          </TabPanel>
        </section>

        <aside class="detail-side">
          <Card title="About">
            <DefList
              items={[
                ["Kind", label(c.kind)],
                ["Phone", c.phone],
                ["E-mail", c.email],
                ["Mail domain", c.email_domain],
                ["Website", c.website],
                ["Lead source", c.lead_source],
                ["Client since", date(c.created_at)],
                ["Updated", relative(c.updated_at)],
              ]}
            />
            {c.notes && <div class="pre company-notes">{c.notes}</div>}
          </Card>
          <Card title="People">
            {!contacts.data ? (
              <Loading rows={2} />
            ) : contacts.data.length === 0 ? (
              <p class="muted small">No contacts yet.</p>
            ) : (
              <ul class="people">
                {contacts.data.slice(0, 6).map((p) => (
                  <li key={p.id}>
                    <strong>
                      {p.first_name} {p.last_name}
                    </strong>
                    {p.title && <span class="muted small"> · {p.title}</span>}
                    <div class="small">{[p.email, p.phone ?? p.mobile].filter(Boolean).join(" · ")}</div>
                    <BouncedNote contact={p} />
                  </li>
                ))}
              </ul>
            )}
          </Card>
        </aside>
      </div>

      {editing?.kind === "company" && (
        <RecordDialog<Company>
          title={`Edit ${c.name}`}
          path="/companies"
          fields={COMPANY_FIELDS}
          record={c}
          onClose={() => setEditing(null)}
          onDone={(x) => {
            company.set(x);
            remember("companies", x);
            setEditing(null);
            toast("Saved");
          }}
        />
      )}
      {editing?.kind === "contact" && (
        <RecordDialog<Contact>
          title={editing.rec ? `Edit ${editing.rec.first_name} ${editing.rec.last_name}` : `New contact at ${c.name}`}
          path="/contacts"
          fields={CONTACT_FIELDS}
          record={editing.rec}
          extra={{ company_id: c.id }}
          onClose={() => setEditing(null)}
          onDone={() => {
            contacts.reload();
            setEditing(null);
            setTab("contacts");
            toast(editing.rec ? "Contact saved" : "Contact added");
          }}
        >
          {editing.rec?.email_bounced_at && <BouncedAlert contact={editing.rec} />}
        </RecordDialog>
      )}
      {editing?.kind === "site" && (
        <RecordDialog<Site>
          title={editing.rec ? `Edit ${editing.rec.name}` : `New site for ${c.name}`}
          path="/sites"
          fields={SITE_FIELDS}
          record={editing.rec}
          extra={{ company_id: c.id }}
          onClose={() => setEditing(null)}
          onDone={(x) => {
            remember("sites", x);
            sites.reload();
            setEditing(null);
            setTab("sites");
            toast(editing.rec ? "Site saved" : "Site added");
          }}
        />
      )}
      {editing?.kind === "asset" && (
        <RecordDialog<Asset>
          title={editing.rec ? `Edit ${editing.rec.name}` : `New asset for ${c.name}`}
          path="/assets"
          fields={assetFields(sites.data ?? [])}
          record={editing.rec}
          defaults={{ kind: "workstation" }}
          extra={{ company_id: c.id }}
          onClose={() => setEditing(null)}
          onDone={() => {
            assets.reload();
            setEditing(null);
            setTab("assets");
            toast(editing.rec ? "Asset saved" : "Asset added");
          }}
        />
      )}
      {editing?.kind === "contract" && (
        <ContractDialog
          record={editing.rec}
          companyId={c.id}
          onClose={() => setEditing(null)}
          onDone={(x) => {
            contracts.reload();
            setEditing(null);
            setTab("contracts");
            toast(editing.rec ? "Contract saved" : `Contract ${x.name} created`);
          }}
        />
      )}
      {editing?.kind === "archive" && (
        <Dialog
          title={`Archive ${c.name}?`}
          description="Archived companies disappear from lists and pickers. Their service orders, invoices and history stay. A manager can restore it."
          onClose={() => setEditing(null)}
          footer={
            <>
              <Button onClick={() => setEditing(null)}>Keep it</Button>
              <Button variant="danger" onClick={archive} busy={busy}>
                Archive company
              </Button>
            </>
          }
        >
          <p>Nothing is deleted.</p>
        </Dialog>
      )}
    </div>
  );
}

function SubList<T extends { id: number }>({ state, noun, head, row, onAdd, onEdit }: {
  state: { data?: T[]; error: string | null; reload: () => void };
  noun: string;
  head: string[];
  row: (x: T) => preact.ComponentChildren[];
  onAdd?: () => void;
  onEdit?: (x: T) => void;
}) {
  if (state.error) return <ErrorState message={state.error} onRetry={state.reload} />;
  if (!state.data) return <Loading rows={3} />;
  const add = onAdd && (
    <Button size="sm" variant="subtle" onClick={onAdd}>
      Add {noun}
    </Button>
  );
  if (state.data.length === 0)
    return (
      <Empty title={`No ${noun}s yet`} action={add}>
        {noun === "contract" ? "Contracts are made from accepted quotes, or here." : undefined}
      </Empty>
    );
  return (
    <div class="stack">
      {add && <div class="row-between"><span class="small muted">{state.data.length} {noun}{state.data.length === 1 ? "" : "s"}</span>{add}</div>}
      <div class="table-wrap">
        <table class="table" aria-label={`${noun[0].toUpperCase()}${noun.slice(1)}s`}>
          <thead>
            <tr>
              {head.map((h, i) => (
                <th key={i} scope="col">
                  {h}
                </th>
              ))}
              {onEdit && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {state.data.map((x) => (
              <tr key={x.id}>
                {row(x).map((cell, i) => (
                  <td key={i}>{cell === null || cell === undefined || cell === "" ? <span class="muted">—</span> : cell}</td>
                ))}
                {onEdit && (
                  <td class="right">
                    <button type="button" class="link-btn" onClick={() => onEdit(x)}>
                      Edit
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function CompanyTickets({ companyId }: { companyId: number }) {
  const [scope, setScope] = useState<"open" | "all">("open");
  const [rows, setRows] = useState<Ticket[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const query: Query = { company_id: companyId, status: scope === "open" ? OPEN_STATUSES.join(",") : undefined, limit: 20 };

  useEffect(() => {
    setRows(null);
    setError(null);
    api.list<Ticket>("/tickets", query).then(
      (p: ListPage<Ticket>) => {
        setRows(p.data);
        setCursor(p.next_cursor);
      },
      (e) => setError(errorMessage(e)),
    );
  }, [companyId, scope]);

  async function loadMore() {
    setMore(true);
    try {
      const p = await api.list<Ticket>("/tickets", { ...query, cursor });
      setRows((r) => [...(r ?? []), ...p.data]);
      setCursor(p.next_cursor);
    } finally {
      setMore(false);
    }
  }

  return (
    <div class="stack">
      <div class="chips" role="group" aria-label="Which service orders">
        <button type="button" class={`chip ${scope === "open" ? "is-active" : ""}`} aria-pressed={scope === "open"} onClick={() => setScope("open")}>
          Open
        </button>
        <button type="button" class={`chip ${scope === "all" ? "is-active" : ""}`} aria-pressed={scope === "all"} onClick={() => setScope("all")}>
          All
        </button>
      </div>
      {error ? (
        <ErrorState message={error} />
      ) : !rows ? (
        <Loading rows={3} />
      ) : rows.length === 0 ? (
        <Empty title={scope === "open" ? "No open service orders" : "No service orders yet"} icon="✓" />
      ) : (
        <>
          <ul class="ticket-rows bordered">
            {rows.map((t) => (
              <li key={t.id}>
                <a href={`/tickets/${t.id}`} class="ticket-row">
                  <span class="ticket-row-main">
                    <span class="ticket-row-title">
                      <span class="ticket-no">{t.number}</span> {t.subject}
                    </span>
                    <span class="ticket-row-sub">Opened {relative(t.created_at)}</span>
                  </span>
                  <span class="ticket-row-badges">
                    <PriorityBadge priority={t.priority} />
                    <StatusBadge status={t.status} />
                    <SlaBadge ticket={t} compact />
                  </span>
                </a>
              </li>
            ))}
          </ul>
          {cursor && (
            <div class="center">
              <Button size="sm" onClick={loadMore} busy={more}>
                Load more
              </Button>
            </div>
          )}
        </>
      )}
    </div>
  );
}
