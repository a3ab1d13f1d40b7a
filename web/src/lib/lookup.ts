/*
 * lookup.ts - names for ids. Lists show "Acme Ltd", not "company 7": ids
 * seen while rendering are collected for a tick and fetched together with
 * the id filter (GET /companies?id=3,7,9), at most 50 at a time, and kept
 * for the page's life. Small lists (users, work types, SLA policies) are
 * loaded whole once.
 */
import { useEffect, useState } from "preact/hooks";
import { api, listAll } from "./api";
import type { SlaPolicy, User, WorkType } from "./types";

type Kind = "companies" | "contacts" | "sites" | "assets" | "products" | "contracts" | "tickets" | "users" | "quotes";

const cache = new Map<string, unknown>();
const pending = new Map<Kind, Set<number>>();
const waiters = new Map<string, Set<() => void>>();
let scheduled = false;

function key(kind: Kind, id: number): string {
  return kind + ":" + id;
}

export function remember(kind: Kind, rec: { id: number }): void {
  cache.set(key(kind, rec.id), rec);
  waiters.get(key(kind, rec.id))?.forEach((fn) => fn());
}

async function flush(): Promise<void> {
  scheduled = false;
  const batches = [...pending.entries()];
  pending.clear();
  for (const [kind, ids] of batches) {
    const all = [...ids];
    for (let i = 0; i < all.length; i += 50) {
      const chunk = all.slice(i, i + 50);
      try {
        const page = await api.list<{ id: number }>("/" + kind, { id: chunk.join(","), limit: 50, archived: "all" });
        for (const r of page.data) remember(kind, r);
      } catch {
        /* the name stays unknown; the id is shown */
      }
      for (const id of chunk) {
        if (!cache.has(key(kind, id))) cache.set(key(kind, id), null);
        waiters.get(key(kind, id))?.forEach((fn) => fn());
      }
    }
  }
}

function want(kind: Kind, id: number): void {
  if (cache.has(key(kind, id))) return;
  let set = pending.get(kind);
  if (!set) pending.set(kind, (set = new Set()));
  set.add(id);
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, 0);
  }
}

/** The record of kind with id (undefined while loading, null if unknown). */
export function useRecord<T>(kind: Kind, id: number | null | undefined): T | null | undefined {
  const [, tick] = useState(0);
  useEffect(() => {
    if (!id) return;
    const k = key(kind, id);
    let set = waiters.get(k);
    if (!set) waiters.set(k, (set = new Set()));
    const fn = () => tick((n) => n + 1);
    set.add(fn);
    if (cache.has(k)) fn();
    else want(kind, id);
    return () => set!.delete(fn);
  }, [kind, id]);
  if (!id) return null;
  return cache.get(key(kind, id)) as T | null | undefined;
}

/* Whole small lists ---------------------------------------------------------------- */

function shared<T>(load: () => Promise<T[]>) {
  let promise: Promise<T[]> | null = null;
  let value: T[] | null = null;
  const subs = new Set<() => void>();
  const get = () => {
    if (!promise)
      promise = load().then(
        (v) => {
          value = v;
          subs.forEach((fn) => fn());
          return v;
        },
        (e) => {
          promise = null;
          throw e;
        },
      );
    return promise;
  };
  return {
    get,
    invalidate() {
      promise = null;
      void get().catch(() => undefined);
    },
    use(): T[] | null {
      const [, tick] = useState(0);
      useEffect(() => {
        const fn = () => tick((n) => n + 1);
        subs.add(fn);
        void get().catch(() => undefined);
        return () => void subs.delete(fn);
      }, []);
      return value;
    },
  };
}

export const users = shared<User>(() => listAll<User>("/users", { sort: "name" }));
export const workTypes = shared<WorkType>(() => listAll<WorkType>("/work-types", { sort: "name" }));
export const slaPolicies = shared<SlaPolicy>(() => listAll<SlaPolicy>("/sla-policies"));

export function userName(list: User[] | null, id: number | null | undefined): string {
  if (!id) return "Unassigned";
  return list?.find((u) => u.id === id)?.name ?? `User ${id}`;
}
