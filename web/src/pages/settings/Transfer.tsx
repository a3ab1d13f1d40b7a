/*
 * Transfer.tsx - Settings → Import and export (admins and managers): the
 * firm's companies, contacts, sites, assets and products in and out as CSV.
 *
 * An import is checked first (a dry run): the page shows how each column
 * was read, lets a column be given another field or left out, and lists
 * every problem with its line. Only a file without problems can be
 * imported, and then it is written whole (nothing is written otherwise).
 * An export downloads the records as a file that imports back as updates.
 */
import { useState } from "preact/hooks";
import { Alert, Badge, Button, Card, SelectField, toast } from "../../components/ui";
import { api, ApiError, errorMessage } from "../../lib/api";

const KINDS = [
  { value: "companies", label: "Companies" },
  { value: "contacts", label: "Contacts" },
  { value: "sites", label: "Sites" },
  { value: "assets", label: "Assets" },
  { value: "products", label: "Products" },
];

const HINTS: Record<string, string> = {
  companies: "A name is required; kind is client, prospect, partner or vendor (client if left empty).",
  contacts: "First name, last name and the company (its name in a \"company\" column, or company_id).",
  sites: "The company and the site's name; address columns as you have them.",
  assets: "The company, a name and a kind (workstation, server, printer, network, phone, other); a \"site\" column names a site of that company.",
  products: "SKU, name, kind (equipment, software, service) and unit_price, in your currency with its decimals (12.50).",
};

interface Column {
  header: string;
  field?: string;
}
interface LineProblem {
  line: number;
  field?: string;
  message: string;
}
interface Report {
  kind: string;
  dry_run: boolean;
  rows: number;
  created: number;
  updated: number;
  columns: Column[];
  problems: LineProblem[];
}

export function TransferSection() {
  const [kind, setKind] = useState("companies");
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [report, setReport] = useState<Report | null>(null);
  const [problems, setProblems] = useState<LineProblem[] | null>(null);
  const [busy, setBusy] = useState<"check" | "import" | null>(null);
  const [error, setError] = useState<string | null>(null);

  function reset(keepFile = false) {
    setReport(null);
    setProblems(null);
    setError(null);
    setMapping({});
    if (!keepFile) setFile(null);
  }

  /** The import's address: dry_run, and one map=HEADER=FIELD per column given another field. */
  function path(dryRun: boolean): string {
    const params = new URLSearchParams({ dry_run: String(dryRun) });
    for (const [header, field] of Object.entries(mapping)) if (field) params.append("map", `${header}=${field}`);
    return `/imports/${kind}?${params.toString()}`;
  }

  async function run(dryRun: boolean) {
    if (!file) return;
    setBusy(dryRun ? "check" : "import");
    setError(null);
    try {
      const r = await api.sendCsv<Report>(path(dryRun), file);
      setReport(r);
      setProblems([]);
      if (!dryRun) {
        toast(`${r.created} created, ${r.updated} updated`);
      }
    } catch (e) {
      if (e instanceof ApiError && e.status === 422) {
        setProblems((e.problem.errors ?? []) as unknown as LineProblem[]);
        setReport(null);
      } else {
        setError(errorMessage(e));
      }
    } finally {
      setBusy(null);
    }
  }

  const headerProblems = (problems ?? []).filter((p) => p.line <= 1);
  const unknownHeaders = headerProblems.map((p) => /column "(.*)" matches no field/.exec(p.message)?.[1]).filter((h): h is string => !!h);

  return (
    <div class="stack">
      <Card title="Import from CSV">
        <p class="muted small">Save the sheet as CSV (UTF-8) from your spreadsheet; commas, semicolons and tabs are all understood. The first line names the columns. The file is checked first, and nothing is written unless every row is right.</p>
        <div class="form-grid">
          <SelectField
            label="What the file holds"
            value={kind}
            onValue={(v) => {
              setKind(v);
              reset(true);
            }}
            options={KINDS}
            hint={HINTS[kind]}
          />
          <label class="field">
            <span class="field-label">CSV file</span>
            <input
              type="file"
              accept=".csv,text/csv,text/plain"
              aria-label="CSV file"
              onChange={(e) => {
                const f = (e.currentTarget as HTMLInputElement).files?.[0] ?? null;
                reset();
                setFile(f);
              }}
            />
          </label>
        </div>
        {unknownHeaders.length > 0 && (
          <div class="stack" role="group" aria-label="Columns to map">
            <p class="small">These columns match no field. Leave them out, or rename them in the file.</p>
            {unknownHeaders.map((h) => (
              <label key={h} class="row">
                <input type="checkbox" checked={mapping[h] === "-"} onChange={(e) => setMapping({ ...mapping, [h]: (e.currentTarget as HTMLInputElement).checked ? "-" : "" })} />
                <span>
                  Leave out <strong>{h}</strong>
                </span>
              </label>
            ))}
          </div>
        )}
        <div class="row">
          <Button variant="secondary" disabled={!file} busy={busy === "check"} onClick={() => run(true)}>
            Check the file
          </Button>
          <Button variant="primary" disabled={!file || !report || !report.dry_run || (problems?.length ?? 0) > 0} busy={busy === "import"} onClick={() => run(false)}>
            Import {report?.dry_run ? `${report.rows} rows` : ""}
          </Button>
        </div>
        {error && <Alert>{error}</Alert>}
        {problems && problems.length > 0 && (
          <Alert title={`${problems.length} problem${problems.length === 1 ? "" : "s"}: nothing was written`}>
            <table class="table" aria-label="Problems">
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Field</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {problems.map((p, i) => (
                  <tr key={i}>
                    <td>{p.line || "—"}</td>
                    <td>{p.field ?? "—"}</td>
                    <td>{p.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Alert>
        )}
        {report && (
          <div class="stack" aria-label="Check result">
            {report.dry_run ? (
              <Alert tone="success" title={`${report.rows} rows are right`}>
                Nothing is written yet: press Import to add them.
              </Alert>
            ) : (
              <Alert tone="success" title="Imported">
                {report.created} created, {report.updated} updated.
              </Alert>
            )}
            <table class="table" aria-label="Columns">
              <thead>
                <tr>
                  <th scope="col">Column in the file</th>
                  <th scope="col">Read as</th>
                </tr>
              </thead>
              <tbody>
                {report.columns.map((c) => (
                  <tr key={c.header}>
                    <td>{c.header || <span class="muted">(empty)</span>}</td>
                    <td>{c.field ? <Badge tone="blue">{c.field}</Badge> : <span class="muted">left out</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="Export to CSV">
        <p class="muted small">Every record as a CSV file for a spreadsheet. Edited and imported back, rows with an id update their record.</p>
        <div class="row">
          {KINDS.map((k) => (
            <a key={k.value} class="btn btn-secondary btn-sm" href={`/api/v1/exports/${k.value}`} download>
              {k.label}
            </a>
          ))}
        </div>
      </Card>
    </div>
  );
}
