/*
 * sales.mjs - the browser tests of the sales screens: the pipeline board
 * (create a deal, drag it to another stage), and a quote from start to
 * contract: build it in the editor with a product line and a labour line,
 * check that the live total on screen is the total the server saves, send
 * it, open the client's link in a fresh browser context (no session),
 * accept it with a typed name, and see as staff the quote accepted with its
 * contract and the installation order it created (the labour planned on it). Screenshots: sales-pipeline,
 * sales-quote-editor, sales-quote-public, sales-quote-accepted (and phone
 * sizes of the board and the editor).
 *
 * Two ways to run it:
 *   node tests/sales.mjs              on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                     import { salesTests } from "./sales.mjs";
 *                                     tests.push(...salesTests({ server, browser, shots, newPage, signIn, shot, text }));
 * Every helper in the context is optional; missing ones are made here.
 */
import { join } from "node:path";
import { ADMIN_EMAIL, ADMIN_PASSWORD, assert, runAlone, screenshotDir } from "./harness.mjs";

/** "$1,234.50" for minor units, as the UI formats USD in en-US. */
function usd(minor) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" }).format(minor / 100);
}

/** round(n / d) half away from zero, in integers. */
/* Fills an input and waits until the value has stuck (the app re-renders as it types). */
async function fillKept(locator, value) {
  await locator.fill(value);
  for (let i = 0; i < 40 && (await locator.inputValue()) !== value; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert((await locator.inputValue()) === value, `the field kept ${await locator.inputValue()}, not ${value}`);
}

function divRound(n, d) {
  const q = n / d;
  const r = n % d;
  return (r < 0n ? -r : r) * 2n >= d ? (n < 0n ? q - 1n : q + 1n) : q;
}

export function salesTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  let page;

  const newPage =
    ctx.newPage ??
    (async (viewport = { width: 1360, height: 900 }) => {
      const c = await browser.newContext({ viewport, locale: "en-US", timezoneId: "America/New_York" });
      c.setDefaultTimeout(20000);
      const p = await c.newPage();
      p.on("pageerror", (e) => pageErrors.push(`${p.url()}: ${e.message}`));
      return p;
    });
  const signIn =
    ctx.signIn ??
    (async (p, email = ADMIN_EMAIL, password = ADMIN_PASSWORD) => {
      await p.goto(server.url + "/signin");
      await p.getByLabel("E-mail").fill(email);
      await p.getByLabel("Password").fill(password);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("navigation", { name: "Main" }).waitFor();
    });
  const shot =
    ctx.shot ??
    (async (p, name, opts = {}) => {
      await p.waitForTimeout(150);
      await p.screenshot({ path: join(shots, name + ".png"), ...opts });
    });
  const text = ctx.text ?? (async (loc) => (await loc.innerText()).replace(/\s+/g, " ").trim());

  async function fixtures() {
    if (fx.ready) return;
    fx.product = await server.api("POST", "/products", { sku: "UI-AP6", name: "Ceiling Wi-Fi 6 access point", kind: "equipment", unit_cost: 12000, unit_price: 18900, taxable: true });
    fx.workType = await server.api("POST", "/work-types", { name: "Network installation", hourly_rate: 13250 });
    fx.client = await server.api("POST", "/companies", { name: "Harbor Dental Group", kind: "client" });
    fx.contact = await server.api("POST", "/contacts", { company_id: fx.client.id, first_name: "Casey", last_name: "Garcia", email: "casey@harbor-dental.example" });
    fx.tech = await server.api("POST", "/users", { email: "ana.sales-ui@example.com", name: "Ana Lopez", role: "technician", password: "Ana-Tech-Password-2026!", skills: ["networks"] });
    await server.api("POST", `/users/${fx.tech.id}/certifications`, { name: "CWNA wireless", issuer: "CWNP", expires_on: "2031-03-31" });
    // a few more deals, so the board is not empty
    const more = await server.api("POST", "/companies", { name: "Lakeside Veterinary Clinic", kind: "prospect" });
    await server.api("POST", "/opportunities", { company_id: more.id, title: "Front desk printers", stage: "new", estimated_value: 420000, source: "web", expected_close_on: "2027-02-15" });
    await server.api("POST", "/opportunities", { company_id: more.id, title: "Managed backup, 12 seats", stage: "quoted", estimated_value: 1860000, source: "trade show" });
    await server.api("POST", "/opportunities", { company_id: fx.client.id, title: "Door access control", stage: "lost", lost_reason: "Went with the building's own provider", estimated_value: 730000, source: "referral" });
    fx.ready = true;
  }

  return [
    {
      name: "sales: the pipeline board creates a deal and moves it by drag and drop",
      async fn() {
        await fixtures();
        page = await newPage();
        await signIn(page);
        await page.getByRole("link", { name: "Pipeline" }).click();
        await page.getByRole("heading", { name: "Pipeline", level: 1 }).waitFor();

        await page.getByRole("button", { name: "New opportunity" }).first().click();
        const d = page.getByRole("dialog", { name: "New opportunity" });
        await d.getByLabel("Title").fill("Clinic Wi-Fi refresh");
        await d.getByRole("combobox", { name: "Company" }).fill("Harbor");
        await d.getByRole("option", { name: /Harbor Dental Group/ }).click();
        await d.getByLabel(/Estimated value/).fill("9850.00");
        await d.getByLabel("Lead source").fill("referral");
        await d.getByRole("button", { name: "Create opportunity" }).click();
        await d.waitFor({ state: "detached" });

        const newCol = page.getByRole("list", { name: "New deals" });
        const card = newCol.locator(".opp-card", { hasText: "Clinic Wi-Fi refresh" });
        await card.waitFor();
        const opps = await server.api("GET", "/opportunities?q=Clinic");
        fx.opp = opps.data.find((o) => o.title === "Clinic Wi-Fi refresh");
        assert(fx.opp && fx.opp.stage === "new" && fx.opp.estimated_value === 985000, "the deal is saved as new with its value");
        const newTotal = await text(page.locator(".pcol-new .pcol-total"));
        assert(newTotal === "$14,050.00", `the New column totals its deals ($4,200 + $9,850): ${newTotal}`);

        await card.dragTo(page.locator(".pcol-qualified"));
        await page.getByRole("list", { name: "Qualified deals" }).locator(".opp-card", { hasText: "Clinic Wi-Fi refresh" }).waitFor();
        for (let i = 0; i < 50; i++) {
          fx.opp = await server.api("GET", `/opportunities/${fx.opp.id}`);
          if (fx.opp.stage === "qualified") break;
          await page.waitForTimeout(100);
        }
        assert(fx.opp.stage === "qualified", `dropping on Qualified saved the stage (got ${fx.opp.stage})`);
        await shot(page, "sales-pipeline");

        // dropping on Lost asks why first; cancelling keeps the deal where it was
        await page.getByRole("list", { name: "Qualified deals" }).locator(".opp-card", { hasText: "Clinic Wi-Fi refresh" }).dragTo(page.locator(".pcol-lost"));
        const lost = page.getByRole("dialog", { name: /lost/ });
        await lost.getByLabel("Why was it lost?").waitFor();
        await lost.getByRole("button", { name: "Keep it open" }).click();
        assert((await server.api("GET", `/opportunities/${fx.opp.id}`)).stage === "qualified", "cancelling the lost dialog changes nothing");
      },
    },
    {
      name: "sales: build a quote with a product and a labour line; the live total is the saved total",
      async fn() {
        await page.goto(`${server.url}/quotes/new?opportunity_id=${fx.opp.id}`);
        await page.getByRole("heading", { name: "New quote" }).waitFor();
        // the opportunity brought its company and title
        await page.locator(".picked-name", { hasText: "Harbor Dental Group" }).waitFor();
        assert((await page.getByLabel("Title").inputValue()) === "Clinic Wi-Fi refresh", "the title comes from the opportunity");
        await page.getByRole("combobox", { name: "Contact" }).click();
        await page.getByRole("option", { name: /Casey Garcia/ }).click();
        await page.getByLabel("Tax rate (%)").fill("8.25");

        await page.getByRole("button", { name: "+ Equipment or service from catalog" }).click();
        await page.getByRole("combobox", { name: "Product" }).fill("access point");
        await page.getByRole("option", { name: /Ceiling Wi-Fi 6 access point/ }).click();
        // the editor puts the cursor in the new line, as a person would see it
        await page.waitForFunction(() => !!document.activeElement?.closest(".qlines tbody tr:last-child"));
        await fillKept(page.getByLabel("Quantity, line 1"), "3");
        await fillKept(page.getByLabel("Discount per cent, line 1"), "5");
        await page.getByLabel(/Install, line 1/).check();

        await page.getByRole("button", { name: "+ Labour" }).click();
        const add = page.getByRole("form", { name: "Add labour" });
        await add.getByLabel("Work type").selectOption({ label: "Network installation · $132.50/h" });
        await add.getByLabel("Hours").fill("2.5");
        await add.getByRole("button", { name: "Add labour" }).click();
        await page.getByLabel("Hours, line 2").waitFor();

        await page.getByRole("button", { name: /Ana Lopez/ }).click();
        await page.getByLabel("Warranty (days)").fill("180");

        // what the server must compute: one rounding per line, one for the tax
        const equipment = divRound(3000n * 18900n * (10000n - 500n), 10000000n);
        const labour = divRound(2500n * 13250n * 10000n, 10000000n);
        const tax = divRound(equipment * 825n, 10000n);
        const expected = Number(equipment + labour + tax);
        const live = await text(page.locator("[data-total]"));
        assert(live === usd(expected), `the live total is ${usd(expected)}, the screen says ${live}`);
        // a tall window rather than a full-page picture, which repeats the fixed bars
        const vp = page.viewportSize();
        await page.setViewportSize({ width: 1360, height: 1760 });
        await shot(page, "sales-quote-editor");
        await page.setViewportSize(vp);

        await page.getByRole("button", { name: "Create quote" }).first().click();
        await page.waitForURL(/\/quotes\/\d+$/);
        fx.quoteId = Number(new URL(page.url()).pathname.split("/").pop());
        await page.getByRole("button", { name: "Saved", exact: true }).waitFor();
        const saved = await server.api("GET", `/quotes/${fx.quoteId}`);
        assert(saved.total === expected, `the server saved ${saved.total}, the browser computed ${expected}`);
        assert(saved.lines.length === 2 && saved.lines[0].install === true && saved.lines[1].work_type_id === fx.workType.id, "both lines are saved as built");
        assert(saved.warranty_days === 180 && saved.technicians.length === 1, "the terms are saved");
        assert(/CWNA wireless/.test(saved.qualifications || ""), `the qualifications come from the technician's certification: ${saved.qualifications}`);
        assert((await text(page.locator("[data-total]"))) === usd(saved.total), "the screen shows the saved total");
        fx.quote = saved;
      },
    },
    {
      name: "sales: errors show beside the line or the field they are about",
      async fn() {
        // a quantity with four decimals: refused before asking the server, beside its line
        await page.getByLabel("Hours, line 2").fill("1.2345");
        await page.getByRole("button", { name: "Save", exact: true }).click();
        const hours = page.getByLabel("Hours, line 2");
        await page.waitForFunction(() => document.querySelector("input[aria-invalid='true']"));
        assert((await hours.getAttribute("aria-invalid")) === "true", "the hours of line 2 are marked invalid");
        const err = page.locator(`[id="${await hours.getAttribute("aria-describedby")}"]`);
        assert((await text(err)).includes("3 decimals"), `the message is under the hours: ${await text(err)}`);
        await hours.fill("2.5");
        await page.getByRole("button", { name: "Saved", exact: true }).waitFor();

        // the API refuses to send a quote whose validity has passed: its message is under "Valid until"
        await page.getByLabel("Valid until").fill("2020-01-31");
        await page.getByRole("button", { name: "Save and send" }).click();
        const until = page.getByLabel("Valid until");
        await page.waitForFunction(() => document.querySelector("input[type=date]")?.getAttribute("aria-invalid") === "true");
        const uerr = page.locator(`[id="${await until.getAttribute("aria-describedby")}"]`);
        assert((await text(uerr)).length > 3, "the API's message is under the field");
        assert((await server.api("GET", `/quotes/${fx.quoteId}`)).status === "draft", "nothing was sent");
        await until.fill(fx.quote.valid_until);
        await page.getByRole("button", { name: "Save", exact: true }).click();
        await page.getByRole("button", { name: "Saved", exact: true }).waitFor();
      },
    },
    {
      name: "sales: send the quote and accept it through the client's link",
      async fn() {
        await page.getByRole("button", { name: "Send", exact: true }).click();
        const d = page.getByRole("dialog", { name: /sent$/ });
        const link = await d.getByLabel("Client link").inputValue();
        assert(/\/q\/[A-Za-z0-9_-]{20,}$/.test(link), `a secret link: ${link}`);
        await d.getByRole("button", { name: "Done" }).click();
        await page.locator(".badge", { hasText: "Sent" }).first().waitFor();

        // the client: a fresh browser context, no session
        const ctx2 = await browser.newContext({ viewport: { width: 1024, height: 900 }, locale: "en-US" });
        ctx2.setDefaultTimeout(20000);
        const pub = await ctx2.newPage();
        pub.on("pageerror", (e) => pageErrors.push(`${pub.url()}: ${e.message}`));
        await pub.goto(link.replace(/^https?:\/\/[^/]+/, server.url));
        await pub.getByRole("heading", { name: "Clinic Wi-Fi refresh" }).waitFor();
        assert((await text(pub.locator(".quote-total"))).includes(usd(fx.quote.total)), "the client sees the same total");
        await shot(pub, "sales-quote-public", { fullPage: true });
        await pub.getByRole("button", { name: "Accept quote" }).click();
        await pub.getByLabel("Your full name").fill("Casey Garcia");
        await pub.getByRole("button", { name: "Accept and sign" }).click();
        await pub.getByText("Thank you — the quote is accepted").waitFor();
        await ctx2.close();

        const q = await server.api("GET", `/quotes/${fx.quoteId}`);
        assert(q.status === "accepted" && q.accepted_name === "Casey Garcia" && q.contract_id, "the quote is accepted with a contract");
        fx.quote = q;
      },
    },
    {
      name: "sales: staff see the accepted quote, its contract and its service orders",
      async fn() {
        await page.reload();
        await page.getByRole("heading", { name: /Clinic Wi-Fi refresh/ }).waitFor();
        await page.locator(".page-sub .badge", { hasText: "Accepted" }).waitFor();
        const card = page.locator(".contract-card");
        await card.getByRole("list", { name: "Service orders from this quote" }).waitFor();
        const orders = card.getByRole("list", { name: "Service orders from this quote" }).getByRole("link");
        const tickets = await server.api("GET", `/tickets?quote_id=${fx.quoteId}`);
        assert(tickets.data.length === 1, `acceptance made one installation order (the labour is planned on it), got ${tickets.data.length}`);
        assert((await orders.count()) === 1, "it is listed on the quote");
        const contract = await server.api("GET", `/contracts/${fx.quote.contract_id}`);
        await card.getByText(contract.name).waitFor();
        assert((await text(page.locator(".quote-editor"))).includes("Casey Garcia"), "who signed is shown");
        assert(await page.getByLabel("Quantity, line 1").isDisabled(), "an accepted quote is read-only");
        assert((await server.api("GET", `/opportunities/${fx.opp.id}`)).stage === "won", "the deal is won");
        await shot(page, "sales-quote-accepted", { fullPage: true });
        await orders.first().click();
        await page.waitForURL(/\/tickets\/\d+$/);
      },
    },
    {
      name: "sales: the board and the editor work on a phone",
      async fn() {
        const phone = await newPage({ width: 390, height: 844 });
        await phone.goto(server.url + "/signin");
        await phone.getByLabel("E-mail").fill(ADMIN_EMAIL);
        await phone.getByLabel("Password").fill(ADMIN_PASSWORD);
        await phone.getByRole("button", { name: "Sign in" }).click();
        await phone.waitForURL((u) => !u.pathname.startsWith("/signin"));
        await phone.goto(server.url + "/pipeline");
        await phone.getByRole("list", { name: "Won deals" }).locator(".opp-card", { hasText: "Clinic Wi-Fi refresh" }).waitFor();
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 1, `the page does not scroll sideways (the board does): ${overflow}px`);
        await shot(phone, "sales-phone-pipeline");
        await phone.goto(`${server.url}/quotes/${fx.quoteId}`);
        await phone.getByLabel("Quantity, line 1").waitFor();
        await shot(phone, "sales-phone-quote", { fullPage: true });
        await phone.context().close();
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, salesTests);
