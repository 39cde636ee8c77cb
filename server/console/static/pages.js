// The pages of each role, rendered from the client's state. The skeleton (regions,
// forms) is built once per language; lists inside it are replaced only when what they
// show changed (ui.patch), so focus and typing survive events.

import { Audio } from "./audio.js";
import { api, remainingMs } from "./client.js";
import { chat, speakerQueue, upcomingAlert } from "./speakers.js";
import { clock, field, h, LANGUAGES, languageName, patch, region, select, t, uid, when } from "./ui.js";

const STAFF = new Set(["moderator", "observer"]);
const STATUS_BUTTONS = [
  ["lobby", "mod.open_lobby"],
  ["live", "mod.go_live"],
  ["ended", "mod.end_session"],
];
const STRATEGIES = ["balanced", "by_language", "working_groups", "manual", "self_select"];

export function renderPage(app, changeLanguage) {
  const s = app.conn.state;
  if (!app.mounted) app.mounted = mount(app, changeLanguage);
  const m = app.mounted;
  const reconnecting = app.conn.status === "reconnecting";
  patch(m.conn, reconnecting ? "r" : "ok", () => (reconnecting ? t("conn.reconnecting") : ""));
  if (!s) return;
  const role = s.you.role;
  if (!m.role) buildRole(app, m, role);
  patch(m.title, s.session.title, () => s.session.title);
  patch(m.status, s.session.status, () => t("status.label", { status: t(`status.${s.session.status}`) }));
  for (const part of m.parts) part(s);
}

function mount(app, changeLanguage) {
  const m = { parts: [] };
  m.title = h("h1", {});
  m.status = h("p", { role: "status", class: "session-status" });
  m.conn = h("p", { role: "status", class: "connection" });
  m.main = h("main", { id: "main" });
  const langSel = select(t("ui.language"), LANGUAGES.map((c) => [c, nativeName(c)]), document.documentElement.lang, changeLanguage, {
    class: "ui-language",
  });
  document.body.replaceChildren(h("header", {}, m.title, m.status, m.conn, langSel), m.main);
  return m;
}

const nativeName = (code) => new Intl.DisplayNames([code], { type: "language" }).of(code);

function buildRole(app, m, role) {
  m.role = role;
  const staff = STAFF.has(role);
  const add = (...nodes) => m.main.append(...nodes.filter(Boolean));
  add(notices(app, m));
  if (role === "moderator") add(statusButtons(app, m));
  if (role === "interpreter") add(booth(app, m));
  add(myRoom(app, m));
  add(speakerQueue(app, m), chat(app, m));
  if (staff) add(rooms(app, m), breakouts(app, m), channels(app, m), helpRequests(app, m));
  if (role === "moderator") add(broadcast(app, m), people(app, m));
  if (staff) add(attendanceButton(app));
  add(schedule(app, m));
}

// ---- helpers ---------------------------------------------------------------------

const sid = (app) => app.conn.state.session.id;
const eid = (app) => app.conn.state.event.id;
const isMod = (app) => app.conn.state.you.role === "moderator";

function nameOf(s, pid) {
  return (s.people || []).find((p) => p.id === pid)?.name || "?";
}

function roomName(s, rid) {
  return s.rooms.find((r) => r.id === rid)?.name || "";
}

/** Runs a REST call; a failure is shown in the page's error line. */
export async function act(app, fn) {
  try {
    const out = await fn();
    app.mounted.error && patch(app.mounted.error, "", () => "");
    return out;
  } catch (e) {
    app.mounted.error && patch(app.mounted.error, String(Date.now()), () => t("error.generic", { detail: e.message }));
    return undefined;
  }
}

export function button(label, onclick, props = {}) {
  return h("button", { type: "button", onclick, ...props }, label);
}

function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---- everyone --------------------------------------------------------------------

function notices(app, m) {
  m.error = h("p", { role: "alert", class: "error" });
  const list = h("div", { class: "notices" });
  m.parts.push((s) => {
    // floor.upcoming is shown while it holds (speakers.js upcomingAlert), not as a notice
    const shown = (s.notices || []).filter((n) => n.type !== "breakout.unplaced" && n.type !== "floor.upcoming");
    patch(list, JSON.stringify(shown.map((n) => n.seq)), () =>
      shown.slice(-5).map((n) => {
        const d = n.data;
        if (n.type === "broadcast.message")
          return h("p", { class: "broadcast", role: "status" }, h("strong", {}, `${t("broadcast.from_moderators")}: `), h("bdi", {}, d.text));
        if (n.type === "turn.due") return h("p", { role: "alert" }, t("alert.turn_due", { language: languageName(d.language) }));
        if (n.type === "session.overtime") return h("p", { role: "alert" }, t("alert.overtime"));
        return null;
      }),
    );
  });
  return h("div", { class: "notices-wrap" }, m.error, list);
}

