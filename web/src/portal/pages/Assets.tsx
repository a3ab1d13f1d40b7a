/*
 * Assets.tsx - the company's equipment we look after: name, kind, make and
 * model, serial number, site and warranty; a search over them; from each,
 * a ticket about it.
 */
import { useState } from "preact/hooks";
import { Empty, ErrorState, ListFoot, Loading } from "../../components/ui";
import { date, label } from "../../lib/format";
import { useDebounced, useLoad, usePaged } from "../../lib/hooks";
import { papi } from "../api";
import type { PortalAsset, PortalSite } from "../types";
import { PageHead, usePortalTitle } from "../ui";

export function AssetsPage() {
  usePortalTitle("Assets");
  const [q, setQ] = useState("");
  const words = useDebounced(q.trim(), 300);
  const list = usePaged<PortalAsset>("/portal/assets", { q: words }, [words], 50);
  const sites = useLoad((signal) => papi.list<PortalSite>("/sites", { limit: 200 }, signal).then((r) => r.data), []);
  const siteName = (id: number | null) => (id ? sites.data?.find((s) => s.id === id)?.name : undefined);
  const today = new Date().toISOString().slice(0, 10);
  return (
    <>
      <PageHead title="Assets" />
      <div class="portal-filters">
        <label class="sr-only" for="asset-search">
          Search assets
        </label>
        <input id="asset-search" class="input" type="search" placeholder="Search by name, model or serial number" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
      </div>
      {list.error ? (
        <ErrorState message={list.error} onRetry={list.reload} />
      ) : !list.rows ? (
        <Loading rows={4} label="Loading the assets…" />
      ) : list.rows.length === 0 ? (
        <Empty title={words ? "No asset matches" : "No assets"} icon="○" />
      ) : (
        <>
          <ul class="portal-cards" aria-label="Assets">
            {list.rows.map((a) => (
              <li key={a.id} class="portal-card">
                <span class="portal-card-top">
                  <span class="portal-card-title">{a.name}</span>
                  <span class="muted small">{label(a.kind)}</span>
                </span>
                <span class="portal-card-meta">
                  {[a.manufacturer, a.model].filter(Boolean).join(" ")}
                  {a.serial_number ? ` · S/N ${a.serial_number}` : ""}
                  {siteName(a.site_id) ? ` · ${siteName(a.site_id)}` : ""}
                </span>
                {a.warranty_expires_on && (
                  <span class="portal-card-meta">
                    {a.warranty_expires_on >= today ? "Under warranty until " : "Warranty ended "}
                    {date(a.warranty_expires_on)}
                  </span>
                )}
              </li>
            ))}
          </ul>
          <ListFoot count={list.rows.length} hasMore={list.hasMore} busy={list.more} onMore={list.loadMore} />
        </>
      )}
    </>
  );
}
