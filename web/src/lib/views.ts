/*
 * views.ts - saved views of the service order list: a name and the list's
 * query string, kept in this browser's localStorage per user.
 */
export interface SavedView {
  name: string;
  query: string;
}

function key(userId: number): string {
  return `servio.views.${userId}`;
}

export function loadViews(userId: number): SavedView[] {
  try {
    const v = JSON.parse(localStorage.getItem(key(userId)) || "[]");
    return Array.isArray(v) ? v.filter((x) => x && typeof x.name === "string" && typeof x.query === "string") : [];
  } catch {
    return [];
  }
}

export function saveViews(userId: number, views: SavedView[]): void {
  localStorage.setItem(key(userId), JSON.stringify(views));
}
