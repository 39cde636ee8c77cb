// The "Speaker queue" and "Chat" regions (shared/spec/console.md), on the public
// contract's hands and messages (shared/spec/protocol.md). Everything people wrote
// (names, chat text) goes in as text nodes (ui.h), never as HTML.

import { api } from "./client.js";
import { act, button } from "./pages.js";
import { field, h, languageName, patch, region, select, t } from "./ui.js";

const STAFF_ROLES = new Set(["moderator", "observer"]);
const sid = (app) => app.conn.state.session.id;
const call = (app, method, path, body) => act(app, () => api(app.base, app.token, method, `/api/sessions/${sid(app)}${path}`, body));
const roomName = (s, rid) => s.rooms.find((r) => r.id === rid)?.name || "";

/** Raise/lower hand with the language one will speak, and the queue; moderators
 * give the floor, dismiss and reorder. */
export function speakerQueue(app, m) {
  const s0 = app.conn.state;
  const role = s0.you.role;
  const mod = role === "moderator";
  const languages = [s0.event.floor_language, ...(s0.event.interpretation_languages || [])];
  const mine = h("div", { class: "my-hand" });
  const list = h("div", { class: "queue" });
  const speaking = h("div", {});
  let spoken = app.me.person?.language;
  if (!languages.includes(spoken)) spoken = s0.event.floor_language;
  let room = s0.you.room_id;
  m.parts.push((s) => {
    // participants see their room's queue only: a new room's comes by REST
    if (!s.people && s.you.room_id !== room) {
      room = s.you.room_id;
      call(app, "GET", "/hands").then((hands) => {
        if (hands && app.conn.state.you.room_id === room) {
          app.conn.state = { ...app.conn.state, hands };
          app.rerender();
        }
      });
    }
    const hands = s.hands || [];
    const my = hands.find((x) => x.person_id === s.you.person_id);
    if (role !== "observer")
      patch(mine, JSON.stringify([my?.id, my?.language]), () =>
        my
          ? [h("p", {}, t("queue.my_position", { n: my.position, language: languageName(my.language) })), button(t("queue.lower"), () => call(app, "DELETE", `/hands/${my.id}`))]
          : [
              select(t("queue.language"), languages.map((l) => [l, languageName(l)]), spoken, (v) => (spoken = v), { id: "hand-language" }),
              button(t("queue.raise"), () => call(app, "POST", "/hands", { language: spoken })),
            ],
      );
    const rooms = [...new Set(hands.map((x) => x.room_id))];
    patch(list, JSON.stringify([hands, s.rooms.map((r) => r.name)]), () =>
      hands.length
        ? rooms.map((rid) => {
            const queue = hands.filter((x) => x.room_id === rid);
            return [
              s.people ? h("h3", {}, roomName(s, rid)) : null,
              h(
                "ol",
                {},
                queue.map((x, i) =>
                  h(
                    "li",
                    { class: "hand" },
                    h("bdi", { class: "person-name" }, x.name),
                    ` (${languageName(x.language)})`,
                    mod
                      ? h(
                          "span",
                          { class: "buttons" },
                          button(t("queue.call"), () => call(app, "POST", `/hands/${x.id}/call`)),
                          button(t("queue.dismiss"), () => call(app, "DELETE", `/hands/${x.id}`)),
                          i > 0 ? button(t("queue.up"), () => reorder(app, queue, i, -1)) : null,
                          i < queue.length - 1 ? button(t("queue.down"), () => reorder(app, queue, i, 1)) : null,
                        )
                      : null,
                  ),
                ),
              ),
            ];
          })
        : h("p", {}, t("queue.empty")),
    );
    const called = s.speaker?.[s.you.room_id];
    patch(speaking, JSON.stringify(called || null), () =>
      called ? h("p", { role: "status" }, called.person_id === s.you.person_id ? t("queue.you_speak") : t("queue.speaking", { language: languageName(called.language) })) : [],
    );
  });
  return region(t("queue.title"), STAFF_ROLES.has(role) ? upcomingAlert(app, m) : null, speaking, role === "observer" ? null : mine, list);
}

