/*
 * QualityRoute.tsx - loads the quality dashboard (pages/QualityDashboard.tsx) when
 * it is first opened: it brings the charting library (uPlot) along, which
 * nobody else's first load needs to download.
 */
import type { FunctionComponent } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ErrorState, Loading } from "../components/ui";

export function QualityRoute() {
  const [page, setPage] = useState<{ Page: FunctionComponent } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let live = true;
    import("./QualityDashboard").then(
      (m) => live && setPage({ Page: m.QualityDashboardPage }),
      () => live && setError("The quality dashboard could not be loaded; check the connection."),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  if (page) return <page.Page />;
  if (error)
    return (
      <ErrorState
        message={error}
        onRetry={() => {
          setError(null);
          setAttempt((n) => n + 1);
        }}
      />
    );
  return <Loading rows={6} />;
}
