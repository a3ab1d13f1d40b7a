/*
 * billing.mjs - the browser tests of getting paid: a full month driven
 * through the UI. Fixtures through the API: two clients, one with a time &
 * materials and a managed services contract (a covered work type, a rate
 * override, an addition per workstation), tickets under each, and a week
 * of last month's time under every kind of contract (work, and travel
 * that never bills) by one technician; the other client with a little
 * time and materials. (The browser tests run the release binary, with no
 * test clock: last month is the month before today.) Then in the browser:
 *
 *   - a block-hours contract made in the contract dialog (an API field
 *     error beside its field first), its page with the block as a bar and
 *     the entries that drew it;
 *   - a manager approves the technician's week in the timesheet view and
 *     takes one approval back;
 *   - the billing clerk previews last month's run - the lines grouped by
 *     client with the server's explanations - and creates the drafts;
 *   - adds a manual line to the draft, issues it, records a partial
 *     payment (an overpayment refused beside the amount), then the rest:
 *     paid; the PDF is served;
 *   - exports the month's invoices for QuickBooks Online and Xero and the
 *     downloaded CSV parses;
 *   - the AR ageing (today, and 45 days after the other invoice is due),
 *     the billing reports with their numbers matching the API's;
 *   - after the run the timesheet shows invoiced time locked; the block
 *     contract is renewed;
 *   - the new screens on a phone do not scroll sideways.
 *
 * Screenshots: billing-contract-dialog, billing-contract, billing-timesheet,
 * billing-run-preview, billing-run-made, billing-invoice-draft,
 * billing-invoice-issued, billing-invoice-paid, billing-invoices,
 * billing-ageing, billing-reports, billing-timesheet-invoiced and
 * billing-phone-* (run, invoice, ageing, reports, timesheet, contract).
 *
 * Two ways to run it:
 *   node tests/billing.mjs            on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                     import { billingTests } from "./billing.mjs";
 *                                     tests.push(...billingTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

/** "$1,234.50" for minor units, as the UI formats USD in en-US. */
function usd(minor) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(minor / 100);
}

const p2 = (n) => String(n).padStart(2, "0");
const ymdUTC = (d) => `${d.getUTCFullYear()}-${p2(d.getUTCMonth() + 1)}-${p2(d.getUTCDate())}`;
function addDays(date, n) {
  const [y, m, d] = date.split("-").map(Number);
  return ymdUTC(new Date(Date.UTC(y, m - 1, d + n)));
}

/** Last month as the UI computes it (the browser runs in UTC here). */
function lastMonth() {
  const now = new Date();
  return { from: ymdUTC(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1))), to: ymdUTC(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0))) };
}

