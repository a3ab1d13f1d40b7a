/*
 * TicketNew.tsx - open a service order for a client.
 *
 * The contract: once the company is chosen its active contracts (status
 * active, today within their dates, as the server counts them) are
 * fetched. Exactly one is preselected, shown and changeable; with several
 * the form asks which (no silent default: creating waits for a choice);
 * with none it says the work is time & materials. Choosing "No contract"
 * sends contract_id null, so the server does not pick the only one either.
 */
import { useEffect, useState } from "preact/hooks";
import { CompanyPicker, UserSelect } from "../components/pickers";
import { Alert, Button, Card, PageHeader, SelectField, TextArea, TextField, toast } from "../components/ui";
import { api, listAll } from "../lib/api";
import { iso } from "../lib/format";
import { useForm, useTitle } from "../lib/hooks";
import { remember } from "../lib/lookup";
import { navigate } from "../lib/router";
import { can } from "../lib/session";
import { CHANNEL_LABELS, CHANNELS, KIND_LABELS, KINDS, PRIORITIES, PRIORITY_LABELS } from "../lib/tickets";
import type { Asset, Contact, Contract, Site, Ticket } from "../lib/types";
import "../styles/manager.css";

const NO_CONTRACT = { value: "none", label: "No contract (time & materials)" };
const KIND_NAMES: Record<string, string> = { time_materials: "time & materials", managed: "managed services", block_hours: "block hours" };
const kindName = (k: string) => KIND_NAMES[k] ?? k.replace(/_/g, " ");

/** The contract choice: preselected when there is one, asked for when there are several. */
function ContractField({ company, contracts, value, onValue, error }: { company: number | null; contracts: Contract[] | null; value: string; onValue: (v: string) => void; error?: string }) {
  if (!company) return <SelectField label="Contract" name="contract_id" value="" onValue={onValue} options={[]} placeholder="Choose a company first" disabled />;
  if (!contracts) return <SelectField label="Contract" name="contract_id" value="" onValue={onValue} options={[]} placeholder="Looking for the company’s contracts…" disabled />;
  const options = [...contracts.map((c) => ({ value: String(c.id), label: `${c.name} (${kindName(c.kind)})` })), NO_CONTRACT];
  if (contracts.length === 0)
    return <SelectField label="Contract" name="contract_id" value="none" onValue={onValue} options={[NO_CONTRACT]} disabled hint="The company has no active contract: the work is billed as time & materials, under the default SLA." />;
  if (contracts.length === 1)
    return <SelectField label="Contract" name="contract_id" value={value} onValue={onValue} options={options} error={error} hint="Preselected: the company’s only active contract. Change it if this work falls outside it." />;
  return (
    <SelectField
      label="Contract"
      name="contract_id"
      value={value}
      onValue={onValue}
      options={options}
      placeholder="Choose a contract…"
      error={error}
      required
      hint={`The company has ${contracts.length} active contracts: choose the one this work falls under (its SLA policy applies).`}
    />
  );
}

interface Related {
  contacts: Contact[];
  sites: Site[];
  assets: Asset[];
  contracts: Contract[];
}

export function useCompanyRelated(companyId: number | null): Related {
  const [rel, setRel] = useState<Related>({ contacts: [], sites: [], assets: [], contracts: [] });
  useEffect(() => {
    if (!companyId) {
      setRel({ contacts: [], sites: [], assets: [], contracts: [] });
      return;
    }
    let live = true;
    const q = { company_id: companyId };
    Promise.all([
      listAll<Contact>("/contacts", { ...q, sort: "last_name" }, 400),
      listAll<Site>("/sites", { ...q, sort: "name" }, 400),
      listAll<Asset>("/assets", { ...q, sort: "name" }, 400),
      can("contracts.view") ? listAll<Contract>("/contracts", q, 100) : Promise.resolve([] as Contract[]),
    ]).then(([contacts, sites, assets, contracts]) => {
      if (live) setRel({ contacts, sites, assets, contracts });
    }, () => undefined);
    return () => {
      live = false;
    };
  }, [companyId]);
  return rel;
}

