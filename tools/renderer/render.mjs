// Renders Adaptive Cards with Microsoft's `adaptivecards` package (the Teams light host config) in headless
// Debian Chromium, and reports what a person would mind: a parse or validation warning, an element whose
// text never reached the page, an action label or text cut with an ellipsis, a card wider than the screen.
//
// Usage: node render.mjs <cards.json> [--shots DIR]
//   cards.json: {"widths": [340, 500], "cards": [{"name": "digest", "card": {...}, "shot": 500}]}
// Prints {"problems": [{"card", "width", "problem"}], "rendered": N} on stdout.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const input = JSON.parse(readFileSync(args[0], "utf-8"));
const shotsAt = args.indexOf("--shots");
const shots = shotsAt >= 0 ? args[shotsAt + 1] : null;
const hostConfig = JSON.parse(readFileSync(join(here, "vendor", "microsoft-teams-light.json"), "utf-8"));
const profile = mkdtempSync(join(tmpdir(), "tandem-chromium-"));

const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.TANDEM_CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
  viewport: { width: 800, height: 1000 },
  deviceScaleFactor: 1,
});
const problems = [];
try {
  const page = await context.newPage();
  // Nothing may reach the network: every request but our inline page is refused.
  await page.route("**/*", (route) => route.abort());
  await page.setContent(
    "<!doctype html><html><head><meta charset='utf-8'></head><body style='margin:0;background:#fff'>" +
      "<div id='host' style='font-family:Segoe UI,Helvetica,Arial,sans-serif'></div></body></html>",
  );
  await page.addStyleTag({ path: join(here, "vendor", "teams-container-light.css") });
  await page.addScriptTag({ path: join(here, "node_modules", "markdown-it", "dist", "markdown-it.min.js") });
  await page.addScriptTag({ path: join(here, "node_modules", "adaptivecards", "dist", "adaptivecards.min.js") });
  for (const entry of input.cards) {
    for (const width of input.widths) {
      const found = await page.evaluate(
        ({ card, width, hostConfig }) => {
          const AC = window.AdaptiveCards;
          const md = window.markdownit();
          AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
            result.outputHtml = md.render(text);
            result.didProcess = true;
          };
          const out = [];
          const host = document.getElementById("host");
          host.innerHTML = "";
          host.style.width = `${width}px`;
          const adaptive = new AC.AdaptiveCard();
          adaptive.hostConfig = new AC.HostConfig(hostConfig);
          const context = new AC.SerializationContext();
          adaptive.parse(card, context);
          for (let i = 0; i < context.eventCount; i++) {
            const e = context.getEventAt(i);
            out.push(`parse warning: ${e.message}`);
          }
          for (const e of adaptive.validateProperties().validationEvents) {
            out.push(`validation: ${e.message}`);
          }
          const rendered = adaptive.render();
          if (!rendered) return { problems: ["the card did not render"], height: 0 };
          host.appendChild(rendered);
          // Dropped elements: every word of every text the card carries must be on the page.
          const page = (rendered.textContent || "").toLowerCase();
          const words = (text) => (text || "").toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || [];
          const texts = [];
          const walk = (node) => {
            if (Array.isArray(node)) return node.forEach(walk);
            if (!node || typeof node !== "object") return;
            if (node.type === "TextBlock") texts.push(node.text);
            if (node.type === "FactSet") node.facts.forEach((f) => texts.push(f.title, f.value));
            if (node.type && node.type.startsWith("Input.") && node.label) texts.push(node.label);
            if (node.type === "Input.ChoiceSet") node.choices.forEach((c) => texts.push(c.title));
            if (node.type && node.type.startsWith("Action.") && node.mode !== "secondary") texts.push(node.title);
            if (node.type === "Action.ShowCard") return; // its card renders on demand
            Object.values(node).forEach(walk);
          };
          walk(card.body || []);
          walk(card.actions || []);
          for (const text of texts) {
            const missing = words(text).filter((w) => !page.includes(w));
            if (missing.length) out.push(`dropped: "${String(text).slice(0, 80)}" (missing ${missing.slice(0, 3)})`);
          }
          // Cut text: any element drawn with an ellipsis (or clipped) whose content is wider than its box.
          for (const el of rendered.querySelectorAll("*")) {
            const style = getComputedStyle(el);
            const clips = style.textOverflow === "ellipsis" || style.overflowX === "hidden";
            if (clips && el.scrollWidth > el.clientWidth + 1 && (el.textContent || "").trim()) {
              const what = el.closest("button") ? "action label cut" : "text cut";
              out.push(`${what}: "${el.textContent.trim().slice(0, 80)}"`);
            }
          }
          for (const button of rendered.querySelectorAll("button")) {
            if (button.scrollWidth > button.clientWidth + 1) {
              out.push(`action label cut: "${(button.textContent || "").trim().slice(0, 80)}"`);
            }
          }
          if (rendered.scrollWidth > width + 1) out.push(`card is ${rendered.scrollWidth}px wide on a ${width}px screen`);
          return { problems: [...new Set(out)], height: rendered.getBoundingClientRect().height };
        },
        { card: entry.card, width, hostConfig },
      );
      for (const problem of found.problems) problems.push({ card: entry.name, width, problem });
      if (shots && entry.shot === width) {
        const box = await page.locator("#host").boundingBox();
        await page.setViewportSize({ width: Math.ceil(width) + 16, height: Math.ceil(found.height) + 16 });
        await page.locator("#host").screenshot({ path: join(shots, `${entry.name}.png`) });
        await page.setViewportSize({ width: 800, height: 1000 });
        void box;
      }
    }
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify({ problems, rendered: input.cards.length * input.widths.length }));
