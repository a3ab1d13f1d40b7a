/*
 * firstday.mjs - the browser tests of issue 16's first day, points 1-3, on
 * the demo firm: a servio of its own whose data directory was filled as
 * make demo fills it (servio init with the demo's admin, servio demo with
 * one fresh password, the logins in demo-logins.txt), then served, with
 * the SLA sweep and the service desk job run once as the served worker
 * runs them every minute.
 *
 *   - every login the demo printed signs in through the form (staff at
 *     /signin, the portal's clients at /portal/signin; the password is the
 *     one the demo printed) and lands on real content;
 *   - for each role, the dashboard, the order list, an order with its
 *     history, dispatch, quotes and invoices (where the role has them) show
 *     no raw data: no "undefined", "null", "NaN", "[object Object]", ISO
 *     timestamps or JSON;
 *   - the order list shows a few orders breached or at risk and most fine;
 *   - the history reads as sentences: the SLA warnings the sweep fired
 *     ("Response clock 75 % used"), a reopen with its reason, an order the
 *     service desk closed by itself, a contract changed (by its name);
 *   - the assign dialog gives a candidate's missing skill as a sentence;
 *   - the SLA explanation reads right for a 24×7 policy and for business
 *     hours (no "working" time around the clock), and with a resolution
 *     target alone ("A resolution is due after 10 h.");
 *   - "Last activity" in the list keeps to what people did: the sweep's
 *     write leaves it, a note moves it.
 *
 * Screenshots: firstday-dashboard, firstday-orders, firstday-order (with
 * its history and the SLA explanation), each -desktop and -phone.
 *
 * Two ways to run it:
 *   node tests/firstday.mjs     on its own (a fresh servio, like run.mjs)
 *   from run.mjs:               import { firstdayTests } from "./firstday.mjs";
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assert, pageTools, runAlone, screenshotDir, Server } from "./harness.mjs";

const PHONE = { width: 390, height: 844 };

/* Text that is data, not words: what no screen of the demo may show. */
const RAW = [
  [/\bundefined\b/, "undefined"],
  [/\bnull\b/, "null"],
  [/\bNaN\b/, "NaN"],
  [/\[object \w+\]/, "[object Object]"],
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, "an ISO timestamp"],
  [/\{\s*"/, "JSON"],
];

/* The logins servio demo printed: its password and each e-mail address with its role. */
export function parseLogins(text) {
  const password = /sign in with password (\S+) as:/.exec(text)?.[1];
  const logins = [];
  for (const line of text.split("\n")) {
    const m = /^\s+(\S+@\S+)\s+(portal \w+|\w+)\s*$/.exec(line);
    if (m) logins.push({ email: m[1], role: m[2], portal: m[2].startsWith("portal") });
  }
  return { password, logins };
}

export function firstdayTests(ctx) {
  const { browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const { newPage, shot } = pageTools(ctx, shots, pageErrors);
  const fx = {};
  let server = null;
  const api = (m, p, b, h) => server.api(m, p, b, h);

  async function text(locator) {
    return (await locator.innerText()).replace(/\s+/g, " ").trim();
  }

  /** Signs in through the staff form; waits for the first page's heading. */
  async function signIn(p, email, password) {
    await p.goto(server.url + "/signin");
    await p.getByLabel("E-mail").fill(email);
    await p.getByLabel("Password").fill(password);
    await p.getByRole("button", { name: "Sign in" }).click();
    await p.waitForURL((u) => !u.pathname.startsWith("/signin"));
    await p.locator("main h1").first().waitFor();
  }

  /** The page's main content once nothing in it is loading any more. */
  async function settled(p) {
    await p.locator("main h1").first().waitFor();
    await p.waitForFunction(() => !document.querySelector("main .loading, main [aria-busy=true]"));
    return (await p.locator("main").innerText()).replace(/[ \t]+/g, " ");
  }

  /** Each kind of raw data in the text, with the line it is on. */
  function rawIn(where, body) {
    const found = [];
    for (const [re, what] of RAW) {
      const m = re.exec(body);
      if (m) {
        const end = body.indexOf("\n", m.index);
        const line = body.slice(body.lastIndexOf("\n", m.index) + 1, end < 0 ? undefined : end);
        found.push(`${where}: ${what} in "${line.trim().slice(0, 160)}"`);
      }
    }
    return found;
  }

  /** Every open order of the demo, through the API. */
  async function openOrders() {
    const out = [];
    let cursor = null;
    do {
      const r = await api("GET", `/tickets?limit=100&status=new,assigned,in_progress,waiting_customer,waiting_parts,escalated${cursor ? "&cursor=" + cursor : ""}`);
      out.push(...r.data);
      cursor = r.next_cursor;
    } while (cursor);
    return out;
  }

  async function openHistory(p, id) {
    await p.goto(`${server.url}/tickets/${id}`);
    await p.getByRole("tab", { name: "History" }).click();
    const list = p.getByRole("list", { name: "History" });
    await list.waitFor();
    return list;
  }

  return [
    {
      name: "firstday: the demo firm is loaded into its own data directory and served, as make demo does",
      fn: async () => {
        server = new Server({ demo: true });
        await server.start();
        // the logins as make demo keeps them for the next run
        const printed = readFileSync(join(server.dir, "demo-logins.txt"), "utf8");
        const { password, logins } = parseLogins(printed);
        assert(password && password.endsWith("-Demo"), `the demo printed its password: ${printed}`);
        const roles = new Set(logins.map((l) => l.role));
        for (const r of ["admin", "manager", "technician", "sales", "billing", "portal admin"])
          assert(roles.has(r), `a login for the role ${r}: ${printed}`);
        assert(logins.find((l) => l.role === "admin").email === server.adminEmail, "the admin servio init made shares the demo's password");
        fx.password = password;
        fx.logins = logins;
        // what the served worker does within its first minute, done now so the pages are sure of it
        server.cli("worker", "--run", "sla");
        server.cli("worker", "--run", "service-desk");
        fx.open = await openOrders();
        assert(fx.open.length >= 10, `the demo has open orders (${fx.open.length})`);
      },
    },
    {
      name: "firstday: every login the demo printed signs in through the form and lands on real content",
      fn: async () => {
        assert(fx.logins, "the demo is loaded");
        const problems = [];
        for (const l of fx.logins) {
          const p = await newPage();
          try {
            if (l.portal) {
              await p.goto(server.url + "/portal/signin");
              await p.getByLabel("E-mail").fill(l.email);
              await p.getByLabel("Password").fill(fx.password);
              await p.getByRole("button", { name: "Sign in" }).click();
              // the portal's admin lands on the tickets, its billing contact on the invoices
              await p.waitForURL((u) => u.pathname.startsWith("/portal/") && u.pathname !== "/portal/signin");
              await p.getByRole("navigation", { name: "Portal" }).waitFor();
              const landing = new URL(p.url()).pathname;
              if (landing === "/portal/invoices") {
                await p.getByRole("list", { name: "Invoices" }).locator("li").first().waitFor();
              } else {
                assert(landing === "/portal/tickets", `${l.email} lands on the tickets or the invoices, not ${landing}`);
                await p.getByRole("group", { name: "Which tickets" }).getByRole("button", { name: "All" }).click();
                await p.getByRole("list", { name: "Tickets" }).getByRole("link").first().waitFor();
              }
              problems.push(...rawIn(`${l.email} ${landing}`, await p.locator("main").innerText()));
            } else {
              await signIn(p, l.email, fx.password);
              assert(new URL(p.url()).pathname === "/", `${l.email} lands on the dashboard, not ${p.url()}`);
              const body = await settled(p);
              assert(/Dashboard/.test(await text(p.locator("main h1").first())), `${l.email}: the dashboard's heading`);
              // real content, not only empty boxes: the service desk sees the firm's orders and
              // visits, sales its quotes waiting for the client, billing its invoices
              const want = l.role === "sales" ? /^\/quotes\/\d+/ : l.role === "billing" ? /^\/invoices\/\d+/ : /^\/(tickets|appointments)\/\d+/;
              const links = await p.locator("main a[href]").evaluateAll((as, re) => as.map((a) => a.getAttribute("href")).filter((h) => new RegExp(re).test(h)), want.source);
              assert(links.length > 0, `${l.email} (${l.role}) sees their work on the dashboard:\n${body}`);
              // the team's SLA risk lists the orders past 75 % of a target, not only the breached ones
              if (l.role === "manager") await p.locator(".card", { hasText: "Team SLA risk" }).getByText(/ left$/).first().waitFor();
              problems.push(...rawIn(`${l.email} dashboard`, body));
            }
          } finally {
            await p.context().close();
          }
        }
        assert(problems.length === 0, "raw data on a landing page:\n" + problems.join("\n"));
      },
    },
    {
      name: "firstday: each role's screens show words, not raw data",
      fn: async () => {
        assert(fx.logins, "the demo is loaded");
        const problems = [];
        const seen = new Set();
        for (const l of fx.logins) {
          if (l.portal || seen.has(l.role)) continue;
          seen.add(l.role);
          const p = await newPage();
          try {
            await signIn(p, l.email, fx.password);
            const nav = p.getByRole("navigation", { name: "Main" });
            const visit = async (label, path, ready) => {
              await p.goto(server.url + path);
              if (ready) await ready();
              problems.push(...rawIn(`${l.role} ${label}`, await settled(p)));
            };
            await visit("dashboard", "/");
            await visit("order list", "/tickets", () => p.getByRole("table", { name: "Service orders" }).locator("tbody tr").first().waitFor());
            // an order with its history: the first breached one, where the sweep wrote
            const order = fx.open.find((t) => t.response_breached || t.resolution_breached) ?? fx.open[0];
            await p.goto(`${server.url}/tickets/${order.id}`);
            await p.getByRole("tab", { name: "History" }).click();
            await p.getByRole("list", { name: "History" }).waitFor();
            await p.getByText("Why these due times?").click();
            problems.push(...rawIn(`${l.role} order ${order.number}`, await settled(p)));
            await visit("dispatch", "/dispatch");
            if (await nav.getByRole("link", { name: "Quotes" }).count())
              await visit("quotes", "/quotes", () => p.getByRole("table", { name: "Quotes" }).locator("tbody tr").first().waitFor());
            if (await nav.getByRole("link", { name: "Invoices" }).count())
              await visit("invoices", "/invoices", () => p.getByRole("table", { name: "Invoices" }).locator("tbody tr").first().waitFor());
          } finally {
            await p.context().close();
          }
        }
        assert(seen.size >= 5, `five staff roles looked at: ${[...seen]}`);
        assert(problems.length === 0, "raw data on the screens:\n" + problems.join("\n"));
      },
    },
    {
      name: "firstday: screenshots of the demo's dashboard, order list and an order at desktop and phone size",
      fn: async () => {
        assert(fx.logins, "the demo is loaded");
        const admin = fx.logins.find((l) => l.role === "admin");
        const order = fx.open.find((t) => t.response_breached || t.resolution_breached) ?? fx.open[0];
        for (const [size, viewport] of [["desktop", undefined], ["phone", PHONE]]) {
          const p = await newPage(viewport);
          try {
            await signIn(p, admin.email, fx.password);
            await settled(p);
            await shot(p, `firstday-dashboard-${size}`, { fullPage: true });
            await p.goto(server.url + "/tickets");
            await p.getByRole("table", { name: "Service orders" }).locator("tbody tr").first().waitFor();
            await settled(p);
            await shot(p, `firstday-orders-${size}`, { fullPage: true });
            await openHistory(p, order.id);
            await p.getByText("Why these due times?").click();
            await p.locator(".sla-explain p").first().waitFor();
            await settled(p);
            await shot(p, `firstday-order-${size}`, { fullPage: true });
          } finally {
            await p.context().close();
          }
        }
      },
    },
    {
      name: "firstday: the order list shows a few orders breached or at risk, most within their SLA",
      fn: async () => {
        assert(fx.logins, "the demo is loaded");
        const p = await newPage();
        try {
          await signIn(p, fx.logins.find((l) => l.role === "manager").email, fx.password);
          await p.goto(server.url + "/tickets");
          const table = p.getByRole("table", { name: "Service orders" });
          await table.locator("tbody tr").first().waitFor();
          await settled(p);
          // every open order on one page
          while (await p.getByRole("button", { name: "Load more" }).count()) {
            const n = await table.locator("tbody tr").count();
            await p.getByRole("button", { name: "Load more" }).click();
            await p.waitForFunction((k) => document.querySelectorAll("table[aria-label='Service orders'] tbody tr").length > k, n);
          }
          const rows = await table.locator("tbody tr").count();
          const col = (await table.locator("thead th").allTextContents()).findIndex((h) => h.trim() === "SLA") + 1;
          assert(col > 0, "the list has an SLA column");
          const sla = table.locator(`tbody tr td:nth-child(${col})`);
          const breached = await sla.locator(".badge-red").count();
          const atRisk = await sla.locator(".badge-amber-strong").count();
          const fine = await sla.locator(".badge-green-soft").count();
          const words = (await sla.allInnerTexts()).map((t) => t.trim());
          assert(breached >= 1, `at least one order breached: ${words.join(" | ")}`);
          assert(atRisk >= 1, `at least one order at risk: ${words.join(" | ")}`);
          assert(breached < fine && breached + atRisk < fine, `most within their SLA: ${breached} breached, ${atRisk} at risk, ${fine} fine of ${rows}`);
          assert(/overdue \d/.test(await sla.locator(".badge-red").first().innerText()), "a breach says how long overdue");
        } finally {
          await p.context().close();
        }
      },
    },
    {
      name: "firstday: the history reads as sentences: SLA warnings, a reopen with its reason, an order closed by itself, a contract by its name",
      fn: async () => {
        assert(fx.open, "the demo is loaded");
        const admin = fx.logins.find((l) => l.role === "admin");
        const p = await newPage();
        await signIn(p, admin.email, fx.password);
        // the demo's breached orders: the sweep fired their warnings
        const breached = fx.open.filter((t) => t.response_breached || t.resolution_breached);
        assert(breached.length >= 1, "the sweep found a breached order");
        const warned = breached[0];
        const events = (await api("GET", `/tickets/${warned.id}/history?kind=sla_warning`)).data;
        assert(events.length >= 1, `the sweep fired warnings on ${warned.number}`);
        const list = await openHistory(p, warned.id);
        await list.getByText(/clock \d+ % used/).first().waitFor();
        const items = (await list.locator("li").allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
        for (const e of events) {
          const sentence = `${e.from_value === "response" ? "Response" : "Resolution"} clock ${e.to_value} % used`;
          assert(items.some((i) => i.startsWith(sentence) && i.includes("System")), `"${sentence}" by System in the history: ${items.join(" | ")}`);
        }
        assert(items.some((i) => /^Response clock 75 % used|^Resolution clock 75 % used/.test(i)), `a 75 % warning: ${items.join(" | ")}`);
        assert(items.every((i) => !/sla_warning|Sla warning/i.test(i)), "no event names");

        // a resolved order the client says is not fixed, reopened with the reason
        const resolved = (await api("GET", "/tickets?status=resolved&limit=1")).data[0];
        assert(resolved, "the demo has a resolved order");
        await api("POST", `/tickets/${resolved.id}/reopen`, { reason: "The scanner still drops off the network every afternoon" }, { "If-Match": "*" });
        const reopened = await openHistory(p, resolved.id);
        await reopened.getByText("Reopened: The scanner still drops off the network every afternoon").waitFor();

        // the service desk job closed the demo's old resolved orders nobody answered
        const closed = (await api("GET", "/tickets?status=closed&limit=100")).data;
        let auto = null;
        for (const t of closed) {
          const h = (await api("GET", `/tickets/${t.id}/history?kind=autoclose`)).data;
          if (h.length) {
            auto = { t, e: h[0] };
            break;
          }
        }
        assert(auto, "the service desk job closed an order by itself");
        const days = JSON.parse(auto.e.detail).after_days;
        const closedList = await openHistory(p, auto.t.id);
        const sentence = `Closed by itself: no answer from the client within ${days} days of the resolution`;
        await closedList.getByText(sentence).waitFor();
        // the order was resolved longer ago than that: the sentence does not claim "resolved 7 days ago"
        const all = (await closedList.locator("li").allInnerTexts()).join(" | ");
        assert(!/resolved \d+ days? ago/.test(all), `no wrong age of the resolution: ${all}`);

        // a contract taken off an order and put back: named, not "#12"
        const withContract = [...fx.open].reverse().find((t) => t.contract_id && !t.response_breached && !t.resolution_breached);
        assert(withContract, "an open order under a contract");
        const contract = await api("GET", `/contracts/${withContract.contract_id}`);
        await api("PATCH", `/tickets/${withContract.id}`, { contract_id: null }, { "If-Match": "*" });
        await api("PATCH", `/tickets/${withContract.id}`, { contract_id: contract.id }, { "If-Match": "*" });
        const contractList = await openHistory(p, withContract.id);
        await contractList.getByText(`Contract removed (was ${contract.name})`).waitFor();
        await contractList.getByText(`Contract set to ${contract.name}`).waitFor();
        assert(!/#\d/.test(await contractList.innerText()), "no record ids in the history");
        await p.context().close();
      },
    },
    {
      name: "firstday: the assign dialog says in words which skill a candidate lacks",
      fn: async () => {
        assert(fx.open, "the demo is loaded");
        const order = fx.open.find((t) => (t.required_skills ?? []).length === 1);
        assert(order, "an open demo order needs a skill");
        const skill = order.required_skills[0];
        const cands = (await api("GET", `/tickets/${order.id}/candidates`)).candidates;
        const lacking = cands.find((c) => c.skills_missing?.includes(skill));
        assert(lacking, `someone lacks ${skill}`);
        const p = await newPage();
        try {
          await signIn(p, fx.logins.find((l) => l.role === "manager").email, fx.password);
          await p.goto(`${server.url}/tickets/${order.id}`);
          await p.getByRole("button", { name: "Assign" }).click();
          const dlg = p.getByRole("dialog", { name: /Assign/ });
          const ranked = dlg.getByRole("list", { name: "Ranked candidates" });
          const card = ranked.locator("li.candidate").filter({ hasText: lacking.name });
          await card.waitFor();
          const words = await text(card);
          assert(words.includes("Missing requirements"), `marked as missing requirements: ${words}`);
          assert(words.includes(`lacks skill: ${skill}`), `"lacks skill: ${skill}" as a sentence: ${words}`);
          const able = ranked.locator("li.candidate").filter({ hasText: "has every required skill" });
          assert((await able.count()) >= 1, "someone has the skill, in words");
          const raw = rawIn("the assign dialog", await dlg.innerText());
          assert(raw.length === 0, raw.join("\n"));
        } finally {
          await p.context().close();
        }
      },
    },
    {
      name: "firstday: the SLA explanation reads right around the clock and in business hours",
      fn: async () => {
        assert(fx.open, "the demo is loaded");
        const policies = (await api("GET", "/sla-policies?limit=100")).data.filter((x) => fx.open.some((t) => t.sla_policy_id === x.id));
        const calendars = (await api("GET", "/calendars?limit=100")).data;
        const calendar = (x) => calendars.find((c) => c.id === x.calendar_id);
        const premium = policies.find((x) => calendar(x).always_open);
        const standard = policies.find((x) => !calendar(x).always_open);
        assert(premium && standard, `open orders under a 24×7 policy and under a business-hours one: ${policies.map((x) => x.name)}`);
        const p = await newPage();
        try {
          await signIn(p, fx.logins.find((l) => l.role === "manager").email, fx.password);
          for (const policy of [premium, standard]) {
            const order = fx.open.find((t) => t.sla_policy_id === policy.id && t.status !== "new") ?? fx.open.find((t) => t.sla_policy_id === policy.id);
            assert(order, `an open order under ${policy.name}`);
            await p.goto(`${server.url}/tickets/${order.id}`);
            await p.getByText("Why these due times?").click();
            const sla = p.locator(".sla");
            const why = await text(p.locator(".sla-explain p").first());
            const head = await text(p.locator(".sla-policy"));
            const facts = await text(sla.locator(".clock-facts").first());
            const steps = (await sla.locator(".sla-steps li").allInnerTexts()).map((t) => t.replace(/\s+/g, " "));
            assert(!/—\s*—|count only — around|,\s*,|\s[,.]/.test(why), `no garbled sentence: ${why}`);
            if (policy === premium) {
              assert(head.includes("24×7"), `the policy line says 24×7: ${head}`);
              assert(why.includes("run around the clock, nights, weekends and holidays included."), `around the clock: ${why}`);
              assert(!/working/.test(why), `no working time around the clock: ${why}`);
              assert(/A response is due after \S.*, a resolution after \S.*\./.test(why), `both targets: ${why}`);
              assert(!/working/.test(facts), `the target is no working time around the clock: ${facts}`);
              assert(steps.length > 0 && steps.every((s) => !/working|outside business hours/.test(s)), `the steps count plain time: ${steps.join(" | ")}`);
            } else {
              const tz = calendar(policy).timezone;
              assert(head.includes(`business hours, ${tz}`), `the policy line names the hours: ${head}`);
              assert(why.includes(`count only the working hours of the ${policy.name} policy's calendar (${tz}), skipping its holidays.`), `business hours: ${why}`);
              assert(/A response is due after \S.* of working time, a resolution after \S.*\./.test(why), `both targets: ${why}`);
              assert(/working/.test(facts), `the target is working time: ${facts}`);
              assert(steps.some((s) => /of working time counted/.test(s)), `the steps count working time: ${steps.join(" | ")}`);
            }
          }
          // a policy with a resolution target only: the lone target still says "is due"
          const always = calendars.find((c) => c.always_open);
          const lone = await api("POST", "/sla-policies", { name: "Resolution only", calendar_id: always.id, targets: [{ priority: "low", resolution_minutes: 600 }] });
          const company = fx.open[0].company_id;
          const contract = await api("POST", "/contracts", { company_id: company, name: "Best effort", kind: "time_materials", starts_on: "2026-01-01", sla_policy_id: lone.id });
          const t = await api("POST", "/tickets", { subject: "Label printer offline", company_id: company, contract_id: contract.id, priority: "low" });
          assert(t.sla_policy_id === lone.id, "the order is under the resolution-only policy");
          await p.goto(`${server.url}/tickets/${t.id}`);
          await p.getByText("Why these due times?").click();
          const why = await text(p.locator(".sla-explain p").first());
          assert(/ A resolution is due after 10 h\./.test(why) && !/response is due/.test(why), `the lone target: ${why}`);
          await p.locator(".sla").getByText("No target for this priority").waitFor();
        } finally {
          await p.context().close();
        }
      },
    },
    {
      name: "firstday: Last activity keeps to what people did: the sweep's write leaves it, a note moves it",
      fn: async () => {
        assert(fx.open, "the demo is loaded");
        const b = fx.open.find((t) => t.response_breached || t.resolution_breached);
        const t = await api("GET", `/tickets/${b.id}`);
        assert(t.updated_at > t.last_activity_at, `the sweep wrote to ${t.number} after its last activity (${t.updated_at}, ${t.last_activity_at})`);
        const p = await newPage();
        try {
          await signIn(p, fx.logins.find((l) => l.role === "manager").email, fx.password);
          const cell = async () => {
            await p.goto(`${server.url}/tickets?company_id=${t.company_id}`);
            const table = p.getByRole("table", { name: "Service orders" });
            const row = table.locator("tbody tr").filter({ hasText: t.subject });
            await row.waitFor();
            const col = (await table.locator("thead th").allTextContents()).findIndex((h) => h.trim() === "Last activity") + 1;
            assert(col > 0, "the list has a Last activity column");
            return row.locator(`td:nth-child(${col})`);
          };
          let c = await cell();
          const shown = await text(c);
          const expected = await p.evaluate((iso) => new Date(iso).toLocaleString(), t.last_activity_at);
          assert((await c.getAttribute("title")) === expected, `the cell is the last activity (${expected}), not the sweep's write: ${await c.getAttribute("title")}`);
          assert(/ ago$/.test(shown) && shown !== "now", `the last activity is a while ago: ${shown}`);

          await p.goto(`${server.url}/tickets/${t.id}`);
          const notes = p.getByRole("form", { name: "Add a note" });
          await notes.getByRole("textbox", { name: "Note" }).fill("Called the client: a technician is on the way.");
          await notes.getByRole("button", { name: "Add internal note" }).click();
          await p.getByRole("listitem", { name: /Internal note by Morgan/ }).waitFor();
          c = await cell();
          assert((await text(c)) === "now", `a note is activity: ${await text(c)}`);
          const after = await api("GET", `/tickets/${t.id}`);
          assert(after.last_activity_at > t.last_activity_at, "the API agrees");
        } finally {
          await p.context().close();
        }
      },
    },
    {
      // the last test: runs after any failure above, so the demo's server never outlives the file
      name: "firstday: the demo's servio stops cleanly",
      fn: async () => {
        if (!server) return;
        const s = server;
        server = null;
        await s.stop();
        const san = s.sanitizerLines();
        assert(san.length === 0, "no sanitizer reports in the demo server's log:\n" + san.join("\n"));
        assert(!s.result || s.result.code === 0, `servio serve exits 0 (${s.result?.code}, ${s.result?.sig})`);
      },
    },
  ];
}

await runAlone(import.meta.url, firstdayTests);