function reorder(app, queue, i, by) {
  const ids = queue.map((x) => x.id);
  [ids[i], ids[i + by]] = [ids[i + by], ids[i]];
  return call(app, "PUT", "/hands/order", { room_id: queue[0].room_id, hand_ids: ids });
}

/** The interpreter's "floor.upcoming" alert for their room: shown while announced,
 * gone when ``language: null`` clears it. */
export function upcomingAlert(app, m) {
  const box = h("div", { class: "upcoming" });
  m.parts.push((s) => {
    // interpreters: their room's; staff: every room's, named
    const ups = Object.values(s.upcoming || {}).filter((u) => s.people || u.room_id === s.you.room_id);
    patch(box, JSON.stringify(ups), () =>
      ups.map((u) => {
        const text = t("alert.floor_upcoming", { language: languageName(u.language) });
        return h("p", { role: "alert" }, s.people ? `${roomName(s, u.room_id)}: ${text}` : text);
      }),
    );
  });
  return box;
}

/** Messages the person may see (history by REST, then chat.message events), and a
 * form: to the room, the moderators, the booth (interpreters), a room or a person
 * (moderators). Observers read only. */
export function chat(app, m) {
  const s0 = app.conn.state;
  const role = s0.you.role;
  const list = h("ol", { class: "chat-log" });
  const log = h("div", { role: "log", "aria-label": t("chat.log") }, list);
  let history = [];
  call(app, "GET", "/messages?limit=50").then((rows) => {
    history = rows || [];
    m.chatKey = null;
    app.rerender();
  });
  m.parts.push((s) => {
    if (app.lastFrame?.type === "chat.deleted") history = history.filter((c) => c.id !== app.lastFrame.data.id);
    const seen = new Set();
    const all = [...history, ...(s.chat || [])].filter((c) => !seen.has(c.id) && seen.add(c.id)).slice(-100);
    patch(list, JSON.stringify([all.map((c) => c.id), s.people?.length]), () =>
      all.map((c) =>
        h(
          "li",
          { class: "chat-message" },
          h("strong", {}, h("bdi", {}, c.from_name)),
          h("span", { class: "chat-to" }, ` → ${audience(s, c)}: `),
          h("bdi", { class: "chat-text" }, c.text),
          c.from === s.you.person_id || role === "moderator" ? [" ", button(t("chat.delete"), () => call(app, "DELETE", `/messages/${c.id}`), { class: "small" })] : null,
        ),
      ),
    );
  });
  if (role === "observer") return region(t("chat.title"), log);
  const text = h("textarea", { rows: 2, maxlength: 2000 });
  const to = h("div", {});
  let target = "room";
  m.parts.push((s) => {
    const options = [["room", t("chat.to_room")], ["moderators", t("chat.to_moderators")]];
    if (role === "interpreter") options.push(["booth", t("chat.to_booth")]);
    if (role === "moderator") {
      for (const r of s.rooms) if (r.id !== s.you.room_id) options.push([`room:${r.id}`, t("chat.to_room_named", { room: r.name })]);
      for (const p of s.people || []) if (p.id !== s.you.person_id && p.role !== "observer") options.push([p.id, p.name]);
    }
    if (!options.some(([v]) => v === target)) target = "room";
    patch(to, JSON.stringify(options), () => select(t("chat.to"), options, target, (v) => (target = v), { id: "chat-to" }));
  });
  const send = () => {
    const body = target.startsWith("room:") ? { text: text.value, to: "room", room_id: target.slice(5) } : { text: text.value, to: target };
    if (!text.value.trim()) return;
    return call(app, "POST", "/messages", body).then((out) => {
      if (out) text.value = "";
    });
  };
  return region(t("chat.title"), log, h("div", { class: "form" }, field(t("chat.message"), text), to, button(t("chat.send"), send)));
}

function audience(s, c) {
  if (c.to === "room") return c.room_id && c.room_id !== s.you.room_id ? roomName(s, c.room_id) || t("chat.to_room") : t("chat.to_room");
  if (c.to === "moderators") return t("chat.to_moderators");
  if (c.to === "booth") return t("chat.to_booth");
  if (c.to === s.you.person_id) return t("chat.to_you");
  return (s.people || []).find((p) => p.id === c.to)?.name || t("chat.direct");
}