function statusButtons(app) {
  const go = (status) => act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/status`, { status }));
  return h("div", { class: "status-buttons" }, STATUS_BUTTONS.map(([st, key]) => button(t(key), () => go(st))));
}

function myRoom(app, m) {
  const heading = h("h2", {});
  const timer = h("div", { class: "timer-box" });
  const info = h("p", {});
  const listen = h("div", {});
  const help = h("div", {});
  const audio = STAFF.has(app.conn.state.you.role) && !isMod(app) ? null : audioControl(app);
  const sec = h("section", { "aria-label": t("room.mine"), class: "region my-room" }, heading, timer, info, listen, audio?.box, help);
  const tick = () => {
    const s = app.conn.state;
    const r = s?.round;
    if (!r || !(r.ends_at || r.closes_at)) return patch(timer, "none", () => []);
    const closing = r.status === "closing";
    const left = clock(remainingMs(closing ? r.closes_at : r.ends_at, app.conn.offsetMs));
    patch(timer, `${closing}${left}`, () => [
      h("span", { id: "timer-label" }, closing ? t("room.closing") : t("room.time_left")),
      " ",
      h("span", { role: "timer", "aria-labelledby": "timer-label", class: "timer" }, left),
    ]);
  };
  clearInterval(app.ticker);
  app.ticker = setInterval(tick, 200);
  m.parts.push((s) => {
    patch(heading, s.room?.name || "", () => s.room?.name || "");
    patch(info, `${s.room?.members_count}/${s.room?.online_count}`, () =>
      s.room && s.room.online_count !== undefined ? t("room.people", { n: s.room.members_count, online: s.room.online_count }) : "",
    );
    const chans = (s.channels?.rooms || []).find((r) => r.room_id === s.you.room_id)?.channels || [];
    const langs = chans.map((c) => c.language);
    const heard = chans.find((c) => c.language === s.channel);
    patch(listen, JSON.stringify([langs, s.channel, heard?.source, heard?.on_air]), () => [
      select(t("listen.in"), langs.map((c) => [c, languageName(c)]), s.channel, (language) =>
        act(app, () => api(app.base, app.token, "PUT", `/api/sessions/${sid(app)}/listening`, { language })),
        { id: "listen-in" },
      ),
      heard ? h("p", { class: "heard" }, t("listen.source", { source: sourceText(heard.source, heard, s) })) : null,
    ]);
    if (s.you.role === "participant" || s.you.role === "interpreter") {
      const mine = (s.help || []).find((x) => !x.person_id || x.person_id === s.you.person_id);
      patch(help, mine ? mine.id : "none", () =>
        mine
          ? [button(t("help.cancel"), () => act(app, () => api(app.base, app.token, "DELETE", `/api/sessions/${sid(app)}/help/${mine.id}`))), h("span", {}, t("help.sent"))]
          : button(t("help.ask"), () => act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/help`, {}))),
      );
    }
    audio?.update(s);
    tick();
  });
  return sec;
}

/** "Join audio" / "Leave audio" and what is playing (audio.js). A new media ticket
 * whenever what the person should hear or say into may have changed: their room,
 * their channel, their room's floor language and its channels' sources and voices. */
function audioControl(app) {
  const status = h("p", { role: "status", class: "audio-status" });
  const toggle = h("div", {});
  const box = h("div", { class: "audio" }, toggle, status);
  app.audio ||= new Audio(app);
  const audio = app.audio;
  let key = null;
  const draw = () => {
    const on = audio.state === "on" || audio.state === "connecting";
    patch(toggle, String(on), () => button(on ? t("audio.leave") : t("audio.join"), () => (on ? audio.stop() : audio.start())));
    patch(status, audio.state, () => (audio.state === "off" ? "" : t(`audio.${audio.state}`)));
  };
  audio.onChange = draw;
  box.append(audio.element);
  return {
    box,
    update(s) {
      const room = (s.channels?.rooms || []).find((r) => r.room_id === s.you.room_id);
      const now = JSON.stringify([s.you.room_id, s.channel, room?.floor_language, (room?.channels || []).map((c) => [c.language, c.source, c.on_air])]);
      if (key !== null && now !== key) audio.refresh();
      key = now;
      draw();
    },
  };
}

