/*
 * attachments.mjs - the browser tests of a service order's files. Fixtures
 * through the API: a client, a ticket, a technician and a billing clerk.
 * Then in the browser:
 *
 *   - the admin uploads a screenshot (a real PNG) and a log with the
 *     Upload files button: both listed with size and uploader, the image
 *     as a thumbnail that has really loaded; a click opens the larger
 *     preview; the log downloads byte for byte under its name;
 *   - a file dropped on the card is uploaded too;
 *   - a page (.html) is refused with the server's words naming the file,
 *     and nothing is added;
 *   - a note written with a file carries it: the file shows under the
 *     note and in the card as "with a note";
 *   - removing a file (a confirmation first) takes it off the list;
 *   - a technician sees the files but may remove none of the admin's; a
 *     billing clerk sees them but has no upload button.
 *
 * Screenshots: attachments-card, attachments-preview, attachments-note.
 *
 * Two ways to run it:
 *   node tests/attachments.mjs        on its own (a fresh servio, like run.mjs)
 *   from run.mjs:                     import { attachmentsTests } from "./attachments.mjs";
 *                                     tests.push(...attachmentsTests({ server, browser, shots, newPage, shot, text, pageErrors }));
 */
import { readFileSync } from "node:fs";
import { assert, pageTools, png, runAlone, screenshotDir } from "./harness.mjs";

/** A real w x h PNG: a blue bar over a grey body with a red dot, like a screenshot. */
function screenshotPng(w = 240, h = 160) {
  return png(w, h, (x, y) => {
    const dot = (x - 60) ** 2 + (y - 90) ** 2 < 15 ** 2;
    return y < 20 ? [51, 84, 153] : dot ? [204, 38, 38] : [235, 237, 242];
  });
}

