/*
 * Catalog.tsx - what quotes are priced from: products (equipment,
 * software, services; cost, price and the markup the server computes) and
 * work types (labour with an hourly rate). Products are paged and
 * searchable; work types are a short list. Create and edit in dialogs.
 */
import { useEffect, useState } from "preact/hooks";
import { RecordDialog, type FieldSpec } from "../../components/recordform";
import { Badge, Button, Empty, ErrorState, Loading, PageHeader, TabPanel, Tabs, toast } from "../../components/ui";
import { api, errorMessage, listAll, type Query } from "../../lib/api";
import { bp, label, money } from "../../lib/format";
import { useDebounced, useLoad, useTitle } from "../../lib/hooks";
import { remember, workTypes as workTypesCache } from "../../lib/lookup";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import type { WorkType } from "../../lib/types";
import type { ProductRec } from "./model";
import { useSettings } from "./parts";

const PRODUCT_KINDS = [
  { value: "equipment", label: "Equipment" },
  { value: "software", label: "Software" },
  { value: "service", label: "Service" },
];
const KIND_TONE: Record<string, string> = { equipment: "blue", software: "indigo", service: "violet" };

function productFields(currency: string): FieldSpec[] {
  return [
    { name: "name", label: "Name", required: true, placeholder: "Wi-Fi 6 access point" },
    { name: "sku", label: "SKU", required: true, placeholder: "NET-AP6", hint: "Unique" },
    { name: "kind", label: "Kind", type: "select", options: PRODUCT_KINDS, required: true },
    { name: "taxable", label: "Taxable", type: "checkbox" },
    { name: "unit_cost", label: `Unit cost (${currency})`, type: "money", currency, hint: "What it costs you; the markup is computed from it" },
    { name: "unit_price", label: `Unit price (${currency})`, type: "money", currency, required: true },
    { name: "description", label: "Description", type: "textarea" },
  ];
}

function workTypeFields(currency: string): FieldSpec[] {
  return [
    { name: "name", label: "Name", required: true, placeholder: "On-site technician", span: true },
    { name: "hourly_rate", label: `Hourly rate (${currency})`, type: "money", currency, required: true },
    { name: "billable", label: "Billable by default", type: "checkbox" },
  ];
}

function markupTone(m: number | null): string {
  if (m === null) return "muted";
  if (m < 1500) return "text-danger";
  return "";
}

export function CatalogPage({ user }: { user: Me }) {
  useTitle("Catalog");
  const loc = useLocation();
  const tab = new URLSearchParams(loc.search).get("tab") === "work-types" ? "work-types" : "products";
  return (
    <div>
      <PageHeader title="Catalog" subtitle="Products and labour rates that quotes are priced from." />
      <section class="card list-card">
        <Tabs
          label="Catalog"
          active={tab}
          onChange={(t) => navigate("/catalog" + (t === "work-types" ? "?tab=work-types" : ""), { replace: true })}
          tabs={[
            { id: "products", label: "Products" },
            { id: "work-types", label: "Work types" },
          ]}
        />
        <TabPanel id={tab}>{tab === "products" ? <Products user={user} /> : <WorkTypes user={user} />}</TabPanel>
      </section>
    </div>
  );
}