/** A small CSV reader (quoted fields, doubled quotes): enough to check an export parses. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let f = "";
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ",") {
      row.push(f);
      f = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(f);
      rows.push(row);
      row = [];
      f = "";
    } else f += c;
  }
  if (f || row.length) {
    row.push(f);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1 || r[0] !== "");
}

export function billingTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  let page;

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  /** The whole page in a window as tall as it (a full-page picture would repeat the fixed bars). */
  async function tallShot(p, name) {
    const vp = p.viewportSize();
    const h = await p.evaluate(() => document.documentElement.scrollHeight);
    await p.setViewportSize({ width: vp.width, height: Math.min(4000, Math.max(vp.height, h)) });
    await shot(p, name);
    await p.setViewportSize(vp);
  }
  const text = ctx.text ?? (async (loc) => (await loc.innerText()).replace(/\s+/g, " ").trim());
  const api = (m, p, b, h) => server.api(m, p, b, h);

  /** POST an action with the record's version, as a client must. */
  async function act(path, body = {}) {
    const rec = await api("GET", path.replace(/\/[a-z-]+$/, ""));
    return api("POST", path, body, { "If-Match": `"${rec.version}"` });
  }

  async function fixtures() {
    if (fx.ready) return;
    fx.period = lastMonth();
    // the week of the 10th of last month, Monday to Friday: all in last month
    const tenth = addDays(fx.period.from, 9);
    const [y, m, d] = tenth.split("-").map(Number);
    fx.monday = addDays(tenth, -((new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7));
    const at = (day, hh = 14) => `${addDays(fx.monday, day)}T${p2(hh)}:00:00Z`;

    const settings = await api("GET", "/settings");
    await api("PATCH", "/settings", { tax_rate_bp: 825, labor_taxable: false, billing_increment_minutes: 15, minimum_minutes: 0, payment_terms_days: 30, time_approval: false }, { "If-Match": `"${settings.version}"` });
    fx.helpdesk = await api("POST", "/work-types", { name: "Remote helpdesk", hourly_rate: 12000 });
    fx.repair = await api("POST", "/work-types", { name: "Field repair", hourly_rate: 15000 });
    fx.tech = await api("POST", "/users", { email: "omar.billing-ui@example.com", name: "Omar Haddad", role: "technician", password: "Omar-Tech-Password-2026!" });
    const t = await api("GET", `/users/${fx.tech.id}`);
    await api("PATCH", `/users/${fx.tech.id}`, { cost_rate: 4500 }, { "If-Match": `"${t.version}"` });
    fx.clerk = { email: "lena.billing-ui@example.com", password: "Lena-Billing-Password-2026!" };
    await api("POST", "/users", { email: fx.clerk.email, name: "Lena Park", role: "billing", password: fx.clerk.password });
    fx.manager = { email: "mia.billing-ui@example.com", password: "Mia-Manager-Password-2026!" };
    await api("POST", "/users", { email: fx.manager.email, name: "Mia Chen", role: "manager", password: fx.manager.password });

    fx.cedar = await api("POST", "/companies", { name: "Cedar Ridge Veterinary", kind: "client" });
    for (const n of ["CR-PC-01", "CR-PC-02"]) await api("POST", "/assets", { company_id: fx.cedar.id, name: n, kind: "workstation" });
    fx.tm = await api("POST", "/contracts", {
      company_id: fx.cedar.id, name: "Break-fix", kind: "time_materials", starts_on: fx.period.from,
      rates: [{ work_type_id: fx.repair.id, hourly_rate: 14000 }],
    });
    fx.managed = await api("POST", "/contracts", {
      company_id: fx.cedar.id, name: "Managed IT", kind: "managed", starts_on: fx.period.from, monthly_fee: 250000,
      covered_work_type_ids: [fx.helpdesk.id],
      additions: [{ description: "Endpoint protection", unit_price: 800, asset_kind: "workstation" }],
    });
    fx.pine = await api("POST", "/companies", { name: "Pine Street Dental", kind: "client", payment_terms_days: 14 });
    fx.ready = true;
    fx.at = at;
  }

  /** The time of the week, under each contract, once the block contract exists. */
  async function logTime() {
    const at = fx.at;
    const ticket = (company, contract, subject) => api("POST", "/tickets", { subject, company_id: company.id, contract_id: contract?.id });
    fx.tTm = await ticket(fx.cedar, fx.tm, "Kennel scanner will not pair");
    fx.tManaged = await ticket(fx.cedar, fx.managed, "Monthly patching and a dead switch");
    fx.tBlock = await ticket(fx.cedar, fx.block, "Practice software migration");
    fx.tPine = await ticket(fx.pine, null, "Chair-side PC keeps rebooting");
    const entry = (ticket_id, work_type_id, minutes, started_at, notes) => api("POST", "/time-entries", { ticket_id, work_type_id, minutes, started_at, user_id: fx.tech.id, notes });
    fx.entries = [
      await entry(fx.tTm.id, fx.helpdesk.id, 45, at(0, 9), "Paired the scanner again"),
      await entry(fx.tTm.id, fx.repair.id, 50, at(1, 9), "Replaced the cradle"),
      await entry(fx.tManaged.id, fx.helpdesk.id, 90, at(1, 13), "Patched the front desk"),
      await entry(fx.tManaged.id, fx.repair.id, 60, at(2, 10), "Swapped the switch"),
      await entry(fx.tBlock.id, fx.helpdesk.id, 500, at(3, 8), "Migrated the records"),
      await entry(fx.tBlock.id, fx.helpdesk.id, 200, at(4, 8), "Trained the staff"),
      await api("POST", "/time-entries", { kind: "travel", minutes: 30, started_at: at(4, 7), user_id: fx.tech.id, notes: "To the clinic" }),
    ];
    // another client, billed under no contract (the firm's defaults)
    await api("POST", "/time-entries", { ticket_id: fx.tPine.id, work_type_id: fx.repair.id, minutes: 100, started_at: `${addDays(fx.period.from, 20)}T15:00:00Z`, user_id: fx.tech.id });
  }

  return [
    {
      name: "billing: a block-hours contract is made in the contract dialog; its page shows the block",
      async fn() {
        await fixtures();
        page = await newPage();
        await signIn(page);
        await page.goto(`${server.url}/clients/${fx.cedar.id}`);
        await page.getByRole("tab", { name: /Contracts/ }).click();
        await page.getByRole("table", { name: "Contracts" }).getByRole("link", { name: "Managed IT" }).waitFor();
        await page.getByRole("button", { name: "Add contract" }).click();
        const d = page.getByRole("dialog", { name: "New contract" });
        await d.getByLabel("Name").fill("Migration hours");
        await d.getByLabel("Kind").selectOption({ label: "Block hours" });
        await d.getByLabel("Starts on").fill(fx.period.from);
        await d.getByLabel("Ends on").fill(addDays(fx.period.from, -1));
        await d.getByLabel("Hours in the block").fill("10");
        await d.getByLabel(/^Price of the block/).fill("1000.00");
        await d.getByLabel(/^Overage rate per hour/).fill("150.00");
        // the API refuses an end before the start: its message shows under "Ends on"
        await d.getByRole("button", { name: "Create contract" }).click();
        const ends = d.getByLabel("Ends on");
        await page.waitForFunction(() => document.querySelector("dialog [type=date][aria-invalid='true']"));
        const err = page.locator(`[id="${await ends.getAttribute("aria-describedby")}"]`);
        assert(/starts_on|start/.test(await text(err)), `the API's message is under Ends on: ${await text(err)}`);
        await shot(page, "billing-contract-dialog");
        await ends.fill("");
        await d.getByRole("button", { name: "Create contract" }).click();
        await d.waitFor({ state: "detached" });
        const link = page.getByRole("table", { name: "Contracts" }).getByRole("link", { name: "Migration hours" });
        await link.waitFor();
        const made = (await api("GET", `/contracts?company_id=${fx.cedar.id}&kind=block_hours`)).data;
        assert(made.length === 1, "one block-hours contract was made");
        fx.block = made[0];
        assert(fx.block.block_minutes === 600 && fx.block.block_price === 100000 && fx.block.overage_rate === 15000 && fx.block.ends_on === null, `the block's terms are saved: ${JSON.stringify(fx.block)}`);
        assert(fx.block.starts_on === fx.period.from && fx.block.currency === "USD", "its start and currency");

        // the time & materials contract gets a second rate override in the edit dialog
        await page.getByRole("table", { name: "Contracts" }).getByRole("row", { name: /Break-fix/ }).getByRole("button", { name: "Edit" }).click();
        const e = page.getByRole("dialog", { name: "Edit Break-fix" });
        assert((await e.getByLabel(/^Hourly rate \(USD\), rate 1/).inputValue()) === "140.00", "the existing rate is in the form");
        await e.getByRole("button", { name: "+ Rate" }).click();
        await e.getByLabel("Work type, rate 2").selectOption({ label: "Remote helpdesk · $120.00/h" });
        await e.getByLabel(/^Hourly rate \(USD\), rate 2/).fill("110.00");
        await e.getByRole("button", { name: "Save changes" }).click();
        await e.waitFor({ state: "detached" });
        const tm = await api("GET", `/contracts/${fx.tm.id}`);
        assert(JSON.stringify(tm.rates) === JSON.stringify([{ work_type_id: fx.repair.id, hourly_rate: 14000 }, { work_type_id: fx.helpdesk.id, hourly_rate: 11000 }]), `both rates are saved: ${JSON.stringify(tm.rates)}`);
        assert(tm.version === fx.tm.version + 1 && tm.name === "Break-fix", "only the rates changed");

        await logTime();
        await link.click();
        await page.getByRole("heading", { name: "Migration hours" }).waitFor();
        const card = page.locator(".block-card");
        await card.getByRole("table", { name: "Time that drew the block" }).waitFor();
        const balance = await api("GET", `/contracts/${fx.block.id}/balance`);
        assert(balance.used_minutes === 720 && balance.overage_minutes === 120, `12:00 used, 2:00 beyond: ${JSON.stringify(balance)}`);
        const summary = await text(card.locator(".block-text"));
        assert(summary.includes("12:00 of 10:00 h used") && summary.includes("0:00 h left") && summary.includes("2:00 h beyond the block"), `the bar says what is used and left: ${summary}`);
        assert(await card.locator(".block-bar.is-out .block-over").isVisible(), "the part beyond the block shows past the 100 % mark");
        const rows = card.getByRole("table", { name: "Time that drew the block" }).locator("tbody tr");
        assert((await rows.count()) === 2, "both entries drew the block");
        assert((await text(rows.nth(1))).includes("1:30") && (await text(rows.nth(1))).includes("2:00"), `the second entry drew 1:30 and went 2:00 beyond: ${await text(rows.nth(1))}`);
        await rows.first().getByRole("link", { name: fx.tBlock.number }).waitFor();
        await tallShot(page, "billing-contract");
      },
    },
    {
      name: "billing: a manager approves the technician's week in the timesheet view and takes one approval back",
      async fn() {
        const mp = await newPage();
        await signIn(mp, fx.manager.email, fx.manager.password);
        await mp.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Timesheets" }).click();
        await mp.getByRole("heading", { name: "Timesheets", level: 1 }).waitFor();
        await mp.getByLabel("Technician").selectOption({ label: "Omar Haddad (technician)" });
        await mp.getByLabel("Week of").fill(addDays(fx.monday, 2));
        await mp.waitForURL(new RegExp(`week=${fx.monday}`));
        const approve = mp.getByRole("button", { name: "Approve week (7)" });
        await approve.waitFor();
        const friday = mp.getByRole("region", { name: /^Friday/ });
        assert((await text(friday)).includes("Travel") && (await text(friday)).includes("Not on a service order"), "travel time shows with its kind");
        assert((await mp.locator(".ts-day:not(.is-empty)").count()) === 5, "five days have time");
        await approve.click();
        await mp.getByRole("button", { name: "Week approved" }).waitFor();
        for (const e of fx.entries) {
          const x = await api("GET", `/time-entries/${e.id}`);
          assert(x.approved_at && x.approved_by_id, `entry ${e.id} is approved`);
        }
        // the travel entry: the approval taken back
        const travel = fx.entries[6];
        await mp.locator(`tr[data-entry="${travel.id}"]`).getByRole("button", { name: /^Undo the approval/ }).click();
        await mp.locator(`tr[data-entry="${travel.id}"]`).getByText("Not approved").waitFor();
        assert((await api("GET", `/time-entries/${travel.id}`)).approved_at === null, "the approval is taken back");
        await mp.getByRole("button", { name: "Approve week (1)" }).waitFor();
        await tallShot(mp, "billing-timesheet");
        fx.managerPage = mp;
      },
    },
    {
      name: "billing: the clerk previews last month's run grouped by client, with the server's explanations, then creates the drafts",
      async fn() {
        await page.context().close();
        page = await newPage();
        await signIn(page, fx.clerk.email, fx.clerk.password);
        const nav = page.getByRole("navigation", { name: "Main" });
        assert(await nav.getByRole("link", { name: "Invoices" }).isVisible(), "billing sees Invoices");
        assert(!(await nav.getByRole("link", { name: "Timesheets" }).isVisible()), "billing does not approve time");
        await nav.getByRole("link", { name: "Invoice run" }).click();
        await page.getByRole("heading", { name: "Invoice run", level: 1 }).waitFor();
        assert((await page.getByLabel("From").inputValue()) === fx.period.from && (await page.getByLabel("To (included)").inputValue()) === fx.period.to, "the period is last month");
        await page.getByRole("button", { name: "Preview the run" }).click();
        await page.getByRole("region", { name: "Dry run" }).waitFor();

        const dry = await api("POST", "/invoice-runs", { from: fx.period.from, to: fx.period.to, dry_run: true });
        const mine = dry.invoices.find((i) => i.company_id === fx.cedar.id);
        const pine = dry.invoices.find((i) => i.company_id === fx.pine.id);
        assert(mine && pine, "the server plans an invoice for each client");
        const rules = mine.lines.map((l) => l.rule).sort().join(",");
        assert(rules === "addition,block_draw,block_draw,block_overage,block_purchase,managed_fee,time,time,time", `every kind of line: ${rules}`);
        const group = page.locator(`.run-client[data-company="${fx.cedar.id}"]`);
        await group.getByRole("heading", { name: "Cedar Ridge Veterinary" }).waitFor();
        const rows = group.locator("tbody tr");
        assert((await rows.count()) === mine.lines.length, `one row per line (${mine.lines.length})`);
        for (let i = 0; i < mine.lines.length; i++) {
          const l = mine.lines[i];
          const row = await text(rows.nth(i));
          assert(row.includes(l.description) && row.includes(l.explanation) && row.includes(usd(l.amount)), `line ${i + 1} shows the server's description, explanation and amount:\n  ${row}\n  ${JSON.stringify(l)}`);
        }
        // the sources: the service orders worked on
        const over = rows.filter({ hasText: "beyond the block of 10:00" });
        await over.getByRole("link", { name: fx.tBlock.number }).waitFor();
        assert((await text(group.locator("[data-total]"))) === usd(mine.total), `the client's total is the server's ${usd(mine.total)}`);
        await page.locator(`.run-client[data-company="${fx.pine.id}"]`).getByText(usd(pine.total)).first().waitFor();
        await tallShot(page, "billing-run-preview");

        const n = dry.invoices.length;
        await page.getByRole("button", { name: n === 1 ? "Create the draft" : `Create ${n} drafts` }).click();
        const made = page.locator(".run-made");
        await made.getByRole("list", { name: "Drafts created" }).waitFor();
        const drafts = (await api("GET", `/invoices?company_id=${fx.cedar.id}&status=draft`)).data;
        assert(drafts.length === 1 && drafts[0].total === mine.total, "the real run made the dry run's invoice");
        fx.invoice = drafts[0];
        fx.pineInvoice = (await api("GET", `/invoices?company_id=${fx.pine.id}&status=draft`)).data[0];
        const again = await api("POST", "/invoice-runs", { from: fx.period.from, to: fx.period.to, dry_run: true });
        assert(!again.invoices.some((i) => i.company_id === fx.cedar.id), "nothing of the client is billed twice");
        await page.getByRole("table", { name: "Earlier runs" }).locator("tbody tr").first().waitFor();
        await shot(page, "billing-run-made");
        await made.getByRole("link", { name: "Review the drafts" }).click();
        await page.getByRole("table", { name: "Invoices" }).getByRole("row", { name: /Cedar Ridge Veterinary/ }).getByRole("link").click();
        await page.waitForURL(new RegExp(`/invoices/${fx.invoice.id}$`));
      },
    },
    {
      name: "billing: a manual line on the draft, then issue it",
      async fn() {
        await page.getByRole("heading", { name: /Draft #/ }).waitFor();
        const lines = page.getByRole("table", { name: "Invoice lines" });
        assert((await lines.locator("tbody tr").count()) === fx.invoice.lines.length, "every line of the draft");
        await page.getByRole("button", { name: "+ Manual line" }).click();
        const d = page.getByRole("dialog", { name: "Add a manual line" });
        await d.getByLabel("Description").fill("Travel, flat rate");
        await d.getByLabel("Quantity").fill("2");
        await d.getByLabel(/^Unit price/).fill("45.00");
        await d.getByLabel("Taxed").uncheck();
        await d.getByRole("button", { name: "Add line" }).click();
        await d.waitFor({ state: "detached" });
        await lines.getByText("Travel, flat rate").waitFor();
        // a line added by mistake is removed again
        await page.getByRole("button", { name: "+ Manual line" }).click();
        const w = page.getByRole("dialog", { name: "Add a manual line" });
        await w.getByLabel("Description").fill("Wrong line");
        await w.getByLabel(/^Unit price/).fill("1.00");
        await w.getByRole("button", { name: "Add line" }).click();
        await w.waitFor({ state: "detached" });
        await lines.getByRole("row", { name: /Wrong line/ }).getByRole("button", { name: /^Remove line/ }).click();
        await page.getByRole("dialog", { name: "Remove this line?" }).getByRole("button", { name: "Remove line" }).click();
        await lines.getByText("Wrong line").waitFor({ state: "detached" });
        // an entry split over the block and beyond it is one piece of work: its two lines go together
        await lines.getByRole("row", { name: /beyond the block of 10:00/ }).getByRole("button", { name: /^Remove line/ }).click();
        const both = page.getByRole("dialog", { name: "Remove these 2 lines?" });
        // the dialog lists the lines once they are found: wait for both before counting
        await both.locator("li").filter({ hasText: "(block hours)" }).waitFor();
        await both.locator("li").nth(1).waitFor();
        assert((await both.locator("li").count()) === 2 && (await text(both.locator("li").first())).includes("(block hours)"), `the drawn part goes with the overage: ${await text(both)}`);
        await both.getByRole("button", { name: "Cancel" }).click();
        const withLine = await api("GET", `/invoices/${fx.invoice.id}`);
        assert(withLine.total === fx.invoice.total + 9000 && withLine.lines.at(-1).rule === "manual", `the line is on the draft: ${withLine.total}`);
        assert((await text(page.locator("[data-total]"))) === usd(withLine.total), "the total on screen is the server's");
        await tallShot(page, "billing-invoice-draft");

        await page.getByRole("button", { name: "Issue invoice" }).click();
        const dlg = page.getByRole("dialog", { name: "Issue this invoice?" });
        await dlg.getByRole("button", { name: "Issue invoice" }).click();
        await dlg.waitFor({ state: "detached" });
        const issued = await api("GET", `/invoices/${fx.invoice.id}`);
        assert(issued.status === "issued" && /^INV-\d{6}$/.test(issued.number), `issued with a number: ${issued.number}`);
        await page.getByRole("heading", { name: new RegExp(issued.number) }).waitFor();
        assert(!(await page.getByRole("button", { name: "+ Manual line" }).isVisible()), "an issued invoice is not edited");
        const pdf = await page.request.get(`${server.url}/api/v1/invoices/${issued.id}.pdf`);
        assert(pdf.status() === 200 && pdf.headers()["content-type"] === "application/pdf" && (await pdf.body()).subarray(0, 5).toString() === "%PDF-", "the PDF is served to the session");
        assert((await page.locator(`iframe.pdf-preview`).getAttribute("src")).startsWith(`/api/v1/invoices/${issued.id}.pdf`), "the PDF is previewed beside it");
        await tallShot(page, "billing-invoice-issued");
        fx.invoice = issued;
      },
    },
    {
      name: "billing: a partial payment, an overpayment refused, then the rest: paid",
      async fn() {
        await page.getByRole("button", { name: "Record payment" }).click();
        let d = page.getByRole("dialog", { name: /^Record a payment/ });
        await d.getByLabel(/^Amount/).fill("500.00");
        await d.getByLabel("Method").selectOption({ label: "Card" });
        await d.getByLabel("Reference").fill("VISA 4242");
        await d.getByRole("button", { name: "Record payment" }).click();
        await d.waitFor({ state: "detached" });
        const rest = fx.invoice.total - 50000;
        await page.locator("[data-balance]").getByText(usd(rest)).waitFor();
        let inv = await api("GET", `/invoices/${fx.invoice.id}`);
        assert(inv.status === "issued" && inv.paid === 50000 && inv.balance === rest, `partly paid: ${inv.paid} / ${inv.balance}`);
        await page.getByRole("table", { name: "Payments" }).getByText("VISA 4242").waitFor();

        await page.getByRole("button", { name: "Record payment" }).click();
        d = page.getByRole("dialog", { name: /^Record a payment/ });
        const amount = d.getByLabel(/^Amount/);
        assert((await amount.inputValue()) === (rest / 100).toFixed(2), `the amount offered is the balance: ${await amount.inputValue()}`);
        await amount.fill(((rest + 100) / 100).toFixed(2));
        await d.getByRole("button", { name: "Record payment" }).click();
        await page.waitForFunction(() => document.querySelector("dialog input[aria-invalid='true']"));
        const err = page.locator(`[id="${await amount.getAttribute("aria-describedby")}"]`);
        assert(/overpayment/.test(await text(err)), `the API's refusal is under the amount: ${await text(err)}`);
        await amount.fill((rest / 100).toFixed(2));
        await d.getByRole("button", { name: "Record payment" }).click();
        await d.waitFor({ state: "detached" });
        await page.locator(".page-sub .badge", { hasText: "Paid" }).waitFor();
        inv = await api("GET", `/invoices/${fx.invoice.id}`);
        assert(inv.status === "paid" && inv.balance === 0 && inv.paid === inv.total, "paid in full");
        // the payments reload after the invoice does: wait for the second row, then count
        const payRows = page.getByRole("table", { name: "Payments" }).locator("tbody tr");
        await payRows.nth(1).waitFor();
        assert((await payRows.count()) === 2, "both payments are listed");
        await tallShot(page, "billing-invoice-paid");
      },
    },
    {
      name: "billing: the invoices list and the export for QuickBooks Online and Xero",
      async fn() {
        // the other client's invoice is issued and left unpaid
        fx.pineInvoice = await act(`/invoices/${fx.pineInvoice.id}/issue`);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Invoices" }).click();
        await page.getByRole("heading", { name: "Invoices", level: 1 }).waitFor();
        await page.getByRole("group", { name: "Status" }).getByRole("button", { name: "Open" }).click();
        await page.waitForURL(/status=issued/);
        const table = page.getByRole("table", { name: "Invoices" });
        // a number and not a longer one that starts with it (INV-1 is not INV-10)
        const row = (number) => table.getByRole("row", { name: new RegExp(number + "(?!\\d)") });
        await row(fx.pineInvoice.number).waitFor();
        // the list "All" showed both: the open list replaces it once it has loaded
        await row(fx.invoice.number).waitFor({ state: "detached" });
        // (the table may be loading then) the open list has the issued one and not the paid one
        await row(fx.pineInvoice.number).waitFor();
        assert(!(await row(fx.invoice.number).count()), "the paid invoice is not open");
        await page.getByRole("group", { name: "Status" }).getByRole("button", { name: "Paid" }).click();
        await row(fx.invoice.number).waitFor();
        await page.getByRole("group", { name: "Status" }).getByRole("button", { name: "All" }).click();
        await shot(page, "billing-invoices");

        const form = page.getByRole("form", { name: "Export issued invoices" });
        const today = fx.invoice.issued_on;
        await form.getByLabel("Issued from").fill(today);
        await form.getByLabel("Issued to (included)").fill(today);
        for (const [format, label, numberCol, nameCol] of [
          ["qbo", "QuickBooks Online (CSV)", "*InvoiceNo", "*Customer"],
          ["xero", "Xero (CSV)", "*InvoiceNumber", "*ContactName"],
        ]) {
          await form.getByLabel("Format").selectOption({ label });
          const [download] = await Promise.all([page.waitForEvent("download"), form.getByRole("button", { name: "Download" }).click()]);
          const file = readFileSync(await download.path(), "utf8").replace(/^\uFEFF/, "");
          const rows = parseCsv(file);
          const head = rows[0];
          assert(head.includes(numberCol) && head.includes(nameCol), `the ${format} header: ${head.join(",")}`);
          const mine = rows.slice(1).filter((r) => r[head.indexOf(numberCol)] === fx.invoice.number);
          assert(mine.length === fx.invoice.lines.length, `${format}: one row per line of ${fx.invoice.number} (${mine.length} of ${fx.invoice.lines.length})`);
          assert(mine.every((r) => r[head.indexOf(nameCol)] === "Cedar Ridge Veterinary"), `${format}: the customer is named`);
          assert(download.suggestedFilename().endsWith(".csv"), `a CSV file: ${download.suggestedFilename()}`);
        }
      },
    },
    {
      name: "billing: the AR ageing today, and 45 days after the open invoice is due",
      async fn() {
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "AR ageing" }).click();
        await page.getByRole("heading", { name: "AR ageing", level: 1 }).waitFor();
        const table = page.getByRole("table", { name: "Ageing by client" });
        const row = table.getByRole("row", { name: /Pine Street Dental/ }).first();
        await row.waitFor();
        const api0 = await api("GET", "/reports/ar-ageing");
        const pine = api0.companies.find((c) => c.company_id === fx.pine.id);
        assert(pine.current === fx.pineInvoice.balance, "the server has it current");
        const cells = row.locator("td");
        assert((await text(cells.nth(0))) === usd(pine.current) && (await text(cells.nth(5))) === usd(pine.total), `current and total: ${await text(row)}`);
        assert(!(await table.getByRole("row", { name: /Cedar Ridge/ }).count()), "the paid client owes nothing");
        await row.getByRole("button", { name: /Pine Street Dental/ }).click();
        await page.getByRole("table", { name: "Open invoices of Pine Street Dental" }).getByRole("link", { name: fx.pineInvoice.number }).waitFor();
        await shot(page, "billing-ageing");

        const later = addDays(fx.pineInvoice.due_on, 45);
        await page.getByLabel("As of", { exact: true }).fill(later);
        await page.waitForURL(new RegExp(`as_of=${later}`));
        const late = await api("GET", `/reports/ar-ageing?as_of=${later}`);
        const lp = late.companies.find((c) => c.company_id === fx.pine.id);
        assert(lp.days_31_60 === fx.pineInvoice.balance, "45 days past due is 31-60 days");
        await page.waitForFunction((amount) => {
          const r = [...document.querySelectorAll("table[aria-label='Ageing by client'] tbody tr.ageing-row")].find((x) => x.textContent.includes("Pine Street Dental"));
          return r && r.querySelectorAll("td")[2]?.textContent.trim() === amount;
        }, usd(lp.days_31_60));
      },
    },
    {
      name: "billing: a credit note takes money off an invoice; a void invoice keeps its number and its work bills again",
      async fn() {
        await page.goto(`${server.url}/invoices/${fx.pineInvoice.id}`);
        await page.getByRole("heading", { name: new RegExp(fx.pineInvoice.number) }).waitFor();
        await page.getByRole("button", { name: "Credit note" }).click();
        const d = page.getByRole("dialog", { name: /^Credit note against/ });
        await d.getByLabel(/^Amount before tax/).fill("12.50");
        await d.getByLabel("Reason").fill("Goodwill: the visit was late");
        await d.getByRole("button", { name: "Issue credit note" }).click();
        await d.waitFor({ state: "detached" });
        const credited = await api("GET", `/invoices/${fx.pineInvoice.id}`);
        const notes = (await api("GET", `/credit-notes?invoice_id=${fx.pineInvoice.id}`)).data;
        assert(notes.length === 1 && /^CN-\d{6}$/.test(notes[0].number) && credited.credited === notes[0].total && credited.balance === credited.total - notes[0].total, `the credit note is taken off: ${JSON.stringify(notes)}`);
        await page.getByRole("table", { name: "Credit notes" }).getByText(notes[0].number).waitFor();
        await page.locator("[data-balance]").getByText(usd(credited.balance)).waitFor();
        assert(!(await page.getByRole("button", { name: "Void", exact: true }).count()), "an invoice with a credit note is not voided");

        // another client's invoice, made and issued through the API, voided in the browser
        const willow = await api("POST", "/companies", { name: "Willow Kennels", kind: "client" });
        const t = await api("POST", "/tickets", { subject: "Door badge reader", company_id: willow.id });
        const entry = await api("POST", "/time-entries", { ticket_id: t.id, work_type_id: fx.repair.id, minutes: 30, started_at: `${addDays(fx.period.from, 2)}T10:00:00Z`, user_id: fx.tech.id });
        const run = await api("POST", "/invoice-runs", { from: fx.period.from, to: fx.period.to, company_id: willow.id });
        const issued = await act(`/invoices/${run.invoices[0].id}/issue`);
        await page.goto(`${server.url}/invoices/${issued.id}`);
        await page.getByRole("button", { name: "Void", exact: true }).click();
        const v = page.getByRole("dialog", { name: /^Void/ });
        await v.getByRole("button", { name: "Void invoice" }).click();
        await v.locator(".field-error").waitFor(); // the API refuses an empty reason: its word is beside the field
        await v.getByLabel("Reason").fill("Billed to the wrong client");
        await v.getByRole("button", { name: "Void invoice" }).click();
        await v.waitFor({ state: "detached" });
        await page.getByText(/^Void since/).waitFor();
        const voided = await api("GET", `/invoices/${issued.id}`);
        assert(voided.status === "void" && voided.number === issued.number, "void, with its number kept");
        assert((await api("GET", `/time-entries/${entry.id}`)).invoice_id === null, "its time is billable again");
        const again = await api("POST", "/invoice-runs", { from: fx.period.from, to: fx.period.to, company_id: willow.id, dry_run: true });
        assert(again.invoices.length === 1, "the next run bills it again");
      },
    },
    {
      name: "billing: the reports show the API's numbers as charts and tables",
      async fn() {
        const mp = fx.managerPage;
        await mp.goto(server.url + "/billing/reports?range=3");
        await mp.getByRole("heading", { name: "Billing reports", level: 1 }).waitFor();
        const now = new Date();
        const from = ymdUTC(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1)));
        const prof = await api("GET", `/reports/profitability?from=${from}`);
        const cedar = prof.clients.find((c) => c.company_id === fx.cedar.id);
        assert(cedar.revenue === fx.invoice.subtotal && cedar.labour_cost > 0, `revenue is the invoice's subtotal, labour at cost: ${JSON.stringify(cedar)}`);
        const row = mp.getByRole("table", { name: "Profitability per client" }).getByRole("row", { name: /Cedar Ridge Veterinary/ });
        await row.waitFor();
        const cells = await text(row);
        assert(cells.includes(usd(cedar.revenue)) && cells.includes(usd(cedar.labour_cost)) && cells.includes(usd(cedar.profit)), `the client's row: ${cells}`);
        await mp.getByRole("table", { name: "Profitability per contract" }).getByRole("link", { name: "Managed IT" }).waitFor();
        assert(await mp.locator(".chart-svg").first().isVisible(), "a chart");
        await mp.locator("details.chart-numbers").first().locator("summary").click();
        await mp.getByRole("table", { name: "Profitability by month" }).waitFor();
        const kinds = await api("GET", `/reports/revenue-by-kind?from=${from}`);
        const managed = kinds.rows.filter((r) => r.kind === "managed").reduce((a, r) => a + r.revenue, 0);
        assert(managed > 0 && (await text(mp.locator(".chart figcaption").nth(1))).includes(`Managed services ${usd(managed)}`), "revenue by kind names the managed revenue");
        const util = mp.getByRole("list", { name: "Utilisation per technician" });
        await util.getByText("Omar Haddad").waitFor();
        const burn = mp.getByRole("list", { name: "Block hours per contract" });
        assert((await text(burn)).includes("Migration hours") && (await text(burn)).includes("12:00 of 10:00 h used"), `block burn: ${await text(burn)}`);
        await tallShot(mp, "billing-reports");
      },
    },
    {
      name: "billing: invoiced time keeps its approval; the block contract is renewed",
      async fn() {
        const mp = fx.managerPage;
        await mp.goto(`${server.url}/timesheets?user_id=${fx.tech.id}&week=${fx.monday}`);
        const block = mp.locator(`tr[data-entry="${fx.entries[4].id}"]`);
        await block.getByText("Invoiced").waitFor();
        assert(!(await block.getByRole("button").count()), "invoiced time has no undo");
        await mp.locator(`tr[data-entry="${fx.entries[6].id}"]`).getByRole("button", { name: /^Approve/ }).waitFor();
        await tallShot(mp, "billing-timesheet-invoiced");

        await mp.goto(`${server.url}/contracts/${fx.block.id}`);
        await mp.getByRole("heading", { name: "Migration hours" }).waitFor();
        await mp.getByRole("button", { name: "Renew", exact: true }).click();
        const d = mp.getByRole("dialog", { name: /^Renew/ });
        await d.getByRole("button", { name: "Renew contract" }).click();
        await mp.waitForURL((u) => u.pathname.startsWith("/contracts/") && u.pathname !== `/contracts/${fx.block.id}`);
        const next = await api("GET", mp.url().replace(/^.*\/contracts\//, "/contracts/"));
        assert(next.renewed_from_id === fx.block.id && next.block_minutes === 600, "the renewal has the same terms");
        assert((await api("GET", `/contracts/${fx.block.id}`)).renewed_by_id === next.id, "the old term points to the new one");
        await mp.getByText("Nothing drawn yet").waitFor();
      },
    },
    {
      name: "billing: the new screens on a phone do not scroll sideways",
      async fn() {
        const phone = await newPage({ width: 390, height: 844 });
        await signIn(phone, fx.manager.email, fx.manager.password);
        const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        for (const [name, path, ready] of [
          ["run", "/billing/run", () => phone.getByRole("button", { name: "Preview the run" }).waitFor()],
          ["invoice", `/invoices/${fx.invoice.id}`, () => phone.getByRole("table", { name: "Invoice lines" }).waitFor()],
          ["invoices", "/invoices", () => phone.getByRole("table", { name: "Invoices" }).waitFor()],
          ["ageing", "/billing/ageing", () => phone.getByRole("table", { name: "Ageing by client" }).waitFor()],
          ["reports", "/billing/reports", () => phone.getByRole("list", { name: "Block hours per contract" }).waitFor()],
          ["timesheet", `/timesheets?user_id=${fx.tech.id}&week=${fx.monday}`, () => phone.getByRole("region", { name: /^Friday/ }).waitFor()],
          ["contract", `/contracts/${fx.block.id}`, () => phone.getByRole("table", { name: "Time that drew the block" }).waitFor()],
        ]) {
          await phone.goto(server.url + path);
          await ready();
          await phone.waitForLoadState("networkidle");
          assert((await overflow()) <= 1, `${path} does not scroll sideways: ${await overflow()}px`);
          await tallShot(phone, "billing-phone-" + name);
        }
        await phone.getByRole("button", { name: "Open menu" }).click();
        await phone.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Invoice run" }).click();
        await phone.getByRole("button", { name: "Preview the run" }).click();
        await phone.getByRole("region", { name: "Dry run" }).waitFor();
        assert((await overflow()) <= 1, `the dry run does not scroll sideways: ${await overflow()}px`);
        await phone.context().close();
        await fx.managerPage.context().close();
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, billingTests);
