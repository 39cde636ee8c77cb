// The console's reference client (server/console/static/client.js) under Node's test
// runner: the reducer, the server clock, and the connection's reconnect rules.
import assert from "node:assert/strict";
import { test } from "node:test";

import { reduce, remainingMs, Session } from "../../server/console/static/client.js";

const P = "plenary-1";
const snapshot = (over = {}) => ({
  type: "snapshot",
  seq: 10,
  data: {
    session: { id: "s1", title: "Kick-off", status: "lobby" },
    event: { id: "e1", floor_language: "en", interpretation_languages: ["ar"] },
    server_time: "2021-08-31T12:00:00.000Z",
    you: { person_id: "mod", role: "moderator", room_id: P, listening: "en" },
    rooms: [{ id: P, name: "Plenary", kind: "plenary", languages: ["ar"], floor_language: "en", round_id: null, members_count: 2, online_count: 1, members: ["mod", "p1"] }],
    people: [
      { id: "mod", name: "Mona", role: "moderator", room_id: P, online: true },
      { id: "p1", name: "Nino", role: "participant", room_id: P, online: false },
    ],
    channel: "en",
    round: null,
    help: [],
    channels: { rooms: [{ room_id: P, kind: "plenary", floor_language: "en", channels: [{ language: "en", on_air: null, source: { kind: "floor", language: "en" }, listeners: 1, booth: [] }] }] },
    ...over,
  },
});
const ev = (seq, type, data) => ({ seq, type, data, at: "2021-08-31T12:00:01Z", by: null });

test("events after the snapshot change the state; older seqs are ignored", () => {
  let s = reduce(null, snapshot());
  s = reduce(s, ev(11, "session.status", { status: "live", previous: "lobby" }));
  assert.equal(s.session.status, "live");
  assert.equal(s.seq, 11);
  const same = reduce(s, ev(11, "session.status", { status: "ended" }));
  assert.equal(same, s);
  s = reduce(s, ev(12, "presence.joined", { person_id: "p1", room_id: P }));
  assert.equal(s.people[1].online, true);
  assert.equal(s.room.online_count, 2);
});

test("a round opens and closes: rooms, members, ends_at, back to the plenary", () => {
  let s = reduce(null, snapshot());
  s = reduce(s, ev(11, "breakout.opened", { round_id: "r1", ends_at: "2021-08-31T12:10:00Z", rooms: [{ id: "b1", name: "Digital divide", kind: "breakout", languages: [] }], counts: { [P]: 1, b1: 1 }, members: { [P]: ["mod"], b1: ["p1"] } }));
  s = reduce(s, ev(12, "room.moved", { person_id: "p1", from_room: P, to_room: "b1", round_id: "r1" }));
  assert.equal(s.round.ends_at, "2021-08-31T12:10:00Z");
  assert.deepEqual(s.rooms.find((r) => r.id === "b1").members, ["p1"]);
  assert.equal(s.people[1].room_id, "b1");
  s = reduce(s, ev(13, "breakout.closing", { round_id: "r1", closes_at: "2021-08-31T12:11:00Z" }));
  assert.equal(s.round.status, "closing");
  s = reduce(s, ev(14, "breakout.closed", { round_id: "r1", counts: { [P]: 2 }, members: { [P]: ["mod", "p1"] } }));
  assert.equal(s.round, null);
  assert.deepEqual(s.rooms.map((r) => r.id), [P]);
  assert.equal(s.rooms[0].members_count, 2);
});

test("channels, listening, help and handovers follow their events", () => {
  let s = reduce(null, snapshot({ you: { person_id: "p1", role: "participant", room_id: P, listening: "en" }, people: undefined }));
  const channel = { language: "ar", on_air: "i1", source: { kind: "interpreter", language: "en" }, listeners: 1, booth: [{ person_id: "i1", live: true }] };
  s = reduce(s, ev(11, "channel.updated", { room_id: P, channel }));
  s = reduce(s, ev(12, "listening.changed", { person_id: "p1", room_id: P, language: "ar" }));
  assert.equal(s.channel, "ar");
  assert.equal(s.channels.rooms[0].channels.find((c) => c.language === "ar").on_air, "i1");
  s = reduce(s, ev(13, "help.received", { help_id: "h1" }));
  assert.deepEqual(s.help.map((h) => h.id), ["h1"]);
  s = reduce(s, ev(14, "help.resolved", { help_id: "h1", person_id: "p1", reason: "cancelled" }));
  assert.deepEqual(s.help, []);
  s = reduce(s, ev(15, "handover.requested", { request_id: "q1", room_id: P, language: "ar", from: "i1", to: "i2" }));
  assert.equal(s.handovers.length, 1);
  s = reduce(s, ev(16, "handover.completed", { request_id: "q1", room_id: P, language: "ar", from: "i1", to: "i2" }));
  assert.equal(s.handovers.length, 0);
  s = reduce(s, ev(17, "broadcast.message", { text: "<b>hi</b>" }));
  assert.equal(s.notices.at(-1).data.text, "<b>hi</b>");
});