function Products({ user }: { user: Me }) {
  const settings = useSettings();
  const [text, setText] = useState("");
  const [kind, setKind] = useState("");
  const q = useDebounced(text, 250);
  const [rows, setRows] = useState<ProductRec[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [editing, setEditing] = useState<ProductRec | "new" | null>(null);
  const [n, setN] = useState(0);
  const edit = can("products.edit", user.role);
  const query: Query = { q: q.trim() || undefined, kind: kind || undefined, sort: "name", limit: 25 };

  useEffect(() => {
    const ctl = new AbortController();
    setError(null);
    api.list<ProductRec>("/products", query, ctl.signal).then(
      (p) => {
        setRows(p.data);
        setCursor(p.next_cursor);
      },
      (e) => {
        if ((e as Error).name !== "AbortError") setError(errorMessage(e));
      },
    );
    return () => ctl.abort();
  }, [q, kind, n]);

  async function loadMore() {
    setMore(true);
    try {
      const p = await api.list<ProductRec>("/products", { ...query, cursor });
      setRows((r) => [...(r ?? []), ...p.data]);
      setCursor(p.next_cursor);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setMore(false);
    }
  }

  const currency = editing && editing !== "new" ? editing.currency : (settings?.currency ?? "USD");

  return (
    <div>
      <div class="filters" role="group" aria-label="Filters">
        <div class="filter-search">
          <label for="product-q" class="sr-only">
            Search products
          </label>
          <input id="product-q" type="search" class="input" placeholder="Search name, SKU, description…" value={text} onInput={(e) => setText((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="chips" role="group" aria-label="Kind">
          {[{ value: "", label: "All" }, ...PRODUCT_KINDS].map((k) => (
            <button key={k.value} type="button" class={`chip ${kind === k.value ? "is-active" : ""}`} aria-pressed={kind === k.value} onClick={() => setKind(k.value)}>
              {k.label}
            </button>
          ))}
        </div>
        {edit && (
          <Button variant="primary" onClick={() => setEditing("new")}>
            New product
          </Button>
        )}
      </div>
      {error ? (
        <ErrorState message={error} onRetry={() => setN((x) => x + 1)} />
      ) : !rows ? (
        <Loading rows={6} label="Loading products…" />
      ) : rows.length === 0 ? (
        <Empty title={q || kind ? "No products match" : "The catalog is empty"} icon="▦" action={edit && !q ? <Button variant="primary" onClick={() => setEditing("new")}>New product</Button> : undefined}>
          {q || kind ? "Try other words or another kind." : "Add the equipment and services you sell, with cost and price."}
        </Empty>
      ) : (
        <>
          <div class="table-wrap">
            <table class="table catalog-table" aria-label="Products">
              <thead>
                <tr>
                  <th scope="col">Product</th>
                  <th scope="col">Kind</th>
                  <th scope="col" class="num hide-sm">
                    Cost
                  </th>
                  <th scope="col" class="num">
                    Price
                  </th>
                  <th scope="col" class="num">
                    Markup
                  </th>
                  <th scope="col" class="hide-sm">
                    Tax
                  </th>
                  {edit && (
                    <th scope="col">
                      <span class="sr-only">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {rows.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <div class="cell-title">{p.name}</div>
                      <div class="cell-sub mono">{p.sku}</div>
                    </td>
                    <td>
                      <Badge tone={KIND_TONE[p.kind]}>{label(p.kind)}</Badge>
                    </td>
                    <td class="num nowrap hide-sm">{p.unit_cost ? money(p.unit_cost, p.currency) : <span class="muted">—</span>}</td>
                    <td class="num nowrap">{money(p.unit_price, p.currency)}</td>
                    <td class={`num nowrap ${markupTone(p.markup_bp ?? null)}`} title={p.markup_bp == null ? "No cost recorded" : "(price − cost) / cost"}>
                      {p.markup_bp == null ? "—" : bp(p.markup_bp)}
                    </td>
                    <td class="hide-sm">{p.taxable ? "Taxed" : <span class="muted">Not taxed</span>}</td>
                    {edit && (
                      <td class="right">
                        <button type="button" class="link-btn" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                          Edit
                        </button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div class="table-foot">
            <span>
              {rows.length} shown{cursor ? "" : " · that is all"}
            </span>
            {cursor && (
              <Button size="sm" onClick={loadMore} busy={more}>
                Load more
              </Button>
            )}
          </div>
        </>
      )}
      {editing && (
        <RecordDialog<ProductRec>
          title={editing === "new" ? "New product" : `Edit ${editing.name}`}
          path="/products"
          fields={productFields(currency)}
          record={editing === "new" ? null : editing}
          defaults={{ kind: "equipment", taxable: true }}
          extra={editing === "new" ? { currency } : undefined}
          onClose={() => setEditing(null)}
          onDone={(p) => {
            remember("products", p);
            toast(editing === "new" ? `${p.name} added to the catalog` : "Product saved");
            setEditing(null);
            if (editing === "new") setN((x) => x + 1);
            else setRows((r) => (r ?? []).map((x) => (x.id === p.id ? p : x)));
          }}
        />
      )}
    </div>
  );
}

function WorkTypes({ user }: { user: Me }) {
  const settings = useSettings();
  const list = useLoad(() => listAll<WorkType>("/work-types", { sort: "name" }, 500), []);
  const [editing, setEditing] = useState<WorkType | "new" | null>(null);
  const edit = can("worktypes.edit", user.role);
  const currency = editing && editing !== "new" ? editing.currency : (settings?.currency ?? "USD");
  return (
    <div>
      <div class="filters" role="group" aria-label="Work types">
        <span class="grow small muted">Labour is quoted by work type and hours; time logged on service orders is billed at these rates.</span>
        {edit && (
          <Button variant="primary" onClick={() => setEditing("new")}>
            New work type
          </Button>
        )}
      </div>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.data ? (
        <Loading rows={4} />
      ) : list.data.length === 0 ? (
        <Empty title="No work types yet" icon="◷">
          {edit ? "Add the kinds of labour you sell, with an hourly rate." : "A manager adds the kinds of labour you sell."}
        </Empty>
      ) : (
        <div class="table-wrap">
          <table class="table sales-page-table" aria-label="Work types">
            <thead>
              <tr>
                <th scope="col">Work type</th>
                <th scope="col" class="num">
                  Hourly rate
                </th>
                <th scope="col">Billable</th>
                {edit && (
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {list.data.map((w) => (
                <tr key={w.id}>
                  <td class="cell-title">{w.name}</td>
                  <td class="num nowrap">{money(w.hourly_rate, w.currency)}</td>
                  <td>{w.billable ? "Billable" : <span class="muted">Not billable</span>}</td>
                  {edit && (
                    <td class="right">
                      <button type="button" class="link-btn" onClick={() => setEditing(w)} aria-label={`Edit ${w.name}`}>
                        Edit
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {editing && (
        <RecordDialog<WorkType>
          title={editing === "new" ? "New work type" : `Edit ${editing.name}`}
          path="/work-types"
          fields={workTypeFields(currency)}
          record={editing === "new" ? null : editing}
          defaults={{ billable: true }}
          extra={editing === "new" ? { currency } : undefined}
          wide={false}
          onClose={() => setEditing(null)}
          onDone={(w) => {
            toast(editing === "new" ? `${w.name} added` : "Work type saved");
            setEditing(null);
            list.reload();
            workTypesCache.invalidate();
          }}
        />
      )}
    </div>
  );
}
