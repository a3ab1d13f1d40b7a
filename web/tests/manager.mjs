/*
 * manager.mjs - the browser tests of the manager's day (issue 16 points 4
 * and 6). Fixtures through the API: a manager, a technician with time
 * logged now, a client of its own whose open orders have known SLA due
 * times under its own contract's policy, a technician-only certification
 * on one of them, a checklist template for installations, and companies
 * with one, two and no active contracts. Then in the browser:
 *
 *   - dashboard: the manager's figures say "Team" (and equal GET
 *     /dashboard), the personal ones "Mine"; three charts draw (canvas) and
 *     the hours chart's numbers name the technician with 1 h 30 min; the
 *     technician's dashboard is all "Mine", their own hours only;
 *   - order list: sorted by SLA urgency by default (the sort picker says
 *     so; the soonest due first, the order without an SLA after them);
 *     ticking every row of the page and assigning them to the technician
 *     is refused as a whole when one lacks a certification (the order and
 *     the reason are listed, nothing changes), and done once it is unticked;
 *   - new order: the only active contract is preselected and can be
 *     changed; with two the form asks and will not create until one is
 *     chosen; with none it says time & materials;
 *   - a checklist template of another kind applied to an incident adds its
 *     items.
 *
 * Screenshots (desktop and phone): manager-dashboard, manager-dashboard-mine,
 * manager-orders, manager-new-order.
 *
 * Two ways to run it:
 *   node tests/manager.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:               import { managerTests } from "./manager.mjs";
 *                               tests.push(...managerTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const MANAGER_EMAIL = "mona.manager@example.com";
const MANAGER_PASSWORD = "Mona-Manager-Password-42";
const TECH_EMAIL = "teo.hours@example.com";
const TECH_PASSWORD = "Teo-Hours-Password-42";
const PHONE = { width: 390, height: 844 };

export function managerTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const clean = (s) => (s ?? "").replace(/\s+/g, " ").trim();
  /* a chart's numbers (its table, folded away under "The numbers"): "cell | cell" per body row */
  const numbers = (figure) => figure.locator("table.table tbody tr").evaluateAll((rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim()).join(" | ")));

  async function fixtures() {
    fx.manager = await api("POST", "/users", { email: MANAGER_EMAIL, name: "Mona Manager", role: "manager", password: MANAGER_PASSWORD });
    fx.tech = await api("POST", "/users", { email: TECH_EMAIL, name: "Teo Hours", role: "technician", password: TECH_PASSWORD });
    // logged now, so it is this week whatever day the test runs
    await api("POST", "/time-entries", { user_id: fx.tech.id, kind: "admin", started_at: new Date().toISOString().slice(0, 19) + "Z", minutes: 90 });
    fx.company = await api("POST", "/companies", { name: "Urgent Umbrellas", kind: "client" });
    const cal = await api("POST", "/calendars", { name: "Umbrellas 24x7", timezone: "UTC", always_open: true });
    const policy = await api("POST", "/sla-policies", {
      name: "Umbrellas SLA",
      calendar_id: cal.id,
      targets: [
        { priority: "high", response_minutes: 60, resolution_minutes: 600 },
        { priority: "medium", response_minutes: 240, resolution_minutes: 1200 },
      ],
    });
    fx.contract = await api("POST", "/contracts", { company_id: fx.company.id, name: "Umbrellas care", kind: "time_materials", status: "active", starts_on: "2026-01-01", sla_policy_id: policy.id });
    const order = (subject, priority, extra = {}) => api("POST", "/tickets", { subject, priority, company_id: fx.company.id, ...extra });
    // made in this order: newest first would show them backwards
    fx.noSla = await order("Umbrella stand wobbles", "low");
    fx.medium = await order("Canopy printer offline", "medium", { required_certifications: ["Canopy safety"] });
    fx.high = await order("Storefront till down", "high");
    fx.template = await api("POST", "/checklist-templates", { name: "Install handover", ticket_kind: "installation", items: [{ label: "Customer signs off", required: true }, { label: "Photos of the rack" }] });
    fx.one = await api("POST", "/companies", { name: "Olive One Ltd", kind: "client" });
    fx.oneContract = await api("POST", "/contracts", { company_id: fx.one.id, name: "Olive care", kind: "managed", status: "active", starts_on: "2026-01-01", monthly_fee: 10000 });
    fx.two = await api("POST", "/companies", { name: "Twin Peaks Co", kind: "client" });
    fx.twoA = await api("POST", "/contracts", { company_id: fx.two.id, name: "Twin hours", kind: "time_materials", status: "active", starts_on: "2026-01-01" });
    fx.twoB = await api("POST", "/contracts", { company_id: fx.two.id, name: "Twin support", kind: "time_materials", status: "active", starts_on: "2026-01-01" });
    fx.none = await api("POST", "/companies", { name: "Bare Boards Co", kind: "client" });
  }

  async function pickCompany(form, page, name) {
    const change = form.getByRole("button", { name: "Change client company" });
    if (await change.count()) await change.click();
    await form.getByRole("combobox", { name: "Client company" }).fill(name.split(" ")[0]);
    await page.getByRole("option", { name: new RegExp(name) }).click();
  }

  return [
    {
      name: "manager: the dashboard shows the team's figures and charts, and says which are mine",
      fn: async () => {
        await fixtures();
        const page = await newPage();
        fx.page = page;
        await signIn(page, MANAGER_EMAIL, MANAGER_PASSWORD);
        const charts = page.locator('section[aria-label="Team: charts"]');
        await charts.waitFor();
        await charts.locator("canvas").nth(2).waitFor();
        assert((await charts.locator("figure.chart canvas").count()) === 3, "three charts draw on canvas");
        for (const title of ["Team backlog by age", "Team SLA met, last 30 days", "Hours per technician this week"])
          await charts.getByRole("heading", { name: title }).waitFor();
        const figures = await api("GET", "/dashboard");
        assert(figures.scope === "team", "the admin's figures are the team's");
        const stat = (label, scope) => page.locator(".stat").filter({ has: page.locator(".stat-label", { hasText: new RegExp(`^${label}$`) }) }).filter({ has: page.locator(".stat-scope", { hasText: scope }) });
        const open = stat("Open service orders", "Team");
        const value = clean(await open.locator(".stat-value").textContent());
        assert(value === String(figures.open), `the team's open orders, as the API counts them: ${value} (${figures.open})`);
        await stat("Unassigned", "Team").waitFor();
        await stat("Breached", "Team").waitFor();
        await stat("My open service orders", "Mine").waitFor();
        await stat("Appointments today", "Mine").waitFor();
        const hours = await numbers(charts.locator('figure[aria-label="Hours logged per technician this week"]'));
        assert(hours.includes("Teo Hours | 1 h 30 min"), "the technician's 90 minutes this week: " + hours.join("; "));
        const backlog = await numbers(charts.locator('figure[aria-label="Team open service orders by age"]'));
        const young = figures.backlog_by_age.buckets[0];
        assert(backlog[0] === `Under 1 day | ${young.critical} | ${young.high} | ${young.medium} | ${young.low} | ${young.total}`, "the backlog's youngest bucket, as the API counts it: " + backlog[0]);
        const sla = await numbers(charts.locator('figure[aria-label="Team service orders resolved within their SLA, per day"]'));
        assert(sla.length === 30, "thirty days of SLA: " + sla.length);
        await shot(page, "manager-dashboard-desktop");
        const phone = await newPage(PHONE);
        await signIn(phone, MANAGER_EMAIL, MANAGER_PASSWORD);
        await phone.locator('section[aria-label="Team: charts"] canvas').nth(2).waitFor();
        await shot(phone, "manager-dashboard-phone", { fullPage: true });
        await phone.context().close();
      },
    },
    {
      name: "manager: a technician's dashboard is theirs alone, and says Mine",
      fn: async () => {
        const page = await newPage();
        await signIn(page, TECH_EMAIL, TECH_PASSWORD);
        const charts = page.locator('section[aria-label="Mine: charts"]');
        await charts.locator("canvas").nth(2).waitFor();
        await charts.getByRole("heading", { name: "My backlog by age" }).waitFor();
        await charts.getByRole("heading", { name: "My hours this week" }).waitFor();
        assert((await page.locator(".stat-scope-team").count()) === 0, "no team figure for a technician");
        assert((await page.locator(".stat-scope-mine").count()) >= 3, "every figure says Mine");
        const hours = await numbers(charts.locator('figure[aria-label="Hours I logged this week"]'));
        assert(JSON.stringify(hours) === JSON.stringify(["Teo Hours | 1 h 30 min"]), "only the technician's own hours: " + hours.join("; "));
        await shot(page, "manager-dashboard-mine-desktop");
        const phone = await newPage(PHONE);
        await signIn(phone, TECH_EMAIL, TECH_PASSWORD);
        await phone.locator('section[aria-label="Mine: charts"] canvas').nth(2).waitFor();
        await shot(phone, "manager-dashboard-mine-phone", { fullPage: true });
        await phone.context().close();
        await page.context().close();
      },
    },
    {
      name: "manager: the order list is by SLA urgency, and assigns ticked orders all or nothing",
      fn: async () => {
        const page = fx.page;
        await page.goto(`${server.url}/tickets?company_id=${fx.company.id}`);
        const table = page.getByRole("table", { name: "Service orders" });
        await table.getByText(fx.noSla.subject).waitFor();
        const sort = page.locator("#f-sort");
        assert((await sort.inputValue()) === "sla_urgency", "the default sort is SLA urgency");
        assert(clean(await sort.locator("option:checked").innerText()) === "SLA urgency (breached first)", "the picker says so");
        const subjects = async () => (await table.locator("tbody .cell-title a").allInnerTexts()).map(clean);
        const order = await subjects();
        assert(JSON.stringify(order) === JSON.stringify([fx.high.subject, fx.medium.subject, fx.noSla.subject]), "soonest due first, no SLA last: " + order.join(" | "));
        await shot(page, "manager-orders-desktop");

        // everything on the page to the technician: the certified order holds it back
        await table.getByRole("checkbox", { name: "Select every service order on this page" }).check();
        const bar = page.getByRole("region", { name: "Bulk assignment" });
        await bar.getByText("3 selected").waitFor();
        await bar.getByLabel("Assign to").selectOption({ label: "Teo Hours" });
        await bar.getByRole("button", { name: "Assign" }).click();
        const refusal = bar.locator(".alert", { hasText: "Nothing was assigned" });
        await refusal.waitFor();
        const why = clean(await refusal.innerText());
        assert(why.includes(fx.medium.number) && why.includes("Canopy safety"), "the order and the reason: " + why);
        for (const t of [fx.high, fx.noSla]) assert((await api("GET", `/tickets/${t.id}`)).assignee_id === null, `${t.number} was not assigned`);

        await table.getByRole("checkbox", { name: `Select ${fx.medium.number}` }).uncheck();
        await bar.getByText("2 selected").waitFor();
        await bar.getByRole("button", { name: "Assign" }).click();
        await page.getByText("2 service orders assigned to Teo Hours").waitFor();
        await table.getByText(fx.noSla.subject).waitFor();
        for (const t of [fx.high, fx.noSla]) {
          const now = await api("GET", `/tickets/${t.id}`);
          assert(now.assignee_id === fx.tech.id && now.status === "assigned", `${t.number} is the technician's now`);
        }
        assert((await api("GET", `/tickets/${fx.medium.id}`)).assignee_id === null, "the unticked order was left alone");

        const phone = await newPage(PHONE);
        await signIn(phone, MANAGER_EMAIL, MANAGER_PASSWORD);
        await phone.goto(`${server.url}/tickets?company_id=${fx.company.id}`);
        await phone.getByRole("table", { name: "Service orders" }).getByText(fx.noSla.subject).waitFor();
        await phone.getByRole("checkbox", { name: `Select ${fx.medium.number}` }).check();
        await phone.getByRole("region", { name: "Bulk assignment" }).waitFor();
        await shot(phone, "manager-orders-phone", { fullPage: true });
        await phone.context().close();
      },
    },
    {
      name: "manager: a new order preselects the only active contract and asks when there are several",
      fn: async () => {
        const page = fx.page;
        await page.goto(`${server.url}/tickets/new`);
        const form = page.getByRole("form", { name: "New service order" });
        const contract = form.getByLabel("Contract");

        await pickCompany(form, page, "Olive One Ltd");
        await form.getByText("Preselected: the company’s only active contract").waitFor();
        assert((await contract.inputValue()) === String(fx.oneContract.id), "the only contract is chosen");
        assert(!(await contract.isDisabled()), "and can be changed");
        await shot(page, "manager-new-order-desktop");

        await pickCompany(form, page, "Twin Peaks Co");
        await form.getByText("The company has 2 active contracts").waitFor();
        assert((await contract.inputValue()) === "", "nobody guesses between two");
        await form.getByLabel("Subject").fill("Twin printer jams");
        await form.getByRole("button", { name: "Create service order" }).click();
        await form.getByText("Choose a contract: the company has 2 active ones").waitFor();
        assert(new URL(page.url()).pathname === "/tickets/new", "not created without a choice");
        await contract.selectOption({ label: "Twin support (time & materials)" });
        await form.getByRole("button", { name: "Create service order" }).click();
        await page.getByRole("heading", { name: "Twin printer jams" }).waitFor();
        const made = await api("GET", `/tickets/${page.url().split("/").pop()}`);
        assert(made.contract_id === fx.twoB.id, "created under the contract chosen");

        await page.goto(`${server.url}/tickets/new`);
        await pickCompany(form, page, "Bare Boards Co");
        await form.getByText("The company has no active contract: the work is billed as time & materials").waitFor();

        // the only contract, deliberately left out
        await pickCompany(form, page, "Olive One Ltd");
        await form.getByText("Preselected: the company’s only active contract").waitFor();
        await contract.selectOption({ label: "No contract (time & materials)" });
        await form.getByLabel("Subject").fill("Olive one-off visit");
        await form.getByRole("button", { name: "Create service order" }).click();
        await page.getByRole("heading", { name: "Olive one-off visit" }).waitFor();
        const plain = await api("GET", `/tickets/${page.url().split("/").pop()}`);
        assert(plain.contract_id === null, "no contract when the user says so");

        const phone = await newPage(PHONE);
        await signIn(phone, MANAGER_EMAIL, MANAGER_PASSWORD);
        await phone.goto(`${server.url}/tickets/new`);
        const pform = phone.getByRole("form", { name: "New service order" });
        await pickCompany(pform, phone, "Twin Peaks Co");
        await pform.getByText("The company has 2 active contracts").waitFor();
        await shot(phone, "manager-new-order-phone", { fullPage: true });
        await phone.context().close();
      },
    },
    {
      name: "manager: a checklist template of any kind is applied to an order",
      fn: async () => {
        const page = fx.page;
        const t = await api("POST", "/tickets", { subject: "Rack cabling incident", kind: "incident", company_id: fx.none.id });
        await api("POST", `/tickets/${t.id}/checklist`, { label: "Photos of the rack" });
        await page.goto(`${server.url}/tickets/${t.id}`);
        const card = page.locator("#checklist");
        await card.getByText("Photos of the rack").waitFor();
        await card.getByRole("button", { name: "Apply template…" }).click();
        const form = card.getByRole("form", { name: "Apply a checklist template" });
        await form.getByLabel("Checklist template").selectOption({ label: "Install handover (Installation, 2 items)" });
        await form.getByRole("button", { name: "Apply" }).click();
        await card.getByText("Customer signs off").waitFor();
        await page.getByText("1 item added from “Install handover”; 1 already on the checklist").waitFor();
        const items = (await api("GET", `/tickets/${t.id}/checklist?sort=position`)).data;
        assert(JSON.stringify(items.map((i) => i.label)) === JSON.stringify(["Photos of the rack", "Customer signs off"]), "the new item after the old: " + items.map((i) => i.label));
        assert(items[1].required && items[1].template_id === fx.template.id, "required, from the template");
      },
    },
  ];
}

await runAlone(import.meta.url, managerTests);
