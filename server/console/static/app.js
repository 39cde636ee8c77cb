// The join page: token from the fragment, /api/me, then the person's session page,
// rendered from the reference client's state (client.js). Pages per role:
// pages.js. Contract: shared/spec/console.md.

import { api, Session } from "./client.js";
import { renderPage } from "./pages.js";
import { h, LANGUAGES, lang, loadLanguage, t } from "./ui.js";

const KEY = "convene.token";
const LANG_KEY = "convene.ui_language";
const base = location.origin;

function takeToken() {
  const frag = new URLSearchParams(location.hash.slice(1));
  const fromLink = frag.get("token");
  if (fromLink) {
    sessionStorage.setItem(KEY, fromLink);
    // the token leaves the address bar (and so history, bookmarks, screen shares)
    history.replaceState(null, "", location.pathname + (frag.get("session") ? `#session=${frag.get("session")}` : ""));
  }
  return { token: sessionStorage.getItem(KEY), sessionId: frag.get("session") };
}

function fail(key) {
  document.body.replaceChildren(h("main", { id: "main" }, h("h1", {}, t("app.name")), h("p", { role: "alert" }, t(key))));
}

/** The session to open: live, else lobby, else the next to start, else the last. */
function pick(sessions) {
  const by = (st) => sessions.filter((s) => s.status === st);
  const soon = [...sessions].filter((s) => s.status === "scheduled").sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  return by("live")[0] || by("lobby")[0] || soon[0] || sessions[sessions.length - 1] || null;
}

async function main() {
  const { token, sessionId } = takeToken();
  await loadLanguage(sessionStorage.getItem(LANG_KEY) || navigator.language.slice(0, 2));
  if (!token) return fail("join.need_link");
  let me;
  try {
    me = await api(base, token, "GET", "/api/me");
  } catch (e) {
    return fail(e.status === 401 ? "join.invalid" : "join.no_session");
  }
  const chosen = sessionStorage.getItem(LANG_KEY) || me.person?.language || "en";
  if (chosen !== lang) await loadLanguage(chosen);
  const session = sessionId ? me.sessions.find((s) => s.id === sessionId) || { id: sessionId } : pick(me.sessions || []);
  if (!session) return fail("join.no_sessions");

  const app = { base, token, me, session: null, conn: null, local: {}, rerender: null };
  const draw = () => renderPage(app, changeLanguage);
  app.rerender = draw;
  async function changeLanguage(code) {
    sessionStorage.setItem(LANG_KEY, code);
    await loadLanguage(code);
    document.body.replaceChildren();
    app.mounted = null;
    draw();
  }
  app.conn = new Session({
    base,
    sessionId: session.id,
    token,
    onChange: (conn, frame) => {
      if (conn.ended) return fail({ token: "join.invalid", forbidden: "join.forbidden", session: "join.no_session" }[conn.ended]);
      app.lastFrame = frame;
      draw();
    },
  }).start();
  window.convene = app; // for integrators poking at the reference client in devtools
}

export { LANGUAGES };
main();