function schedule(app, m) {
  const list = h("div", {});
  const start = h("p", { class: "countdown" });
  const feed = h("div", {});
  const me = app.me.person;
  const zone = me?.timezone || app.conn.state?.event?.timezone || "UTC";
  let rows = null;
  const load = async () => {
    rows = await act(app, () => api(app.base, app.token, "GET", `/api/events/${eid(app)}/schedule?tz=${encodeURIComponent(zone)}`));
    m.scheduleKey = null;
    app.rerender();
  };
  load();
  const addToCalendar = async () => {
    const out = await act(app, () => api(app.base, app.token, "POST", `/api/events/${eid(app)}/people/${app.conn.state.you.person_id}/calendar-token`));
    if (out)
      feed.replaceChildren(
        h("p", {}, t("calendar.replaces")),
        field(t("calendar.feed"), h("input", { type: "text", readonly: true, value: out.url, class: "feed-url" })),
      );
  };
  const countdown = () => {
    const s = app.conn.state;
    if (!s || s.session.status !== "scheduled") return patch(start, "", () => "");
    const left = remainingMs(s.session.start, app.conn.offsetMs);
    if (left <= 0) return patch(start, "waiting", () => t("starts.waiting"));
    patch(start, clock(left), () => [
      t("starts.at", { when: when(s.session.start, zone) }),
      " · ",
      t("starts.in", { time: clock(left) }),
    ]);
  };
  clearInterval(app.countdown);
  app.countdown = setInterval(countdown, 500);
  m.parts.push(() => {
    countdown();
    patch(list, JSON.stringify(rows), () =>
      rows
        ? [
            h("p", {}, t("schedule.in_zone", { zone })),
            h(
              "ul",
              {},
              rows.map((r) => h("li", {}, h("strong", {}, h("bdi", {}, r.title)), " ", h("bdi", {}, `${when(r.start, zone).replace(/ \S+$/, "")} – ${when(r.end, zone, { timeStyle: "short" }).replace(/ \S+$/, "")} ${r.local?.start_abbr || ""}`))),
            ),
          ]
        : [],
    );
  });
  const who = app.me.role;
  const calendar = who === "admin" ? null : button(t("calendar.add"), addToCalendar);
  return region(t("schedule.title"), start, calendar, feed, list);
}

// ---- moderators and observers ------------------------------------------------------