export function attachmentsTests(ctx) {
  const { server, browser } = ctx;
  const shots = ctx.shots ?? screenshotDir();
  const pageErrors = ctx.pageErrors ?? [];
  const fx = {};
  let page;

  const { newPage, signIn, shot } = pageTools(ctx, shots, pageErrors);
  const api = (m, p, b, h) => server.api(m, p, b, h);

  async function fixtures() {
    if (fx.ready) return;
    const company = await api("POST", "/companies", { name: "Lindqvist Dental" });
    fx.ticket = await api("POST", "/tickets", { subject: "Reception PC shows a blue screen", company_id: company.id });
    fx.tech = { email: "ines.files-ui@example.com", password: "Ines-Tech-Password-2026!" };
    await api("POST", "/users", { ...fx.tech, name: "Ines Moreau", role: "technician" });
    fx.clerk = { email: "paul.files-ui@example.com", password: "Paul-Billing-Password-2026!" };
    await api("POST", "/users", { ...fx.clerk, name: "Paul Evans", role: "billing" });
    fx.png = screenshotPng();
    fx.log = Buffer.from("08:15:31 ERROR disk not responding\r\n08:16:02 INFO reset\r\n\u00fc\u00f1\u00ee\r\n");
    fx.ready = true;
  }

  const card = () => page.locator("#attachments");
  const rows = () => card().getByRole("list", { name: "Files" }).getByRole("listitem");

  return [
    {
      name: "attachments: upload with the button, thumbnails, preview and a byte-exact download",
      fn: async () => {
        await fixtures();
        page = await newPage();
        await signIn(page);
        await page.goto(`${server.url}/tickets/${fx.ticket.id}`);
        await card().getByText("No files yet").waitFor();
        await card().getByLabel("Choose files to attach").setInputFiles([
          { name: "blue screen.png", mimeType: "image/png", buffer: fx.png },
          { name: "event.log", mimeType: "text/plain", buffer: fx.log },
        ]);
        await rows().nth(1).waitFor();
        assert((await rows().count()) === 2, "two files listed");
        const first = await rows().nth(0).innerText();
        assert(first.includes("blue screen.png") && /KB|B/.test(first), `name and size: ${first}`);
        const second = await rows().nth(1).innerText();
        assert(second.includes("event.log"), `the log: ${second}`);
        const listed = await api("GET", `/tickets/${fx.ticket.id}/attachments`);
        assert(listed.data.length === 2, "the server has both");
        // the thumbnail is the image, loaded through ?inline=1
        const thumb = rows().nth(0).locator("img");
        await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await thumb.elementHandle());
        assert((await thumb.evaluate((img) => img.naturalWidth)) === 240, "the thumbnail is the real image");
        await shot(page, "attachments-card");
        // the larger preview
        await rows().nth(0).getByRole("button", { name: "Preview blue screen.png" }).click();
        const dialog = page.getByRole("dialog", { name: "blue screen.png" });
        await dialog.waitFor();
        const big = dialog.locator("img");
        await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await big.elementHandle());
        await shot(page, "attachments-preview");
        await dialog.getByRole("button", { name: "Close" }).click();
        // a download, byte for byte, under its name
        const [download] = await Promise.all([page.waitForEvent("download"), rows().nth(1).getByRole("link", { name: "event.log" }).click()]);
        assert(download.suggestedFilename() === "event.log", `downloaded as ${download.suggestedFilename()}`);
        assert(readFileSync(await download.path()).equals(fx.log), "the download is the file uploaded");
      },
    },
    {
      name: "attachments: a dropped file is uploaded; a page is refused with the server's reason",
      fn: async () => {
        await card().getByTestId("attachments-dropzone").evaluate((zone) => {
          const dt = new DataTransfer();
          dt.items.add(new File(["a,b\n1,2\n"], "readings.csv", { type: "text/csv" }));
          zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
          zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
        });
        await rows().nth(2).waitFor();
        assert((await rows().nth(2).innerText()).includes("readings.csv"), "the dropped file is listed");
        await card().getByLabel("Choose files to attach").setInputFiles([{ name: "invoice.html", mimeType: "text/html", buffer: Buffer.from("<script>alert(1)</script>") }]);
        const alert = card().getByRole("alert");
        await alert.waitFor();
        const said = await alert.innerText();
        assert(said.includes("invoice.html") && /runs or renders|not an allowed type/.test(said), `the refusal names the file: ${said}`);
        assert((await rows().count()) === 3, "nothing was added");
      },
    },
    {
      name: "attachments: a note carries its files",
      fn: async () => {
        const composer = page.getByRole("form", { name: "Add a note" });
        await composer.getByRole("textbox", { name: "Note" }).fill("Photo of the error screen after the restart.");
        await composer.getByLabel("Files for this note").setInputFiles([{ name: "after restart.png", mimeType: "image/png", buffer: screenshotPng(120, 80) }]);
        await composer.getByTestId("note-files").waitFor();
        await composer.getByRole("button", { name: "Add internal note" }).click();
        const note = page.getByRole("list", { name: "Notes" }).getByRole("listitem").filter({ hasText: "Photo of the error screen" });
        await note.getByRole("button", { name: "Preview after restart.png" }).waitFor();
        await rows().nth(3).waitFor();
        assert((await rows().nth(3).innerText()).includes("with a note"), "the card says it came with a note");
        const notes = await api("GET", `/tickets/${fx.ticket.id}/notes`);
        const files = await api("GET", `/tickets/${fx.ticket.id}/attachments`);
        const mine = notes.data.find((n) => n.body.startsWith("Photo of the error screen"));
        assert(files.data.some((a) => a.note_id === mine.id && a.filename === "after restart.png"), "the server has the file on the note");
        await shot(page, "attachments-note");
      },
    },
    {
      name: "attachments: removing a file; who may upload and remove",
      fn: async () => {
        await rows().filter({ hasText: "readings.csv" }).getByRole("button", { name: "Remove readings.csv" }).click();
        const confirm = page.getByRole("dialog", { name: "Remove readings.csv?" });
        await confirm.getByRole("button", { name: "Remove" }).click();
        await page.waitForFunction(() => !document.querySelector("#attachments")?.textContent?.includes("readings.csv"));
        assert((await rows().count()) === 3, "three files left");
        const live = await api("GET", `/tickets/${fx.ticket.id}/attachments`);
        assert(!live.data.some((a) => a.filename === "readings.csv"), "archived on the server");

        const tech = await newPage();
        await signIn(tech, fx.tech.email, fx.tech.password);
        await tech.goto(`${server.url}/tickets/${fx.ticket.id}`);
        const techRows = tech.locator("#attachments").getByRole("list", { name: "Files" }).getByRole("listitem");
        await techRows.nth(2).waitFor();
        assert((await tech.locator("#attachments").getByRole("button", { name: /^Remove / }).count()) === 0, "a technician removes none of the admin's files");
        assert(await tech.locator("#attachments").getByRole("button", { name: "Upload files" }).isVisible(), "a technician may upload");
        await tech.context().close();

        const clerk = await newPage();
        await signIn(clerk, fx.clerk.email, fx.clerk.password);
        await clerk.goto(`${server.url}/tickets/${fx.ticket.id}`);
        await clerk.locator("#attachments").getByRole("list", { name: "Files" }).getByRole("listitem").nth(2).waitFor();
        assert((await clerk.locator("#attachments").getByRole("button", { name: "Upload files" }).count()) === 0, "a billing clerk has no upload button");
        await clerk.context().close();
        await page.context().close();
      },
    },
  ];
}

/* On its own: a fresh server and browser, these tests, a summary line. */
await runAlone(import.meta.url, attachmentsTests);
