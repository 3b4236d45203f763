// Runs the banner script the app serves (GET {base}/api/embed.js) against a minimal page, as a site that embeds it
// would: <script async src=".../embed.js" data-touchpoint="ID"> with navigator.language LANG and localStorage holding
// STORED (the version a visitor dismissed, or ""). Clicks the dismiss button when asked. Prints what the page shows
// as JSON: { shown, region: { role, label, lang, dir, text, link, linkText, button }, stored }.
// Usage: node run-banner.mjs BASE ID LANG STORED dismiss|keep
import vm from "node:vm";

const [base, id, language, stored, action] = process.argv.slice(2);

class Element {
  constructor(name) {
    this.nodeName = name;
    this.childNodes = [];
    this.attributes = {};
    this.style = {};
    this.listeners = {};
    this.parentNode = null;
  }
  setAttribute(name, value) { this.attributes[name] = String(value); }
  getAttribute(name) { return name in this.attributes ? this.attributes[name] : null; }
  appendChild(child) { child.parentNode = this; this.childNodes.push(child); return child; }
  insertBefore(child, before) { child.parentNode = this; this.childNodes.splice(this.childNodes.indexOf(before), 0, child); return child; }
  removeChild(child) { this.childNodes.splice(this.childNodes.indexOf(child), 1); child.parentNode = null; return child; }
  addEventListener(type, listener) { (this.listeners[type] ||= []).push(listener); }
  click() { (this.listeners.click || []).forEach((listener) => listener({})); }
  get text() { return this.childNodes.map((c) => c.text ?? c.textContent ?? "").join("") || (this.textContent ?? ""); }
}

const scriptUrl = new URL("/api/embed.js", base).href;
const body = new Element("body");
const script = body.appendChild(new Element("script"));
script.src = scriptUrl;
script.setAttribute("data-touchpoint", id);

const storage = new Map(stored ? [["crisis-banner-dismissed:" + id, stored]] : []);
const localStorage = { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => storage.set(k, String(v)) };
const pending = [];
const trackedFetch = (...args) => { const p = fetch(...args); pending.push(p); return p; };
const document = {
  currentScript: script,
  querySelectorAll: () => [script],
  createElement: (name) => new Element(name),
  createTextNode: (text) => ({ nodeName: "#text", textContent: text }),
};
const window = { fetch: trackedFetch, localStorage };
const context = vm.createContext({ document, window, navigator: { language }, fetch: trackedFetch, URL, console });

const source = await (await fetch(scriptUrl)).text();
vm.runInContext(source, context, { filename: "embed.js" });
await Promise.allSettled(pending);
await new Promise((resolve) => setTimeout(resolve, 100));

const region = body.childNodes.find((n) => n.getAttribute?.("role") === "region");
let result = { shown: false, region: null, stored: storage.get("crisis-banner-dismissed:" + id) ?? null };
if (region) {
  const [paragraph, button] = region.childNodes;
  const link = paragraph.childNodes.find((n) => n.nodeName === "a");
  result.shown = true;
  result.region = {
    role: region.getAttribute("role"), label: region.getAttribute("aria-label"), lang: region.lang, dir: region.dir,
    text: paragraph.text, link: link?.href ?? null, linkText: link?.textContent ?? null, button: button.textContent, before: body.childNodes.indexOf(region) < body.childNodes.indexOf(script),
  };
  if (action === "dismiss") {
    button.click();
    result.shown = body.childNodes.includes(region);
    result.stored = storage.get("crisis-banner-dismissed:" + id) ?? null;
  }
}

console.log(JSON.stringify(result));
