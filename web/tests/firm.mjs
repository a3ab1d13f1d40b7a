/*
 * firm.mjs - the browser tests of Settings → Firm profile, as an admin:
 *
 *   - the letterhead: a logo uploaded (kept as a PNG), the address and the
 *     footer line, shown in the preview as documents lay them out;
 *   - region and money: time zone, currency, a tax rate in percent (one that
 *     is no percentage is refused beside its field), payment terms, labour
 *     taxed; saved, the API has them (the tax rate in basis points);
 *   - coverage hours: business hours changed to Mon–Fri 08:00–18:00 and
 *     saved, the "Business hours" and "Extended hours" calendars that quote
 *     acceptance counts on have those hours in the firm's time zone.
 *
 * The settings are put back afterwards, as later tests expect them.
 * Screenshots: firm-profile-desktop, firm-profile-phone, firm-coverage-desktop.
 *
 * Two ways to run it:
 *   node tests/firm.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:            import { firmTests } from "./firm.mjs";
 */
import { assert, pageTools, png, runAlone, screenshotDir } from "./harness.mjs";

const FOOTER = "Registered in Illinois No. 7781204 · EIN 36-4455120";

export function firmTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const fx = {};

  return [
    {
      name: "firm: the profile edits the letterhead, the region and the billing defaults",
      fn: async () => {
        fx.before = await server.api("GET", "/settings");
        const page = await newPage();
        await signIn(page);
        await page.goto(server.url + "/settings/firm");
        const form = page.getByRole("form", { name: "Firm profile" });
        await form.getByLabel("Firm name").waitFor();

        // a logo: any picture, kept as a PNG and shown at once
        const logo = png(180, 60, (x, y) => (x < 60 ? [20, 90, 160] : y < 30 ? [240, 170, 30] : [255, 255, 255]));
        await form.locator('input[type="file"]').setInputFiles({ name: "logo.png", mimeType: "image/png", buffer: logo });
        await form.getByRole("img", { name: "The firm's logo" }).waitFor();
        await form.getByLabel("Address").fill("200 Harbor Way\nSpringfield, IL 62701");
        await form.getByLabel("Footer line").fill(FOOTER);
        const preview = page.getByRole("figure", { name: "Letterhead preview" });
        await preview.getByText(FOOTER).waitFor();
        await preview.getByText("200 Harbor Way", { exact: false }).waitFor();

        await form.getByLabel("Time zone").selectOption("Europe/Berlin");
        await form.getByLabel("Currency").selectOption("EUR");
        await form.getByLabel("Payment terms (days)").fill("14");
        await form.getByLabel("Labour is taxed").setChecked(!fx.before.labor_taxable);
        // a tax rate that is no percentage is refused beside its field, nothing is sent
        const tax = form.getByLabel("Tax rate (%)");
        await tax.fill("nineteen");
        await form.getByRole("button", { name: "Save firm profile" }).click();
        await form.getByText("must be a percentage").waitFor();
        assert((await server.api("GET", "/settings")).version === fx.before.version, "nothing was saved");
        await tax.fill("19.5");
        await form.getByRole("button", { name: "Save firm profile" }).click();
        await page.getByText("Firm profile saved").first().waitFor();

        const s = await server.api("GET", "/settings");
        assert(s.tax_rate_bp === 1950, `tax in basis points: ${s.tax_rate_bp}`);
        assert(s.timezone === "Europe/Berlin" && s.currency === "EUR", `region: ${s.timezone} ${s.currency}`);
        assert(s.payment_terms_days === 14, `terms: ${s.payment_terms_days}`);
        assert(s.labor_taxable === !fx.before.labor_taxable, "labour taxed follows the box");
        assert(s.document_footer === FOOTER, `footer: ${s.document_footer}`);
        assert(s.address === "200 Harbor Way\nSpringfield, IL 62701", `address: ${s.address}`);
        assert(typeof s.logo_png === "string" && s.logo_png.startsWith("iVBORw0KGgo"), "the logo is kept as a PNG");
        // reloaded, the form shows what was saved
        await page.reload();
        await form.getByLabel("Tax rate (%)").waitFor();
        assert((await form.getByLabel("Tax rate (%)").inputValue()) === "19.5", "the tax rate reads back in percent");
        await form.getByRole("img", { name: "The firm's logo" }).waitFor();
        await shot(page, "firm-profile-desktop", { fullPage: true });

        const phone = await newPage({ width: 390, height: 844 });
        await signIn(phone);
        await phone.goto(server.url + "/settings/firm");
        await phone.getByRole("figure", { name: "Letterhead preview" }).getByText(FOOTER).waitFor();
        const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert(overflow <= 1, `the profile fits a phone (${overflow}px too wide)`);
        await shot(phone, "firm-profile-phone", { fullPage: true });
        await phone.context().close();

        // removing the logo clears it
        await form.getByRole("button", { name: "Remove logo" }).click();
        await form.getByRole("button", { name: "Save firm profile" }).click();
        await page.getByText("Firm profile saved").first().waitFor();
        const after = await server.api("GET", "/settings");
        assert(after.logo_png === null, "the logo is gone");
        fx.page = page;
      },
    },
    {
      name: "firm: coverage hours say what a quote's business hours promise",
      fn: async () => {
        const page = fx.page;
        const s = await server.api("GET", "/settings");
        const form = page.getByRole("form", { name: "Coverage hours" });
        const business = form.getByRole("group", { name: /^Business hours/ });
        await business.getByLabel("Monday closes").waitFor();
        for (const day of ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]) await business.getByLabel(`${day} closes`).fill("18:00");
        await business.getByText("(Mon–Fri 08:00–18:00)").waitFor();
        await form.getByRole("group", { name: /^Extended hours/ }).getByText("(Mon–Sat 07:00–20:00)").waitFor();
        await form.getByRole("button", { name: "Save coverage hours" }).click();
        await page.getByText("Coverage hours saved").first().waitFor();
        await shot(page, "firm-coverage-desktop", { fullPage: true });

        const cals = (await server.api("GET", "/calendars?limit=200")).data;
        const b = cals.find((c) => c.name === "Business hours");
        const e = cals.find((c) => c.name === "Extended hours");
        assert(b && e, "both coverage calendars exist");
        assert(b.timezone === s.timezone && e.timezone === s.timezone, `in the firm's zone: ${b.timezone}, ${e.timezone}`);
        const hours = (c) => c.hours.map((h) => `${h.weekday} ${h.start}-${h.end}`).join(", ");
        assert(hours(b) === "1 08:00-18:00, 2 08:00-18:00, 3 08:00-18:00, 4 08:00-18:00, 5 08:00-18:00", `business: ${hours(b)}`);
        assert(hours(e) === "1 07:00-20:00, 2 07:00-20:00, 3 07:00-20:00, 4 07:00-20:00, 5 07:00-20:00, 6 07:00-20:00", `extended: ${hours(e)}`);

        // a day that closes before it opens is the server's 422, shown on the form
        await business.getByLabel("Monday closes").fill("07:00");
        await form.getByRole("button", { name: "Save coverage hours" }).click();
        await form.locator(".field-error, .alert").first().waitFor();
        const again = (await server.api("GET", "/calendars?limit=200")).data.find((c) => c.name === "Business hours");
        assert(again.version === b.version, "nothing was saved");
        await page.context().close();

        // the settings as they were, for the tests after these
        const keep = ["address", "document_footer", "timezone", "currency", "tax_rate_bp", "payment_terms_days", "labor_taxable", "logo_png"];
        const cur = await server.api("GET", "/settings");
        const body = Object.fromEntries(keep.map((k) => [k, fx.before[k]]));
        await server.api("PATCH", "/settings", body, { "If-Match": `"${cur.version}"` });
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, firmTests);
