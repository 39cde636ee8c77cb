// DOM and language helpers. Every piece of text goes in as a text node: nothing
// from users (or anyone) is ever parsed as HTML.

export const LANGUAGES = ["en", "ar", "ru"];
const RTL = new Set(["ar"]);
let catalogue = {};
let english = {};
export let lang = "en";

export async function loadLanguage(code) {
  lang = LANGUAGES.includes(code) ? code : "en";
  const get = async (c) => (await fetch(`/console/i18n/${c}.json`)).json();
  english = Object.keys(english).length ? english : await get("en");
  catalogue = lang === "en" ? english : await get(lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL.has(lang) ? "rtl" : "ltr";
  return lang;
}

/** The message of ``key`` in the interface language, with {name} filled in. */
export function t(key, vars = {}) {
  const text = catalogue[key] ?? english[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, k) => (k in vars ? String(vars[k]) : `{${k}}`));
}

export const languageName = (code) => (catalogue[`lang.${code}`] || english[`lang.${code}`] ? t(`lang.${code}`) : code);

/** h("button", {type: "button", onclick: f}, "Text", child...): attributes by
 * setAttribute, on* as listeners (never as attributes: the CSP forbids them). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "value") el.value = v;
    else if (k === "checked" || k === "selected") el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

let ids = 0;
export const uid = (p = "c") => `${p}-${++ids}`;

/** A labelled control: <label for> + the control. */
export function field(label, control) {
  control.id ||= uid("f");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

export function select(label, options, value, onchange, props = {}) {
  const el = h(
    "select",
    { ...props, onchange: (e) => onchange?.(e.target.value) },
    options.map(([v, text]) => h("option", { value: v, selected: v === value }, text)),
  );
  return field(label, el);
}

/** A region: a section with an accessible name and its own heading. */
export function region(name, ...children) {
  const head = uid("r");
  return h("section", { "aria-labelledby": head, class: "region" }, h("h2", { id: head }, name), ...children);
}

/** Replace the children of ``el`` only when ``key`` changed (keeps focus and input). */
export function patch(el, key, build) {
  if (el.dataset.key === key) return;
  // a control with a stable id (e.g. "move-<person id>") keeps the focus across a redraw
  const focused = el.contains(document.activeElement) ? document.activeElement.id : "";
  el.dataset.key = key;
  el.replaceChildren(...[build()].flat(Infinity).filter(Boolean));
  if (focused) document.getElementById(focused)?.focus();
}

/** Seconds as m:ss (or h:mm:ss), never negative. */
export function clock(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${String(mm).padStart(2, "0")}:${ss}` : `${mm}:${ss}`;
}

/** An instant in a zone, with the zone's abbreviation (Intl). */
export function when(iso, zone, opts = { dateStyle: "medium", timeStyle: "short" }) {
  const d = new Date(iso);
  const fmt = new Intl.DateTimeFormat(lang, { ...opts, timeZone: zone });
  const abbr = new Intl.DateTimeFormat("en", { timeZone: zone, timeZoneName: "short" })
    .formatToParts(d)
    .find((p) => p.type === "timeZoneName")?.value;
  return `${fmt.format(d)} ${abbr || zone}`;
}
