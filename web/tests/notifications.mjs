/*
 * notifications.mjs - the browser tests of staff notifications. Fixtures
 * through the API: a client and a technician. Then in the browser:
 *
 *   - the admin (through the API) assigns a service order to the
 *     technician: signed in, the technician's bell says one unread; the
 *     panel lists it; opening it goes to the order and the count clears;
 *   - two more orders assigned: the bell counts two (after a reload: the
 *     bell polls), and "Mark all read" clears them;
 *   - nobody else's count moves: the admin, who did the assigning, hears
 *     of none of it;
 *   - the account menu's Notifications page lists every notification;
 *     unticking "Assigned to me" and saving keeps it (the API says so, and
 *     a reload shows it).
 *
 * Screenshots: notifications-bell, notifications-page.
 *
 * Two ways to run it:
 *   node tests/notifications.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                     import { notificationTests } from "./notifications.mjs";
 *                                     tests.push(...notificationTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

const NORA_EMAIL = "nora.notify@example.com";
const NORA_PASSWORD = "Nora-Notify-Password-42";

export function notificationTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const asNora = (m, p, b) => api(m, p, b, { token: fx.noraToken });
  const assign = (subject) => api("POST", "/tickets", { subject, company_id: fx.company.id, assignee_id: fx.nora.id });
  const bell = (p) => p.getByRole("button", { name: /^Notifications/ });

  return [
    {
      name: "notifications: the bell counts what was assigned to you, opening one goes there",
      fn: async () => {
        fx.company = await api("POST", "/companies", { name: "Bellwether Ltd", kind: "client" });
        fx.nora = await api("POST", "/users", { email: NORA_EMAIL, name: "Nora Notify", role: "technician", password: NORA_PASSWORD });
        fx.noraToken = server.tokenFor(NORA_EMAIL);
        fx.adminUnread = (await api("GET", "/me/notifications/count")).unread;
        fx.first = await assign("Scanner offline on floor 3");
        const page = await newPage();
        fx.page = page;
        await signIn(page, NORA_EMAIL, NORA_PASSWORD);
        await page.getByRole("button", { name: "Notifications, 1 unread" }).waitFor();
        await bell(page).click();
        const panel = page.getByRole("dialog", { name: "Notifications" });
        const item = panel.getByRole("link", { name: new RegExp(fx.first.number) });
        await item.waitFor();
        assert((await item.innerText()).includes("Scanner offline on floor 3"), "the item shows the order's subject");
        await shot(page, "notifications-bell");
        await item.click();
        await page.waitForURL((u) => u.pathname === `/tickets/${fx.first.id}`);
        await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
        const mine = await asNora("GET", "/me/notifications");
        assert(mine.data.length === 1 && mine.data[0].read === true, "opening it marked it read");
      },
    },
    {
      name: "notifications: two more, mark all read clears the count",
      fn: async () => {
        const page = fx.page;
        await assign("Wi-Fi drops in the warehouse");
        await assign("Label printer prints blank");
        await page.reload();
        await page.getByRole("button", { name: "Notifications, 2 unread" }).waitFor();
        await bell(page).click();
        const panel = page.getByRole("dialog", { name: "Notifications" });
        await panel.getByRole("link", { name: /Label printer prints blank/ }).waitFor();
        assert((await panel.locator(".notif-item.is-unread").count()) === 2, "two unread items");
        await panel.getByRole("button", { name: "Mark all read" }).click();
        await page.getByRole("button", { name: "Notifications", exact: true }).waitFor();
        assert((await panel.locator(".notif-item.is-unread").count()) === 0, "none unread in the panel");
        const count = await asNora("GET", "/me/notifications/count");
        assert(count.unread === 0, `the server agrees: ${JSON.stringify(count)}`);
        await page.keyboard.press("Escape");
        await panel.waitFor({ state: "hidden" });
        // the admin, who assigned them, heard of none of it
        const admin = await api("GET", "/me/notifications/count");
        assert(admin.unread === fx.adminUnread, `the admin heard of none of it: ${JSON.stringify(admin)}`);
      },
    },
    {
      name: "notifications: the account page lists them and keeps the e-mail choices",
      fn: async () => {
        const page = fx.page;
        await page.getByRole("button", { name: /^Account:/ }).click();
        await page.getByRole("menuitem", { name: "Notifications" }).click();
        await page.waitForURL((u) => u.pathname === "/account/notifications");
        await page.getByRole("heading", { name: "Notifications", level: 1 }).waitFor();
        const list = page.locator(".notif-list-page .notif-item");
        await list.first().waitFor();
        assert((await list.count()) === 3, `three notifications listed: ${await list.count()}`);
        const assigned = page.getByLabel("Assigned to me");
        assert(await assigned.isChecked(), "every kind is e-mailed to start with");
        await assigned.uncheck();
        await page.getByRole("button", { name: "Save e-mail choices" }).click();
        await page.getByText("E-mail choices saved").waitFor();
        await shot(page, "notifications-page");
        const settings = await asNora("GET", "/me/notification-settings");
        assert(!settings.email.includes("assigned") && settings.email.includes("sla_warning"), `saved: ${JSON.stringify(settings)}`);
        await page.reload();
        await page.getByLabel("SLA warnings").waitFor();
        assert(!(await page.getByLabel("Assigned to me").isChecked()), "the choice stays after a reload");
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, notificationTests);