test("time left is counted on the server's clock, whatever the local clock says", () => {
  const ends = "2021-08-31T12:10:00Z";
  const serverNow = Date.parse("2021-08-31T12:00:00Z");
  for (const skew of [0, 7 * 60_000, -190_000]) {
    const local = serverNow + skew;
    assert.equal(remainingMs(ends, serverNow - local, local), 600_000);
  }
});

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 1;
    FakeSocket.all.push(this);
    queueMicrotask(() => this.onopen?.());
  }
  send(x) {
    this.sent.push(JSON.parse(x));
  }
  close() {}
  frame(obj) {
    this.onmessage({ data: JSON.stringify(obj) });
  }
  drop(code) {
    this.readyState = 3;
    this.onclose({ code });
  }
}

test("reconnects with resume_from; 4408 at once; 4401/4403/4404 end; pings", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  FakeSocket.all = [];
  const seen = [];
  const conn = new Session({ base: "http://x.example", sessionId: "s1", token: "tok", WebSocketImpl: FakeSocket, onChange: (c) => seen.push(c.status) }).start();
  await Promise.resolve();
  const first = FakeSocket.all[0];
  assert.match(first.url, /^ws:\/\/x\.example\/ws\/sessions\/s1\?token=tok$/);
  assert.deepEqual(first.sent, [{ type: "ping" }]);
  first.frame(snapshot());
  first.frame(ev(11, "session.status", { status: "live" }));
  first.drop(1006);
  assert.equal(conn.status, "reconnecting");
  t.mock.timers.tick(5000);
  const second = FakeSocket.all[1];
  assert.match(second.url, /resume_from=11$/);
  second.drop(4408); // too slow: back at once, resuming
  t.mock.timers.tick(0);
  assert.match(FakeSocket.all[2].url, /resume_from=11$/);
  await Promise.resolve();
  FakeSocket.all[2].frame({ type: "pong", server_time: "2021-08-31T12:00:05.000Z" });
  assert.equal(conn.status, "open");
  for (const code of [4401, 4403, 4404]) {
    const c = new Session({ base: "http://x.example", sessionId: "s1", token: "t", WebSocketImpl: FakeSocket }).start();
    FakeSocket.all.at(-1).drop(code);
    assert.equal(c.status, "ended");
    assert.equal(c.ended, { 4401: "token", 4403: "forbidden", 4404: "session" }[code]);
    const sockets = FakeSocket.all.length;
    t.mock.timers.tick(60_000);
    assert.equal(FakeSocket.all.length, sockets); // no retry
  }
  assert.ok(seen.includes("reconnecting") && seen.at(-1) === "open");
  conn.stop();
});

test("turn.due, floor.upcoming and uncovered channels become notices, the last 20 kept", () => {
  let s = reduce(null, snapshot());
  s = reduce(s, ev(11, "turn.due", { room_id: P, language: "ar", person_id: "i1", partner_id: "i2", on_air_s: 1200 }));
  s = reduce(s, ev(12, "floor.upcoming", { room_id: P, language: "ar", person_id: "p1", hand_id: "h1" }));
  s = reduce(s, ev(13, "session.status", { status: "live" }));
  assert.deepEqual(s.notices.map((n) => n.type), ["turn.due", "floor.upcoming"]);
  for (let i = 0; i < 30; i++) s = reduce(s, ev(14 + i, "channel.uncovered", { room_id: P, language: "ar", listeners: 1, reason: "off_air" }));
  assert.equal(s.notices.length, 20);
  assert.equal(s.notices.at(-1).seq, 43);
});

