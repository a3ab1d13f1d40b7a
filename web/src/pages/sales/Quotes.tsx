/*
 * Quotes.tsx - the quotes list: status and company filters, full-text
 * search (number, title, notes), in the URL; cursor paging with "Load
 * more". Superseded revisions are hidden unless asked for.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { MultiSelect } from "../../components/multiselect";
import { CompanyName } from "../../components/names";
import { CompanyPicker } from "../../components/pickers";
import { Button, Empty, ErrorState, LinkButton, Loading, PageHeader, toast } from "../../components/ui";
import { api, errorMessage, type Query } from "../../lib/api";
import { date, money, relative } from "../../lib/format";
import { useDebounced, useTitle } from "../../lib/hooks";
import { navigate, useLocation } from "../../lib/router";
import { can, type Me } from "../../lib/session";
import { QuoteStatusBadge } from "./parts";
import { QUOTE_STATUS_LABELS, QUOTE_STATUSES, type Quote } from "./model";

const PAGE = 25;
const CURRENT = ["draft", "sent", "accepted", "declined", "expired"];

interface Filters {
  status: string[];
  company: number | null;
  opportunity: string;
  q: string;
  sort: string;
}

function readFilters(search: string): Filters {
  const p = new URLSearchParams(search);
  return {
    status: p.has("status") ? (p.get("status") || "").split(",").filter(Boolean) : CURRENT,
    company: p.get("company_id") ? Number(p.get("company_id")) : null,
    opportunity: p.get("opportunity_id") ?? "",
    q: p.get("q") ?? "",
    sort: p.get("sort") ?? "-created_at",
  };
}

function writeFilters(f: Filters): string {
  const p = new URLSearchParams();
  const same = f.status.length === CURRENT.length && CURRENT.every((s) => f.status.includes(s));
  if (!same) p.set("status", f.status.join(","));
  if (f.company) p.set("company_id", String(f.company));
  if (f.opportunity) p.set("opportunity_id", f.opportunity);
  if (f.q) p.set("q", f.q);
  if (f.sort !== "-created_at") p.set("sort", f.sort);
  const s = p.toString().replace(/%2C/g, ",");
  return s ? "?" + s : "";
}

const SORTS = [
  { value: "-created_at", label: "Newest first" },
  { value: "-sent_at", label: "Recently sent" },
  { value: "valid_until", label: "Valid until (soonest)" },
  { value: "-total", label: "Total (high to low)" },
  { value: "-number", label: "Number (high to low)" },
];

export function QuotesPage({ user }: { user: Me }) {
  useTitle("Quotes");
  const loc = useLocation();
  const f = useMemo(() => readFilters(loc.search), [loc.search]);
  const [qText, setQText] = useState(f.q);
  const q = useDebounced(qText, 300);
  const [rows, setRows] = useState<Quote[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [n, setN] = useState(0);

  useEffect(() => setQText(f.q), [f.q]);
  useEffect(() => {
    if (q !== f.q) update({ q });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);

  function update(part: Partial<Filters>) {
    navigate("/quotes" + writeFilters({ ...f, ...part }), { replace: true });
  }

  const query: Query = {
    status: f.status.join(",") || undefined,
    company_id: f.company ?? undefined,
    opportunity_id: f.opportunity || undefined,
    q: f.q.trim() || undefined,
    sort: f.sort,
    limit: PAGE,
  };

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    setError(null);
    api
      .list<Quote>("/quotes", query, ctl.signal)
      .then((p) => {
        setRows(p.data);
        setCursor(p.next_cursor);
        setLoading(false);
      })
      .catch((e) => {
        if ((e as Error).name === "AbortError") return;
        setError(errorMessage(e));
        setLoading(false);
      });
    return () => ctl.abort();
  }, [loc.search, n]);

  async function loadMore() {
    setMore(true);
    try {
      const p = await api.list<Quote>("/quotes", { ...query, cursor });
      setRows((r) => [...r, ...p.data]);
      setCursor(p.next_cursor);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setMore(false);
    }
  }

  const filtered = !!(f.company || f.opportunity || f.q) || writeFilters(f).includes("status=");
  const chips = [
    { label: "Current", status: CURRENT },
    { label: "Drafts", status: ["draft"] },
    { label: "Sent", status: ["sent"] },
    { label: "Accepted", status: ["accepted"] },
    { label: "All", status: [] as string[] },
  ];
  const isChip = (s: string[]) => s.length === f.status.length && s.every((x) => f.status.includes(x));

  return (
    <div>
      <PageHeader
        title="Quotes"
        subtitle="Offers for equipment and labour, with their terms."
        actions={
          can("quotes.edit", user.role) && (
            <LinkButton href="/quotes/new" variant="primary">
              New quote
            </LinkButton>
          )
        }
      />
      <div class="list-toolbar">
        <div class="chips" role="group" aria-label="Status">
          {chips.map((c) => (
            <button key={c.label} type="button" class={`chip ${isChip(c.status) ? "is-active" : ""}`} aria-pressed={isChip(c.status)} onClick={() => update({ status: c.status })}>
              {c.label}
            </button>
          ))}
        </div>
        <div class="filter-select sort-select">
          <label for="quote-sort" class="sr-only">
            Sort
          </label>
          <select id="quote-sort" class="input select filter-input" value={f.sort} onChange={(e) => update({ sort: (e.currentTarget as HTMLSelectElement).value })}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <section class="card list-card">
        <div class="filters" role="group" aria-label="Filters">
          <div class="filter-search">
            <label for="quote-q" class="sr-only">
              Search quotes
            </label>
            <input id="quote-q" type="search" class="input" placeholder="Search number, title, notes…" value={qText} onInput={(e) => setQText((e.currentTarget as HTMLInputElement).value)} />
          </div>
          <MultiSelect label="Status" options={QUOTE_STATUSES.map((s) => ({ value: s, label: QUOTE_STATUS_LABELS[s] }))} value={f.status} onValue={(v) => update({ status: v })} allLabel="Any status" />
          <div class="filter-company">
            <CompanyPicker label="Company" hideLabel value={f.company} onValue={(id) => update({ company: id })} placeholder="Any company" />
          </div>
          {f.opportunity && (
            <span class="chip is-active">
              Opportunity #{f.opportunity}
              <button type="button" class="chip-x" aria-label="Clear the opportunity filter" onClick={() => update({ opportunity: "" })}>
                ✕
              </button>
            </span>
          )}
        </div>
        {error ? (
          <ErrorState message={error} onRetry={() => setN((x) => x + 1)} />
        ) : loading ? (
          <Loading rows={6} label="Loading quotes…" />
        ) : rows.length === 0 ? (
          <Empty
            title={filtered ? "No quotes match" : "No quotes yet"}
            icon="❏"
            action={!filtered && can("quotes.edit", user.role) ? <LinkButton href="/quotes/new" variant="primary">New quote</LinkButton> : undefined}
          >
            {filtered ? "Try other words or another status." : "Build a quote from the catalog and send the client a link to accept it."}
          </Empty>
        ) : (
          <>
            <div class="table-wrap">
              <table class="table quotes-table" aria-label="Quotes">
                <thead>
                  <tr>
                    <th scope="col">Quote</th>
                    <th scope="col">Company</th>
                    <th scope="col">Status</th>
                    <th scope="col" class="num">
                      Total
                    </th>
                    <th scope="col" class="hide-sm">
                      Valid until
                    </th>
                    <th scope="col" class="hide-sm">
                      Updated
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((x) => (
                    <tr key={x.id} class="clickable" onClick={(e) => { if (!(e.target as HTMLElement).closest("a")) navigate(`/quotes/${x.id}`); }}>
                      <td>
                        <a href={`/quotes/${x.id}`} class="cell-title">
                          <span class="ticket-no">
                            {x.number}
                            {(x.revision ?? 1) > 1 ? ` r${x.revision}` : ""}
                          </span>{" "}
                          {x.title}
                        </a>
                      </td>
                      <td data-label="Company">
                        <CompanyName id={x.company_id} />
                      </td>
                      <td data-label="Status">
                        <QuoteStatusBadge status={x.status} />
                      </td>
                      <td class="num nowrap" data-label="Total">
                        {money(x.total, x.currency)}
                      </td>
                      <td class="hide-sm nowrap">{date(x.valid_until)}</td>
                      <td class="hide-sm nowrap muted">{relative(x.updated_at)}</td>
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
      </section>
    </div>
  );
}