function rooms(app, m) {
  const list = h("ul", { class: "rooms" });
  const awayBox = h("div", { class: "not-joined" });
  m.parts.push((s) => {
    const people = s.people || [];
    const key = JSON.stringify([s.rooms.map((r) => [r.id, r.name, r.members]), people.map((p) => [p.id, p.name, p.online, p.room_id])]);
    const away = people.filter((p) => !p.room_id && p.role !== "observer");
    patch(list, key, () => [
      ...s.rooms.map((r) => {
        const head = uid("room");
        const here = people.filter((p) => p.room_id === r.id);
        return h(
          "li",
          { "aria-labelledby": head },
          h("h3", { id: head }, r.name),
          here.length
            ? h(
                "ul",
                {},
                here.map((p) =>
                  h(
                    "li",
                    { class: p.online ? "online" : "offline" },
                    h("bdi", { class: "person-name" }, p.name),
                    " ",
                    h("span", { class: "presence" }, `(${p.online ? t("rooms.online") : t("rooms.offline")})`),
                    isMod(app)
                      ? select(
                          t("rooms.move", { name: p.name }),
                          s.rooms.map((x) => [x.id, x.name]),
                          r.id,
                          (room_id) => act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/moves`, { person_id: p.id, room_id })),
                          { class: "move", id: `move-${p.id}` },
                        )
                      : null,
                  ),
                ),
              )
            : h("p", {}, t("rooms.empty")),
        );
      }),
    ]);
    patch(awayBox, JSON.stringify(away.map((p) => p.name)), () =>
      away.length ? [h("h3", {}, t("rooms.not_joined")), h("ul", {}, away.map((p) => h("li", {}, p.name)))] : [],
    );
  });
  return region(t("rooms.title"), list, awayBox);
}

function breakouts(app, m) {
  const plan = h("div", { class: "plan" });
  let rounds = [];
  const refresh = async () => {
    rounds = (await act(app, () => api(app.base, app.token, "GET", `/api/sessions/${sid(app)}/breakouts`))) || [];
    app.rerender();
  };
  refresh();
  m.parts.push((s) => {
    if (app.lastFrame?.type?.startsWith("breakout.") && app.lastFrame.seq !== m.breakoutSeq) {
      m.breakoutSeq = app.lastFrame.seq;
      refresh();
    }
    const planned = [...rounds].reverse().find((r) => ["planned", "open", "closing"].includes(r.status));
    patch(plan, JSON.stringify([planned, s.people?.length]), () => {
      if (!planned) return h("p", {}, t("breakouts.none"));
      return [
        h("h3", {}, t("breakouts.plan")),
        h(
          "ul",
          {},
          planned.rooms.map((r) => h("li", {}, h("strong", {}, r.name), r.languages?.length ? ` (${r.languages.map(languageName).join(", ")})` : "", ": ", r.members.map((p) => nameOf(s, p)).join(", "))),
        ),
        planned.unplaced?.length
          ? [h("h4", {}, t("breakouts.unplaced")), h("ul", {}, planned.unplaced.map((u) => h("li", {}, `${nameOf(s, u.person_id)}: ${u.reason}`)))]
          : null,
        planned.uncovered?.length
          ? [h("h4", {}, t("breakouts.uncovered")), h("ul", {}, planned.uncovered.map((u) => h("li", {}, typeof u === "string" ? u : `${u.room_name || u.name || u.room_id}: ${(u.languages || [u.language]).filter(Boolean).map(languageName).join(", ")}`)))]
          : null,
      ];
    });
  });
  if (!isMod(app)) return region(t("breakouts.title"), plan);

  const s0 = app.conn.state;
  const strategy = select(t("breakouts.strategy"), STRATEGIES.map((x) => [x, t(`strategy.${x}`)]), "balanced", (v) => {
    if (v === "working_groups") {
      const groups = [...new Set((app.conn.state.people || []).flatMap((p) => p.groups || []))];
      if (groups.length && !names.value.trim()) names.value = groups.join("\n");
      updateLanguages();
    }
  });
  const count = h("input", { type: "number", min: 1, max: 100, value: 2, inputmode: "numeric" });
  const names = h("textarea", { rows: 4, oninput: () => updateLanguages() });
  const duration = h("input", { type: "number", min: 1, max: 600, value: 15, inputmode: "numeric" });
  const countdown = h("input", { type: "number", min: 0, max: 3600, value: 60, inputmode: "numeric" });
  const langBox = h("div", { class: "room-languages" });
  const langs = s0.event.interpretation_languages || [];
  function updateLanguages() {
    const list = names.value.split("\n").map((x) => x.trim()).filter(Boolean);
    const old = Object.fromEntries([...langBox.querySelectorAll("select")].map((el) => [el.dataset.room, el.value]));
    langBox.replaceChildren(
      ...list.map((n) => {
        const f = select(t("breakouts.languages_of", { room: n }), [["", t("breakouts.no_language")], ...langs.map((l) => [l, languageName(l)])], old[n] || "", null);
        f.querySelector("select").dataset.room = n;
        return f;
      }),
    );
  }
  const create = () => {
    const list = names.value.split("\n").map((x) => x.trim()).filter(Boolean);
    const byRoom = Object.fromEntries([...langBox.querySelectorAll("select")].map((el) => [el.dataset.room, el.value]));
    const body = {
      strategy: strategy.querySelector("select").value,
      duration_s: Math.max(1, parseInt(duration.value, 10) || 15) * 60,
      countdown_s: Math.max(0, parseInt(countdown.value, 10) || 0),
    };
    if (list.length) body.rooms = list.map((name) => ({ name, languages: byRoom[name] ? [byRoom[name]] : [] }));
    else body.count = Math.max(1, parseInt(count.value, 10) || 2);
    return act(app, async () => {
      await api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/breakouts`, body);
      await refresh();
    });
  };
  const step = (verb, body) => () => {
    const s = app.conn.state;
    const planned = [...rounds].reverse().find((r) => r.status === "planned");
    const id = verb === "open" ? planned?.id : s.round?.id;
    if (!id) return;
    return act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/breakouts/${id}/${verb}`, body));
  };
  return region(
    t("breakouts.title"),
    h(
      "div",
      { class: "form" },
      strategy,
      field(t("breakouts.count"), count),
      field(t("breakouts.names"), names),
      langBox,
      field(t("breakouts.duration"), duration),
      field(t("breakouts.countdown"), countdown),
      h(
        "div",
        { class: "buttons" },
        button(t("breakouts.create"), create),
        button(t("breakouts.open"), step("open")),
        button(t("breakouts.close"), step("close")),
        button(t("breakouts.extend"), step("extend", { seconds: 300 })),
        button(t("breakouts.cancel_close"), step("cancel-close")),
      ),
    ),
    plan,
  );
}

function broadcast(app) {
  const langs = app.conn.state.event.interpretation_languages || [];
  const text = h("textarea", { rows: 2 });
  const per = Object.fromEntries(langs.map((l) => [l, h("textarea", { rows: 2 })]));
  const done = h("p", { role: "status" });
  const send = () =>
    act(app, async () => {
      const translations = Object.fromEntries(Object.entries(per).filter(([, el]) => el.value.trim()).map(([l, el]) => [l, el.value]));
      await api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/broadcast`, { text: text.value, translations });
      text.value = "";
      for (const el of Object.values(per)) el.value = "";
      done.textContent = t("broadcast.sent");
    });
  // language names in the field labels are English in every catalogue's English
  return region(
    t("broadcast.title"),
    field(t("broadcast.message"), text),
    langs.map((l) => field(t("broadcast.message_in", { language: languageName(l) }), per[l])),
    button(t("broadcast.send"), send),
    done,
  );
}

function helpRequests(app, m) {
  const list = h("div", {});
  m.parts.push((s) => {
    const open = s.help || [];
    patch(list, JSON.stringify([open, s.people?.map((p) => p.name), s.rooms.map((r) => r.name)]), () =>
      open.length
        ? h(
            "ul",
            {},
            open.map((x) =>
              h(
                "li",
                {},
                roomName(s, x.room_id) ? t("help.in_room", { name: nameOf(s, x.person_id), room: roomName(s, x.room_id) }) : nameOf(s, x.person_id),
                x.status === "claimed" ? ` (${t("help.claimed")})` : "",
                isMod(app)
                  ? [
                      " ",
                      button(t("help.claim"), () => act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/help/${x.id}/claim`))),
                      button(t("help.dismiss"), () => act(app, () => api(app.base, app.token, "DELETE", `/api/sessions/${sid(app)}/help/${x.id}`))),
                    ]
                  : null,
              ),
            ),
          )
        : h("p", {}, t("help.none")),
    );
  });
  return region(t("help.title"), list);
}

function sourceText(src, channel, s) {
  if (!src) return t("source.none");
  if (src.kind === "floor") return t("source.floor");
  const text = t(`source.${src.kind}`, { language: languageName(src.language) });
  return channel?.on_air ? `${text} (${interpreterName(s, channel, channel.on_air)})` : text;
}

/** Staff see names; others see booth positions ("Interpreter 2"): the contract gives
 * participants and interpreters no one's name. */
function interpreterName(s, channel, pid) {
  const known = (s.people || []).find((p) => p.id === pid);
  if (known) return known.name;
  const i = channel.booth.findIndex((b) => b.person_id === pid);
  return t("booth.interpreter_n", { n: i + 1 });
}

function channels(app, m) {
  const box = h("div", {});
  m.parts.push((s) => {
    const rooms = s.channels?.rooms || [];
    patch(box, JSON.stringify([rooms, s.people?.map((p) => p.name), s.rooms.map((r) => r.name)]), () =>
      rooms.map((r) => {
        const name = roomName(s, r.room_id);
        const all = [s.event.floor_language, ...(s.event.interpretation_languages || [])];
        return h(
          "div",
          { class: "channel-room" },
          h("h3", {}, name),
          isMod(app)
            ? select(t("channels.floor"), all.map((l) => [l, languageName(l)]), r.floor_language, (language) =>
                act(app, () => api(app.base, app.token, "PUT", `/api/sessions/${sid(app)}/floor`, { language, room_id: r.room_id })),
                { id: `floor-${r.room_id}` },
              )
            : h("p", {}, `${t("channels.floor")}: ${languageName(r.floor_language)}`),
          h(
            "table",
            {},
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("channels.language")), h("th", { scope: "col" }, t("channels.source")), h("th", { scope: "col" }, t("channels.on_air")), h("th", { scope: "col" }, t("channels.listeners")))),
            h(
              "tbody",
              {},
              r.channels.map((c) =>
                h("tr", {}, h("th", { scope: "row" }, languageName(c.language)), h("td", {}, sourceText(c.source)), h("td", {}, c.on_air ? interpreterName(s, c, c.on_air) : t("channels.nobody")), h("td", {}, String(c.listeners))),
              ),
            ),
          ),
          r.channels
            .filter((c) => c.listeners > 0 && !c.source)
            .map((c) => h("p", { role: "alert", class: "uncovered" }, t("channels.uncovered", { language: languageName(c.language), room: name, n: c.listeners }))),
        );
      }),
    );
  });
  return region(t("channels.title"), box);
}

function people(app) {
  const file = h("input", { type: "file", accept: ".csv,text/csv" });
  const out = h("div", { class: "import-result" });
  const note = h("p", {}, t("people.links_note"));
  const send = (dry) => async () => {
    const f = file.files?.[0];
    if (!f) return;
    const text = await f.text();
    try {
      const res = await api(app.base, app.token, "POST", `/api/events/${eid(app)}/people/import${dry ? "?dry_run=true" : ""}`, text);
      out.replaceChildren(h("p", { role: "status" }, t(dry ? "people.checked" : "people.result", res)));
    } catch (e) {
      const errors = e.problem?.errors || [];
      out.replaceChildren(
        h("p", { role: "alert" }, e.message),
        h("ul", {}, errors.map((x) => h("li", {}, t("people.line", { line: x.line ?? (x.index ?? 0) + 1, column: x.column, detail: x.detail })))),
      );
    }
  };
  const links = () =>
    act(app, async () => {
      const blob = await api(app.base, app.token, "POST", `/api/events/${eid(app)}/people/links`, { roles: ["participant", "interpreter", "moderator"] }, { accept: "text/csv" });
      download(blob, "convene-links.csv");
    });
  return region(t("people.title"), field(t("people.file"), file), h("div", { class: "buttons" }, button(t("people.check"), send(true)), button(t("people.import"), send(false)), button(t("people.links"), links)), note, out);
}

function attendanceButton(app) {
  return h(
    "p",
    {},
    button(t("attendance.download"), () =>
      act(app, async () => download(await api(app.base, app.token, "GET", `/api/sessions/${sid(app)}/attendance`, undefined, { accept: "text/csv" }), "attendance.csv")),
    ),
  );
}

// ---- interpreters ----------------------------------------------------------------

function booth(app, m) {
  const box = h("div", {});
  const live = h("div", {});
  let chosen = null;
  m.parts.push((s) => {
    const me = s.you.person_id;
    const room = (s.channels?.rooms || []).find((r) => r.room_id === s.you.room_id);
    const mine = (room?.channels || []).filter((c) => c.booth.some((b) => b.person_id === me));
    const onAir = mine.find((c) => c.on_air === me);
    const serve = mine.filter((c) => c.language !== room.floor_language);
    const current = onAir || serve.find((c) => c.language === chosen) || serve[0] || mine[0];
    const asked = (s.handovers || []).find((x) => x.to === me);
    patch(live, onAir ? "on" : "off", () => (onAir ? h("p", { role: "status", class: "on-air" }, t("booth.live")) : []));
    patch(box, JSON.stringify([room?.floor_language, mine, asked?.request_id, chosen]), () => {
      if (!current) return h("p", {}, t("booth.none"));
      const partners = current.booth.filter((b) => b.person_id !== me).map((b) => [b.person_id, interpreterName(s, current, b.person_id)]);
      const partnerSel = select(t("booth.partner"), partners, partners[0]?.[0], null);
      const lang = current.language;
      const post = (path, body) => act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/channels/${lang}/${path}`, body));
      return [
        select(t("booth.channel"), mine.map((c) => [c.language, languageName(c.language)]), lang, (v) => {
          chosen = v;
          app.rerender();
        }),
        h("p", {}, t("booth.floor", { language: languageName(room.floor_language) })),
        h("p", {}, t("booth.source", { source: current.source ? sourceText(current.source) : `${t("source.floor")} (${languageName(room.floor_language)})` })),
        h("p", {}, t("booth.listeners", { n: current.listeners })),
        h(
          "div",
          { class: "buttons" },
          button(t("booth.on_air"), () => post("on-air")),
          button(t("booth.off_air"), () => post("off-air")),
          partnerSel,
          button(t("booth.hand_over"), () => post("handover", { to: partnerSel.querySelector("select").value })),
          asked ? [h("p", { role: "alert" }, t("booth.asked", { language: languageName(asked.language) })), button(t("booth.accept"), () => act(app, () => api(app.base, app.token, "POST", `/api/sessions/${sid(app)}/channels/${asked.language}/handover/accept`)))] : null,
        ),
      ];
    });
  });
  return region(t("booth.title"), live, upcomingAlert(app, m), box);
}
