/*
 * quality.mjs - the browser tests of the quality dashboard (/quality/dashboard).
 * Fixtures through the API: a client of its own with three service orders
 * worked today (the dashboard is narrowed to that client, so the other
 * scenarios' orders do not count):
 *
 *   - one resolved at once (first contact, SLA met),
 *   - one that waited for the client before it was resolved (met, not
 *     first contact),
 *   - one resolved and reopened (open now, under a day old, medium).
 *
 * Then in the browser: a manager finds Quality in the navigation; the page
 * for that client draws its charts (canvas) and its figures and tables
 * hold the numbers: resolution SLA 100 % (2 of 2), first-contact
 * resolution 50 % (1 of 2), reopen rate 33.33 % (1 of 3 resolutions), one
 * medium order under a day old; the period picker keeps the client. A
 * technician has no Quality link and no page.
 *
 * Screenshot: quality.
 *
 * Two ways to run it:
 *   node tests/quality.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:               import { qualityTests } from "./quality.mjs";
 *                               tests.push(...qualityTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const MANAGER_EMAIL = "quinn.quality@example.com";
const MANAGER_PASSWORD = "Quinn-Quality-Password-42";
const TECH_EMAIL = "theo.quality@example.com";
const TECH_PASSWORD = "Theo-Quality-Password-42";

export function qualityTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const resolve = (t) => api("POST", `/tickets/${t.id}/resolve`, { resolution: "Fixed" }, { "If-Match": "*" });
  const setStatus = async (t, status) => {
    const cur = await api("GET", `/tickets/${t.id}`);
    return api("PATCH", `/tickets/${t.id}`, { status }, { "If-Match": `"${cur.version}"` });
  };
  const clean = (s) => (s ?? "").replace(/\s+/g, " ").trim();

  return [
    {
      name: "quality: a manager's dashboard for one client draws its charts and holds its numbers",
      fn: async () => {
        fx.company = await api("POST", "/companies", { name: "Quillon Optics", kind: "client" });
        // its own terms, whatever the default policy is: round the clock, hours to answer and fix
        const cal = await api("POST", "/calendars", { name: "Quillon 24x7", timezone: "UTC", always_open: true });
        const policy = await api("POST", "/sla-policies", {
          name: "Quillon SLA",
          calendar_id: cal.id,
          targets: ["high", "medium"].map((priority) => ({ priority, response_minutes: 240, resolution_minutes: 960 })),
        });
        await api("POST", "/contracts", { company_id: fx.company.id, name: "Quillon care", kind: "time_materials", starts_on: "2026-01-01", sla_policy_id: policy.id });
        const order = (subject, priority = "medium") => api("POST", "/tickets", { subject, priority, company_id: fx.company.id });
        const first = await order("Label printer offline", "high");
        await resolve(first);
        const waited = await order("New starter laptop");
        await setStatus(waited, "in_progress");
        await setStatus(waited, "waiting_customer");
        await setStatus(waited, "in_progress");
        await resolve(waited);
        const back = await order("Scanner jams again");
        await resolve(back);
        await api("POST", `/tickets/${back.id}/reopen`, { reason: "Still jams" }, { "If-Match": "*" });
        await api("POST", "/users", { email: MANAGER_EMAIL, name: "Quinn Quality", role: "manager", password: MANAGER_PASSWORD });

        const page = await newPage();
        await signIn(page, MANAGER_EMAIL, MANAGER_PASSWORD);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Quality dashboard" }).click();
        await page.getByRole("heading", { name: "Quality dashboard", level: 1 }).waitFor();
        await page.goto(`${server.url}/quality/dashboard?range=3&company_id=${fx.company.id}`);
        const sla = page.locator('figure[aria-label="SLA compliance by month"]');
        await sla.locator("canvas").first().waitFor();
        assert((await page.locator("figure.q-chart canvas").count()) >= 4, "the four charts draw on canvas");

        const stat = async (label) => clean(await page.locator(".stat", { hasText: label }).innerText());
        const res = await stat("Resolution SLA met");
        assert(res.includes("100 %") && res.includes("2 of 2 resolved"), `resolution SLA figure: ${res}`);
        const fcr = await stat("First-contact resolution");
        assert(fcr.includes("50 %") && fcr.includes("1 of 2 resolved"), `first-contact figure: ${fcr}`);
        const reopen = await stat("Reopen rate");
        assert(reopen.includes("33.33 %") && reopen.includes("1 of 3 resolutions"), `reopen figure: ${reopen}`);

        // the table fallbacks hold the numbers the canvases draw
        const month = new Date().toLocaleDateString("en-US", { month: "short", year: "2-digit", timeZone: "UTC" });
        const row = async (figure, head) =>
          clean((await page.locator(`figure[aria-label="${figure}"] .chart-numbers tbody tr`, { has: page.locator("th", { hasText: head }) }).locator("th, td").allTextContents()).join(" "));
        const slaRow = await row("SLA compliance by month", month);
        assert(slaRow === `${month} 100 % 100 %`, `SLA table row: ${slaRow}`);
        const fcrRow = await row("First-contact resolution by month", month);
        assert(fcrRow === `${month} 50 %`, `first-contact table row: ${fcrRow}`);
        const young = await row("Open backlog by age and priority", "Under 1 day");
        assert(young === "Under 1 day 0 0 1 0 1", `backlog row (critical high medium low total): ${young}`);
        const old = await row("Open backlog by age and priority", "30 days or more");
        assert(old === "30 days or more 0 0 0 0 0", `backlog row: ${old}`);
        const n3 = await page.locator(`figure[aria-label="SLA compliance by month"] .chart-numbers tbody tr`).count();
        assert(n3 === 3, `three months in the table: ${n3} ${page.url()}`);

        const client = clean(await page.getByRole("table", { name: "SLA by client" }).locator("tbody tr").innerText());
        assert(client.startsWith("Quillon Optics") && client.includes("100 %"), `client row: ${client}`);
        await shot(page, "quality", { fullPage: true });

        // another period keeps the client
        await page.getByLabel("Period", { exact: true }).selectOption("12");
        await page.waitForURL((u) => u.search.includes("range=12") && u.search.includes(`company_id=${fx.company.id}`));
        await page.locator('figure[aria-label="SLA compliance by month"] .chart-numbers tbody tr').nth(11).waitFor({ state: "attached" });
        assert((await page.locator('figure[aria-label="SLA compliance by month"] .chart-numbers tbody tr').count()) === 12, "twelve months in the table");
        await page.context().close();
      },
    },
    {
      name: "quality: a technician has no Quality page",
      fn: async () => {
        await api("POST", "/users", { email: TECH_EMAIL, name: "Theo Quality", role: "technician", password: TECH_PASSWORD });
        const page = await newPage();
        await signIn(page, TECH_EMAIL, TECH_PASSWORD);
        assert((await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Quality dashboard" }).count()) === 0, "no Quality link");
        await page.goto(server.url + "/quality/dashboard");
        await page.getByText("Page not found").waitFor();
        assert((await page.locator("figure.q-chart").count()) === 0, "no chart for a technician");
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, qualityTests);
