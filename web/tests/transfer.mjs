/*
 * transfer.mjs - Settings → Import and export, as an office manager uses it:
 *   - a contacts file saved by a spreadsheet (semicolons, a byte order
 *     mark, a column the firm added) is checked: the unknown column is
 *     named and can be left out; a row naming an unknown company is shown
 *     with its line; nothing is written (the API agrees);
 *   - the corrected file checks clean, shows how each column was read, and
 *     imports: the contacts exist with their company;
 *   - the export links offer each kind as a CSV file;
 *   - on a phone the section and its problem list still read.
 *
 * Screenshots: transfer-problems, transfer-checked, transfer-phone.
 *
 *   node tests/transfer.mjs      on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                import { transferTests } from "./transfer.mjs";
 */
import { assert, pageTools, runAlone, screenshotDir } from "./harness.mjs";

export function transferTests(ctx) {
  const { server } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);
  const fx = {};

  const file = (name, text) => ({ name, mimeType: "application/vnd.ms-excel", buffer: Buffer.from(text, "utf-8") });

  return [
    {
      name: "transfer: a spreadsheet's contacts file shows its problems by line and writes nothing",
      fn: async () => {
        await api("POST", "/companies", { name: "Larkspur Surgery", kind: "client" });
        const page = await newPage();
        fx.page = page;
        await signIn(page);
        await page.goto(server.url + "/settings/import");
        await page.getByRole("heading", { name: "Import from CSV" }).waitFor();
        await page.getByLabel("What the file holds").selectOption("contacts");
        await page.getByLabel("CSV file").setInputFiles(
          file("contacts.csv", "\ufeffFirst name;Last name;Company;E-mail;Shoe size\r\nNia;Okafor;Larkspur Surgery;nia@larkspur.example;38\r\nTom;Reed;Nowhere Ltd;tom@larkspur.example;44\r\n"),
        );
        await page.getByRole("button", { name: "Check the file" }).click();
        const problems = page.getByRole("table", { name: "Problems" });
        await problems.getByText('column "Shoe size" matches no field').waitFor();
        await page.getByRole("group", { name: "Columns to map" }).getByLabel("Leave out Shoe size").check();
        await page.getByRole("button", { name: "Check the file" }).click();
        await problems.getByText('no company is named "Nowhere Ltd"').waitFor();
        const row = problems.getByRole("row").filter({ hasText: "Nowhere Ltd" });
        assert((await row.getByRole("cell").first().innerText()).trim() === "3", "the problem names line 3");
        assert(await page.getByRole("button", { name: /^Import/ }).isDisabled(), "a file with problems cannot be imported");
        await shot(page, "transfer-problems");
        const contacts = await api("GET", "/contacts?last_name=Okafor");
        assert(contacts.data.length === 0, "nothing was written");
      },
    },
    {
      name: "transfer: the corrected file checks clean, shows its columns and imports",
      fn: async () => {
        const page = fx.page;
        await page.getByLabel("CSV file").setInputFiles(
          file("contacts.csv", "\ufeffFirst name;Last name;Company;E-mail;Shoe size\r\nNia;Okafor;Larkspur Surgery;nia@larkspur.example;38\r\nTom;Reed;Larkspur Surgery;tom@larkspur.example;44\r\n"),
        );
        await page.getByRole("button", { name: "Check the file" }).click();
        await page.getByRole("table", { name: "Problems" }).getByText("Shoe size").waitFor();
        await page.getByRole("group", { name: "Columns to map" }).getByLabel("Leave out Shoe size").check();
        await page.getByRole("button", { name: "Check the file" }).click();
        await page.getByText("2 rows are right").waitFor();
        const columns = page.getByRole("table", { name: "Columns" });
        await columns.getByRole("row").filter({ hasText: "Company" }).getByText("company (by name)").waitFor();
        await columns.getByRole("row").filter({ hasText: "Shoe size" }).getByText("left out").waitFor();
        await shot(page, "transfer-checked");
        await page.getByRole("button", { name: "Import 2 rows" }).click();
        await page.getByText("2 created, 0 updated").first().waitFor();
        const contacts = await api("GET", "/contacts?last_name=Okafor");
        assert(contacts.data.length === 1 && contacts.data[0].email === "nia@larkspur.example", "Nia is a contact");
        const company = await api("GET", `/companies/${contacts.data[0].company_id}`);
        assert(company.name === "Larkspur Surgery", "of the company the file named");
      },
    },
    {
      name: "transfer: export links for every kind; the section reads on a phone",
      fn: async () => {
        const page = fx.page;
        const link = page.getByRole("link", { name: "Contacts", exact: true });
        assert((await link.getAttribute("href")) === "/api/v1/exports/contacts", "the contacts export");
        const res = await page.request.get(server.url + "/api/v1/exports/contacts");
        assert(res.status() === 200 && (await res.text()).includes("nia@larkspur.example"), "the export holds the import");
        await page.setViewportSize({ width: 390, height: 844 });
        await page.getByRole("heading", { name: "Export to CSV" }).waitFor();
        await shot(page, "transfer-phone", { fullPage: true });
        await page.context().close();
      },
    },
  ];
}

await runAlone(import.meta.url, transferTests);