export function TicketNew() {
  useTitle("New service order");
  const pre = new URLSearchParams(window.location.search);
  const f = useForm({
    company_id: pre.get("company_id") ? Number(pre.get("company_id")) : (null as number | null),
    subject: "",
    description: "",
    kind: "incident",
    priority: "medium",
    channel: "phone",
    contact_id: "",
    site_id: "",
    asset_id: "",
    contract_id: "",
    assignee_id: null as number | null,
    required_skills: "",
  });
  const v = f.values;
  const rel = useCompanyRelated(v.company_id);
  const [contracts, setContracts] = useState<Contract[] | null>(null);
  const seeContracts = can("contracts.view");

  useEffect(() => {
    setContracts(null);
    if (!v.company_id || !seeContracts) return;
    let live = true;
    // today as the server counts contracts in force (UTC)
    const today = iso(new Date()).slice(0, 10);
    listAll<Contract>("/contracts", { company_id: v.company_id, status: "active", sort: "name" }, 100).then(
      (list) => {
        if (!live) return;
        const active = list.filter((c) => c.starts_on <= today && (!c.ends_on || c.ends_on >= today));
        setContracts(active);
        f.set("contract_id", active.length === 1 ? String(active[0].id) : active.length === 0 ? "none" : "");
      },
      () => live && setContracts([]),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [v.company_id, seeContracts]);

  async function create(e: Event) {
    e.preventDefault();
    if (contracts && contracts.length > 1 && !v.contract_id) {
      f.setErrors({ contract_id: `Choose a contract: the company has ${contracts.length} active ones (or “No contract”).` });
      document.querySelector<HTMLElement>("[name='contract_id']")?.focus();
      return;
    }
    await f.submit(async (v) => {
      const body: Record<string, unknown> = {
        subject: v.subject,
        kind: v.kind,
        priority: v.priority,
        channel: v.channel,
      };
      if (v.company_id) body.company_id = v.company_id;
      else body.company_id = null;
      if (v.description.trim()) body.description = v.description;
      if (v.contact_id) body.contact_id = Number(v.contact_id);
      if (v.site_id) body.site_id = Number(v.site_id);
      if (v.asset_id) body.asset_id = Number(v.asset_id);
      if (v.contract_id === "none") body.contract_id = null;
      else if (v.contract_id) body.contract_id = Number(v.contract_id);
      if (v.assignee_id) body.assignee_id = v.assignee_id;
      const skills = v.required_skills.split(",").map((s) => s.trim()).filter(Boolean);
      if (skills.length) body.required_skills = skills;
      const t = await api.post<Ticket>("/tickets", body);
      remember("tickets", t);
      toast(`Service order ${t.number} created`);
      navigate(`/tickets/${t.id}`);
    });
  }

  const opt = <T extends { id: number }>(list: T[], name: (x: T) => string) => list.map((x) => ({ value: String(x.id), label: name(x) }));

  return (
    <div class="narrow">
      <PageHeader title="New service order" crumbs={<a href="/tickets">Service orders</a>} />
      <Card>
        <form onSubmit={create} noValidate class="stack" aria-label="New service order">
          {f.formError && <Alert tone="error">{f.formError}</Alert>}
          <div class="form-grid">
            <div class="span-2">
              <CompanyPicker
                label="Client company"
                value={v.company_id}
                onValue={(id) => {
                  f.set("company_id", id);
                  f.set("contact_id", "");
                  f.set("site_id", "");
                  f.set("asset_id", "");
                  f.set("contract_id", "");
                }}
                error={f.errors.company_id}
                required
                id="ticket-company"
              />
            </div>
            <div class="span-2">
              <TextField label="Subject" name="subject" value={v.subject} onValue={(x) => f.set("subject", x)} error={f.errors.subject} required placeholder="What is wrong, in a few words" />
            </div>
            <div class="span-2">
              <TextArea label="Description" name="description" value={v.description} onValue={(x) => f.set("description", x)} error={f.errors.description} rows={5} placeholder="What the client reported, error messages, what was tried" />
            </div>
            <SelectField label="Kind" name="kind" value={v.kind} onValue={(x) => f.set("kind", x)} options={KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }))} error={f.errors.kind} hint="Repairs and installations may come with a checklist." />
            <SelectField label="Priority" name="priority" value={v.priority} onValue={(x) => f.set("priority", x)} options={PRIORITIES.map((k) => ({ value: k, label: PRIORITY_LABELS[k] }))} error={f.errors.priority} hint="Sets the SLA targets." />
            <SelectField label="Channel" name="channel" value={v.channel} onValue={(x) => f.set("channel", x)} options={CHANNELS.map((k) => ({ value: k, label: CHANNEL_LABELS[k] }))} error={f.errors.channel} />
            <SelectField label="Contact" name="contact_id" value={v.contact_id} onValue={(x) => f.set("contact_id", x)} options={opt(rel.contacts, (c) => `${c.first_name} ${c.last_name}`)} placeholder={v.company_id ? (rel.contacts.length ? "No contact" : "The company has no contacts") : "Choose a company first"} disabled={!v.company_id} error={f.errors.contact_id} />
            <SelectField label="Site" name="site_id" value={v.site_id} onValue={(x) => f.set("site_id", x)} options={opt(rel.sites, (s) => s.name + (s.city ? `, ${s.city}` : ""))} placeholder={v.company_id ? "No site" : "Choose a company first"} disabled={!v.company_id} error={f.errors.site_id} />
            <SelectField label="Asset" name="asset_id" value={v.asset_id} onValue={(x) => f.set("asset_id", x)} options={opt(rel.assets.filter((a) => !v.site_id || a.site_id === Number(v.site_id)), (a) => a.name + (a.serial_number ? ` (${a.serial_number})` : ""))} placeholder={v.company_id ? "No asset" : "Choose a company first"} disabled={!v.company_id} error={f.errors.asset_id} />
            {seeContracts && <ContractField company={v.company_id} contracts={contracts} value={v.contract_id} onValue={(x) => f.set("contract_id", x)} error={f.errors.contract_id} />}
            <UserSelect label="Assignee" value={v.assignee_id} onValue={(x) => f.set("assignee_id", x)} error={f.errors.assignee_id} hint="Or assign later from the ranked candidates." />
            <TextField label="Required skills" name="required_skills" value={v.required_skills} onValue={(x) => f.set("required_skills", x)} error={f.errors.required_skills} placeholder="printers, wifi" hint="Comma-separated; used to rank technicians." />
          </div>
          <div class="form-actions">
            <Button onClick={() => history.back()}>Cancel</Button>
            <Button type="submit" variant="primary" busy={f.busy}>
              Create service order
            </Button>
          </div>
        </form>
      </Card>
    </div>
  );
}
