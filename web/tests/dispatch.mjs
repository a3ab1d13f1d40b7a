/*
 * dispatch.mjs - the browser tests of dispatch and a technician's day.
 * Fixtures through the API: a client with a site (address, phone) and a
 * contact, two technicians (Priya has a default work type), open service
 * orders. Then in the browser:
 *
 *   - the board opens on today; an order is dragged from the Unassigned
 *     queue onto Priya's row at 09:00: the visit is booked there (API) and
 *     the order, which had nobody, is Priya's;
 *   - that visit is dragged an hour later onto Leo's row (moved and
 *     reassigned), then its right edge an hour further (ends later);
 *   - an order is booked without dragging: its queue card opens the
 *     booking form (keyboard: Enter);
 *   - at 390 px the day is a list per technician with no sideways scroll;
 *   - Priya's "My day" shows her visit with the site's address, a map
 *     link and the contact's tel: link; Check in, Check out: a time entry
 *     of her default work type lands on the order;
 *   - resolving the order on its page closes its open visits: one still
 *     to come is cancelled, one already begun is done.
 *
 * Screenshots: dispatch-board-desktop, dispatch-board-phone,
 * dispatch-myday-desktop, dispatch-myday-phone.
 *
 *   node tests/dispatch.mjs      on its own (a fresh servio)
 *   from run.mjs:                import { dispatchTests } from "./dispatch.mjs";
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const PRIYA_EMAIL = "priya.dispatch@example.com";
const PRIYA_PASSWORD = "Priya-Field-Password-58";
const LEO_EMAIL = "leo.dispatch@example.com";
const LEO_PASSWORD = "Leo-Field-Password-77";

/* today (UTC: the test firm's zone and the browser's) at h:m, as the API writes it */
function todayAt(h, m = 0, dayOffset = 0) {
  const d = new Date();
  d.setUTCHours(0, 0, 0, 0);
  return new Date(d.getTime() + dayOffset * 86400000 + (h * 60 + m) * 60000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const TALL = { width: 1360, height: 2000 };

export function dispatchTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);

  /* the board's geometry: where hour h of a technician's row is on screen */
  async function laneX(page, name, hour) {
    const table = page.getByRole("table", { name: /^Visits on / });
    const h0 = Number(await table.getAttribute("data-hour-start"));
    const px = Number(await table.getAttribute("data-px-per-hour"));
    const lane = table.getByRole("row", { name }).getByRole("cell");
    await lane.scrollIntoViewIfNeeded();
    const box = await lane.boundingBox();
    return { x: box.x + (hour - h0) * px, y: box.y + box.height / 2 };
  }

  async function drag(page, from, to) {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down();
    await page.mouse.move(from.x + 10, from.y + 3, { steps: 2 });
    await page.mouse.move(to.x, to.y, { steps: 8 });
    await page.mouse.up();
  }

  async function center(locator) {
    const b = await locator.boundingBox();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  }

  return [
    {
      name: "dispatch: an order dragged from the queue onto a technician's time is booked and assigned",
      fn: async () => {
        fx.company = await api("POST", "/companies", { name: "Harbor Dental Group", kind: "client", phone: "+1 555 0100" });
        fx.site = await api("POST", "/sites", { company_id: fx.company.id, name: "Harbor Dental Downtown", address_line1: "12 Wharf Street", city: "Portland", postal_code: "04101", region: "ME", country: "US", phone: "+1 555 0111" });
        fx.contact = await api("POST", "/contacts", { company_id: fx.company.id, first_name: "Rosa", last_name: "Marquez", phone: "+1 555 0123", email: "rosa@harbor-dental.example" });
        fx.workType = await api("POST", "/work-types", { name: "Field service", hourly_rate: 11000 });
        fx.priya = await api("POST", "/users", { email: PRIYA_EMAIL, name: "Priya Patel", role: "technician", password: PRIYA_PASSWORD, default_work_type_id: fx.workType.id });
        fx.leo = await api("POST", "/users", { email: LEO_EMAIL, name: "Leo Novak", role: "technician", password: LEO_PASSWORD });
        fx.chair = await api("POST", "/tickets", { subject: "Dental chair light flickers", company_id: fx.company.id, site_id: fx.site.id, contact_id: fx.contact.id, priority: "high" });
        fx.xray = await api("POST", "/tickets", { subject: "X-ray sensor not detected", company_id: fx.company.id, site_id: fx.site.id, contact_id: fx.contact.id, priority: "critical" });
        assert(!fx.chair.assignee_id, "the order starts unassigned");

        // tall enough that the queue and every technician's row are on screen at once: a
        // drag starts and ends in view (the full suite has a dozen technicians and many orders)
        const page = await newPage(TALL);
        fx.page = page;
        await signIn(page);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dispatch" }).click();
        const table = page.getByRole("table", { name: /^Visits on / });
        await table.waitFor();
        const todayName = new Intl.DateTimeFormat("en-US", { weekday: "long", day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }).format(new Date());
        assert((await table.getAttribute("aria-label")) === `Visits on ${todayName}`, "the board opens on today");
        const queue = page.getByRole("region", { name: "Unassigned" });
        const card = queue.getByRole("button", { name: new RegExp(`${fx.chair.number} Dental chair light flickers`) });
        // the client's name is looked up after the card is drawn: wait for it
        await card.getByText("Harbor Dental Group").waitFor();
        const text = (await card.innerText()).replace(/\s+/g, " ");
        assert(text.includes("Harbor Dental Group") && text.includes("High") && text.includes("Unassigned"), `the card shows client, priority and assignee: ${text}`);

        await card.scrollIntoViewIfNeeded();
        const target = await laneX(page, "Priya Patel", 9.03);
        await drag(page, await center(card), target);
        await page.getByText(`Visit booked for ${fx.chair.number}`).waitFor();
        const visits = (await api("GET", `/appointments?ticket_id=${fx.chair.id}`)).data;
        assert(visits.length === 1, `one visit booked, got ${visits.length}`);
        fx.visit = visits[0];
        assert(fx.visit.user_id === fx.priya.id && fx.visit.starts_at === todayAt(9) && fx.visit.ends_at === todayAt(11), `booked for Priya 09:00-11:00, got ${JSON.stringify(fx.visit)}`);
        assert(fx.visit.site_id === fx.site.id, "at the order's site");
        assert((await api("GET", `/tickets/${fx.chair.id}`)).assignee_id === fx.priya.id, "the order is Priya's now");
        // the card left the queue and the visit shows on her row with order, client and priority
        await card.waitFor({ state: "detached" });
        const block = table.getByRole("row", { name: "Priya Patel" }).getByRole("button", { name: /Dental chair light flickers/ });
        await block.getByText("Harbor Dental Group").waitFor();
        const btext = (await block.innerText()).replace(/\s+/g, " ");
        assert(btext.includes(fx.chair.number) && btext.includes("Harbor Dental Group") && btext.includes("High"), `the visit card: ${btext}`);
        await page.setViewportSize({ width: 1360, height: 900 });
        await shot(page, "dispatch-board-desktop");
        await page.setViewportSize(TALL);
      },
    },
    {
      name: "dispatch: a visit is moved to another technician and an hour later, then lengthened by its edge",
      fn: async () => {
        const page = fx.page;
        const table = page.getByRole("table", { name: /^Visits on / });
        const block = table.getByRole("row", { name: "Priya Patel" }).getByRole("button", { name: /Dental chair light flickers/ });
        const from = await center(block);
        const leoRow = await laneX(page, "Leo Novak", 9);
        await drag(page, from, { x: from.x + (await laneX(page, "Leo Novak", 10)).x - leoRow.x, y: leoRow.y });
        await page.getByText("Visit moved").waitFor();
        let v = await api("GET", `/appointments/${fx.visit.id}`);
        assert(v.user_id === fx.leo.id && v.starts_at === todayAt(10) && v.ends_at === todayAt(12), `moved to Leo 10:00-12:00, got ${v.user_id} ${v.starts_at}-${v.ends_at}`);

        const moved = table.getByRole("row", { name: "Leo Novak" }).getByRole("button", { name: /Dental chair light flickers/ });
        await moved.waitFor();
        // the hours after noon are off to the right: scroll the timeline (the names stay)
        await page.locator(".dtl-wrap").evaluate((el) => (el.scrollLeft = 400));
        const edge = page.locator(`[data-resize="${fx.visit.id}"]`);
        const e0 = await center(edge);
        const hourPx = Number(await table.getAttribute("data-px-per-hour"));
        await drag(page, e0, { x: e0.x + hourPx, y: e0.y });
        await page.getByText(/Visit now ends at/).waitFor();
        v = await api("GET", `/appointments/${fx.visit.id}`);
        assert(v.starts_at === todayAt(10) && v.ends_at === todayAt(13), `ends at 13:00, got ${v.ends_at}`);
        const names = await table.getByRole("rowheader").allInnerTexts();
        assert(names.some((n) => n.includes("Leo Novak")), "the technician names stay in view while the hours scroll");
        const sticky = await table.getByRole("row", { name: "Leo Novak" }).getByRole("rowheader").boundingBox();
        const wrap = await page.locator(".dtl-wrap").boundingBox();
        assert(Math.abs(sticky.x - wrap.x) <= 2, `the technician column is fixed at the left while scrolled (${sticky.x} vs ${wrap.x})`);
      },
    },
    {
      name: "dispatch: an order is booked from the keyboard through its card's form",
      fn: async () => {
        const page = fx.page;
        const card = page.getByRole("region", { name: "Unassigned" }).getByRole("button", { name: new RegExp(`${fx.xray.number} X-ray sensor`) });
        await card.focus();
        await page.keyboard.press("Enter");
        const dlg = page.getByRole("dialog", { name: "Book an appointment" });
        await dlg.waitFor();
        await dlg.getByLabel("Technician").selectOption({ label: "Priya Patel (technician)" });
        const day = todayAt(0).slice(0, 10);
        await dlg.getByLabel("Starts").fill(`${day}T07:00`);
        await dlg.getByLabel("Ends").fill(`${day}T08:00`);
        await dlg.getByRole("button", { name: "Book" }).click();
        await dlg.waitFor({ state: "detached" });
        const visits = (await api("GET", `/appointments?ticket_id=${fx.xray.id}`)).data;
        assert(visits.length === 1 && visits[0].user_id === fx.priya.id && visits[0].starts_at === todayAt(7), `booked from the form: ${JSON.stringify(visits)}`);
        fx.xrayVisit = visits[0];
        assert((await api("GET", `/tickets/${fx.xray.id}`)).assignee_id === fx.priya.id, "the order is assigned to whom it was booked for");
        await card.waitFor({ state: "detached" });
      },
    },
    {
      name: "dispatch: on a phone the day is a list per technician without sideways scrolling",
      fn: async () => {
        const phone = await newPage({ width: 390, height: 844 });
        await signIn(phone);
        await phone.goto(server.url + "/dispatch");
        const priya = phone.getByRole("region", { name: "Priya Patel" });
        await priya.getByRole("button", { name: /X-ray sensor|07:00 to 08:00/ }).waitFor();
        await phone.getByRole("region", { name: "Leo Novak" }).getByRole("button", { name: /Dental chair light flickers/ }).waitFor();
        const over = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert(over <= 0, `no horizontal overflow at 390 px (${over} px too wide)`);
        await shot(phone, "dispatch-board-phone", { fullPage: true });
        await phone.context().close();
      },
    },
    {
      name: "dispatch: my day shows the address and phone, and check-in/check-out logs the time",
      fn: async () => {
        const page = await newPage();
        await signIn(page, PRIYA_EMAIL, PRIYA_PASSWORD);
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "My day" }).click();
        await page.getByRole("heading", { name: "My day" }).waitFor();
        const item = page.getByRole("list", { name: "Visits" }).getByRole("listitem").filter({ hasText: fx.xray.number });
        await item.getByText("12 Wharf Street").waitFor();
        await item.getByText("Rosa Marquez").waitFor();
        const tel = item.getByRole("link", { name: /Call Rosa Marquez/ });
        assert((await tel.getAttribute("href")) === "tel:+15550123", "the contact's phone is a tel: link");
        assert(((await item.getByRole("link", { name: "Map" }).getAttribute("href")) ?? "").includes("12%20Wharf%20Street"), "a map link for the address");
        await shot(page, "dispatch-myday-desktop");

        const phone = await newPage({ width: 390, height: 844 });
        await signIn(phone, PRIYA_EMAIL, PRIYA_PASSWORD);
        await phone.goto(server.url + "/my-day");
        const pitem = phone.getByRole("list", { name: "Visits" }).getByRole("listitem").filter({ hasText: fx.xray.number });
        await pitem.getByRole("button", { name: "Check in" }).click();
        await pitem.getByRole("button", { name: "Check out" }).waitFor();
        await pitem.getByText(/Checked in \d\d:\d\d/).waitFor();
        let v = await api("GET", `/appointments/${fx.xrayVisit.id}`);
        assert(v.status === "in_progress" && v.checked_in_at, "checked in (API)");
        assert((await api("GET", `/tickets/${fx.xray.id}`)).status === "in_progress", "the order's work started");
        const over = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert(over <= 0, `my day fits 390 px (${over} px too wide)`);
        await shot(phone, "dispatch-myday-phone", { fullPage: true });
        await pitem.getByRole("button", { name: "Check out" }).click();
        await pitem.getByText(/logged/).waitFor();
        v = await api("GET", `/appointments/${fx.xrayVisit.id}`);
        assert(v.status === "done" && v.checked_out_at && v.time_entry_id, `checked out with a time entry: ${JSON.stringify(v)}`);
        const te = await api("GET", `/time-entries/${v.time_entry_id}`);
        assert(te.ticket_id === fx.xray.id && te.user_id === fx.priya.id && te.work_type_id === fx.workType.id && te.minutes >= 1 && te.started_at === v.checked_in_at, `the time entry: ${JSON.stringify(te)}`);
        // the order's visits say when the technician was on site
        await page.goto(server.url + `/tickets/${fx.xray.id}`);
        await page.getByText(/On site from .+ to .+/).waitFor();
        await phone.context().close();
        await page.context().close();
      },
    },
    {
      name: "dispatch: resolving an order closes its open visits",
      fn: async () => {
        const later = await api("POST", "/appointments", { ticket_id: fx.xray.id, user_id: fx.priya.id, starts_at: todayAt(15, 0, 1), ends_at: todayAt(16, 0, 1), title: "Follow-up calibration" });
        const begun = await api("POST", "/appointments", { ticket_id: fx.xray.id, user_id: fx.leo.id, starts_at: todayAt(15, 0, -1), ends_at: todayAt(16, 0, -1), title: "Sensor swap" });
        const page = fx.page;
        await page.goto(server.url + `/tickets/${fx.xray.id}`);
        await page.getByRole("button", { name: "Resolve" }).click();
        const dlg = page.getByRole("dialog", { name: /Resolve/ });
        await dlg.getByLabel("Resolution").fill("Replaced the sensor cable; images come through.");
        await dlg.getByRole("button", { name: "Resolve" }).click();
        await dlg.waitFor({ state: "detached" });
        assert((await api("GET", `/tickets/${fx.xray.id}`)).status === "resolved", "resolved");
        const l = await api("GET", `/appointments/${later.id}`);
        const b = await api("GET", `/appointments/${begun.id}`);
        assert(l.status === "cancelled", `the visit still to come is cancelled, got ${l.status}`);
        assert(b.status === "done", `the visit already begun is done, got ${b.status}`);
        const audit = (await api("GET", `/audit?resource=appointments&record_id=${later.id}`)).data;
        assert(audit.some((a) => a.action === "update" && a.after.status === "cancelled"), "the closing is audited");
      },
    },
    {
      name: "dispatch: an admin gives a technician the default work type check-out logs",
      fn: async () => {
        const page = fx.page;
        await page.goto(server.url + "/settings/users");
        await page.getByRole("table", { name: "Users" }).getByRole("button", { name: "Edit Leo Novak" }).click();
        const dlg = page.getByRole("dialog", { name: "Edit Leo Novak" });
        await dlg.getByLabel("Default work type").selectOption({ label: "Field service" });
        await dlg.getByRole("button", { name: /^Save/ }).click();
        await dlg.waitFor({ state: "detached" });
        const leo = await api("GET", `/users/${fx.leo.id}`);
        assert(leo.default_work_type_id === fx.workType.id, `Leo's default work type: ${leo.default_work_type_id}`);
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, dispatchTests);