test("the speaker queue and chat follow their events; a participant's move keeps only the new room's queue", () => {
  let s = reduce(null, snapshot({ hands: [{ id: "h0", person_id: "mod", name: "Mona", room_id: P, language: "en", raised_at: "2021-08-31T11:59:00Z", position: 1 }] }));
  s = reduce(s, ev(11, "hand.raised", { room_id: P, hand_id: "h1", person_id: "p1", name: "Nino", language: "ar", raised_at: "2021-08-31T12:00:01Z", position: 2 }));
  s = reduce(s, ev(12, "floor.upcoming", { room_id: P, language: "ar", person_id: "p1", hand_id: "h1" }));
  assert.deepEqual(s.hands.map((x) => [x.id, x.position]), [["h0", 1], ["h1", 2]]);
  s = reduce(s, ev(13, "hands.reordered", { room_id: P, hand_ids: ["h1", "h0"] }));
  assert.deepEqual(s.hands.map((x) => [x.id, x.position]), [["h1", 1], ["h0", 2]]);
  s = reduce(s, ev(14, "hand.changed", { room_id: P, hand_id: "h1", person_id: "p1", language: "en" }));
  assert.equal(s.hands[0].language, "en");
  assert.equal(s.upcoming[P].language, "ar");
  s = reduce(s, ev(15, "floor.upcoming", { room_id: P, language: null, person_id: null, hand_id: null }));
  assert.equal(s.upcoming[P], undefined);
  s = reduce(s, ev(16, "hand.lowered", { room_id: P, hand_id: "h1", person_id: "p1", reason: "called" }));
  s = reduce(s, ev(17, "speaker.called", { room_id: P, person_id: "p1", language: "en", hand_id: "h1" }));
  assert.deepEqual(s.hands.map((x) => [x.id, x.position]), [["h0", 1]]);
  assert.equal(s.speaker[P].person_id, "p1");
  const evil = "<img src=x onerror=alert(1)>";
  s = reduce(s, ev(18, "chat.message", { id: "c1", from: "p1", from_name: "Nino", from_role: "participant", to: "room", room_id: P, text: evil }));
  s = reduce(s, ev(19, "chat.message", { id: "c2", from: "mod", from_name: "Mona", from_role: "moderator", to: "p1", room_id: null, text: "hi" }));
  assert.deepEqual(s.chat.map((c) => [c.id, c.text]), [["c1", evil], ["c2", "hi"]]);
  s = reduce(s, ev(20, "chat.deleted", { id: "c1" }));
  assert.deepEqual(s.chat.map((c) => c.id), ["c2"]);
  // a replayed message deleted since arrives blanked: never shown
  s = reduce(s, ev(21, "chat.message", { id: "c1", from: "p1", from_name: "Nino", from_role: "participant", to: "room", room_id: P, text: "", deleted: true }));
  assert.deepEqual(s.chat.map((c) => c.id), ["c2"]);
  // a new snapshot (a resume that could not replay) keeps the chat received so far
  s = reduce(s, { ...snapshot(), seq: 30 });
  assert.deepEqual(s.chat.map((c) => c.id), ["c2"]);
  assert.deepEqual(s.hands, []);
  // a snapshot whose queue's head speaks another language than the floor: announced
  s = reduce(s, { ...snapshot({ hands: [{ id: "h5", person_id: "p1", name: "Nino", room_id: P, language: "ar", raised_at: "2021-08-31T12:00:05Z", position: 1 }] }), seq: 40 });
  assert.equal(s.upcoming[P].language, "ar");
  let p = reduce(null, snapshot({ you: { person_id: "p1", role: "participant", room_id: P, listening: "en" }, people: undefined, hands: [{ id: "h0", person_id: "x", name: "X", room_id: P, language: "en", raised_at: "2021-08-31T11:59:00Z", position: 1 }] }));
  p = reduce(p, ev(11, "room.moved", { person_id: "p1", from_room: P, to_room: "b1" }));
  assert.deepEqual(p.hands, []);
});

test("a large room's coalesced presence.changed sets its online count; names turn online", () => {
  let s = reduce(null, snapshot());
  s = reduce(s, ev(11, "presence.changed", { room_id: P, joined: ["p1"], left: [], online: 412, joined_count: 300, left_count: 0 }));
  assert.equal(s.room.online_count, 412);
  assert.equal(s.people[1].online, true);
  s = reduce(s, ev(12, "presence.changed", { room_id: P, joined: [], left: ["p1"], online: 411, joined_count: 0, left_count: 1 }));
  assert.equal(s.room.online_count, 411);
  assert.equal(s.people[1].online, false);
});
