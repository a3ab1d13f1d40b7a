/*
 * quoteconv.mjs - the browser tests of a quote's conversion (issue 16
 * point 7). Fixtures through the API: a client with a site, a switch to
 * install, installation labour, a technician certified "CompTIA Network+"
 * and one without a certification, and a quote that promises a 4-hour
 * response in business hours, the certification, both technicians and the
 * site. Then in the browser:
 *
 *   - the client's link spells the terms out: the coverage as the
 *     calendar's hours ("Mon–Fri 08:00–18:00 (UTC)"), the response "within
 *     4 working hours", the certification promised, and nowhere "no current
 *     certifications"; the client accepts with a typed name;
 *   - staff open the installation order: the switch is a part on it, the
 *     labour is its planned work, the certified technician is assigned and
 *     the visit proposed for the next morning.
 *
 * Screenshots: quoteconv-public-desktop/-phone, quoteconv-order-desktop/-phone.
 *
 * Two ways to run it:
 *   node tests/quoteconv.mjs   on its own (a fresh servio, like run.mjs)
 *   from run.mjs:              import { quoteconvTests } from "./quoteconv.mjs";
 *                              tests.push(...quoteconvTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const CERT = "CompTIA Network+";

export function quoteconvTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const text = ctx.text ?? (async (loc) => (await loc.innerText()).replace(/\s+/g, " ").trim());
  const api = (m, p, b, h) => server.api(m, p, b, h);

  async function fixtures() {
    // the business hours the coverage is spelled from (another suite may have made them)
    const cals = await api("GET", "/calendars?name=" + encodeURIComponent("Business hours"));
    if (!cals.data.length)
      await api("POST", "/calendars", { name: "Business hours", timezone: "UTC", hours: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: "08:00", end: "18:00" })) });
    const s = await api("GET", "/settings");
    if (!s.public_url) await api("PATCH", "/settings", { public_url: server.url }, { "If-Match": `"${s.version}"` });
    fx.client = await api("POST", "/companies", { name: "Northwind Veterinary", kind: "client" });
    fx.site = await api("POST", "/sites", { company_id: fx.client.id, name: "Riverside clinic", city: "Portland" });
    fx.switch = await api("POST", "/products", { sku: "QC-SW48", name: "48-port PoE switch", kind: "equipment", unit_cost: 61000, unit_price: 89000, taxable: true });
    fx.labour = await api("POST", "/work-types", { name: "Network installation (qc)", hourly_rate: 12000 });
    fx.ana = await api("POST", "/users", { email: "ana.qc@example.com", name: "Ana Quinn", role: "technician", password: "Ana-Quote-Conv-Password-26!" });
    fx.bo = await api("POST", "/users", { email: "bo.qc@example.com", name: "Bo Quarry", role: "technician", password: "Bo-Quote-Conv-Password-26!" });
    await api("POST", `/users/${fx.ana.id}/certifications`, { name: CERT, issuer: "CompTIA", expires_on: "2031-06-30" });
    fx.opp = await api("POST", "/opportunities", { company_id: fx.client.id, title: "Clinic network", estimated_value: 100000 });
    fx.quote = await api("POST", "/quotes", {
      company_id: fx.client.id,
      opportunity_id: fx.opp.id,
      title: "Riverside clinic network",
      response_time_minutes: 240,
      coverage: "business_hours",
      warranty_days: 365,
      site_id: fx.site.id,
      required_certifications: [CERT],
      technicians: [{ user_id: fx.ana.id }, { user_id: fx.bo.id }],
      lines: [
        { kind: "equipment", product_id: fx.switch.id, quantity: 2, install: true },
        { kind: "labor", work_type_id: fx.labour.id, quantity: 6 },
      ],
    });
    const sent = await api("POST", `/quotes/${fx.quote.id}/send`, undefined, { "If-Match": `"${fx.quote.version}"` });
    fx.link = sent.public_url.replace(/^https?:\/\/[^/]+/, server.url);
    fx.quote = await api("GET", `/quotes/${fx.quote.id}`);
  }

  async function checkTerms(page) {
    await page.getByRole("heading", { name: "Riverside clinic network" }).waitFor();
    const terms = page.getByRole("region", { name: "Terms" });
    await terms.getByText("Within 4 working hours").waitFor();
    const words = await text(terms);
    assert(/^Mon–Fri \d\d:\d\d–\d\d:\d\d/.test(fx.quote.coverage_text), `coverage in words: ${fx.quote.coverage_text}`);
    assert(words.toLowerCase().includes(fx.quote.coverage_text.toLowerCase()), `the page spells the coverage out: ${words}`);
    assert(words.includes(CERT), "the certification promised is listed");
    assert(words.includes("Ana Quinn"), "the certified technician's qualifications are listed");
    const all = await text(page.locator("body"));
    assert(!all.includes("no current certifications"), "no technician is said to have no current certifications");
    assert(!all.includes("Bo Quarry"), "the technician without a certification is not mentioned");
  }

  return [
    {
      name: "quoteconv: the client's link spells out coverage and working hours, and is accepted",
      fn: async () => {
        await fixtures();
        const phone = await newPage({ width: 390, height: 844 });
        await phone.goto(fx.link);
        await checkTerms(phone);
        await shot(phone, "quoteconv-public-phone", { fullPage: true });
        await phone.context().close();

        const page = await newPage();
        await page.goto(fx.link);
        await checkTerms(page);
        await shot(page, "quoteconv-public-desktop", { fullPage: true });
        await page.getByRole("button", { name: "Accept quote" }).click();
        await page.getByLabel("Your full name").fill("Dana Vet");
        await page.getByRole("button", { name: "Accept and sign" }).click();
        await page.getByText("Thank you — the quote is accepted").waitFor();
        await page.context().close();
        const q = await api("GET", `/quotes/${fx.quote.id}`);
        assert(q.status === "accepted", `accepted: ${q.status}`);
        const opp = await api("GET", `/opportunities/${fx.opp.id}`);
        assert(opp.stage === "won" && opp.estimated_value === q.total, `the deal is won at the accepted total: ${opp.estimated_value} vs ${q.total}`);
      },
    },
    {
      name: "quoteconv: staff see the installation order with its part, planned work and proposed visit",
      fn: async () => {
        const orders = await api("GET", `/tickets?quote_id=${fx.quote.id}`);
        assert(orders.data.length === 1, `one installation order, the labour on it: ${orders.data.length}`);
        const order = orders.data[0];
        assert(order.assignee_id === fx.ana.id && order.site_id === fx.site.id, "assigned to the certified technician, at the site");
        const visits = await api("GET", `/appointments?ticket_id=${order.id}`);
        assert(visits.data.length === 1 && visits.data[0].status === "proposed", "a proposed visit");
        for (const [viewport, suffix] of [
          [undefined, "desktop"],
          [{ width: 390, height: 844 }, "phone"],
        ]) {
          const page = await newPage(viewport);
          await signIn(page);
          await page.goto(`${server.url}/tickets/${order.id}`);
          await page.getByRole("heading", { name: /Install: 48-port PoE switch/ }).waitFor();
          const facts = page.getByRole("complementary", { name: "Service order facts" });
          await facts.getByText("proposed, to agree with the client").waitFor();
          await facts.getByText("Riverside clinic").first().waitFor();
          await facts.getByText("6 h", { exact: false }).first().waitFor();
          // the technician's name is looked up after the page: wait for it
          await facts.getByText("Ana Quinn").first().waitFor();
          await page.getByRole("tab", { name: "Parts" }).click();
          await page.getByRole("tabpanel").getByText("48-port PoE switch").first().waitFor();
          await shot(page, `quoteconv-order-${suffix}`, { fullPage: true });
          await page.context().close();
        }
      },
    },
  ];
}

await runAlone(import.meta.url, quoteconvTests);
