// Convene's reference client: the public WebSocket protocol in one module.
//
// state = reduce(state, frame): the snapshot, then every event applied in order
// (pure, no DOM, no I/O: Node's test runner checks it against fresh snapshots).
// Session: connects, pings, reconnects with resume_from and back-off, and handles
// the close codes as docs/protocol.md says. Pages render from session.state.

const STOP = { 4401: "token", 4403: "forbidden", 4404: "session" };

const clone = (x) => (typeof structuredClone === "function" ? structuredClone(x) : JSON.parse(JSON.stringify(x)));
const byId = (list, id) => (list || []).find((x) => x.id === id) || null;

/** Apply one server frame (snapshot or event) to a state; returns a new state. */
export function reduce(state, frame) {
  if (frame.type === "snapshot") {
    // chat is not in the snapshot: what was received is kept (pages load history by REST)
    const d = clone(frame.data);
    const out = { hands: [], ...d, seq: frame.seq, notices: state?.notices || [], handovers: [], chat: state?.chat || [], speaker: state?.speaker || {} };
    out.upcoming = announced(out);
    return out;
  }
  if (frame.type === "pong" || !state || frame.seq <= state.seq) return state;
  const s = clone(state);
  s.seq = frame.seq;
  apply(s, frame.type, frame.data || {}, frame);
  s.room = byId(s.rooms, s.you.room_id);
  return s;
}

function apply(s, t, d, frame) {
  const me = s.you.person_id;
  const person = (pid) => byId(s.people, pid);
  if (t === "session.status") s.session.status = d.status;
  else if (t === "session.rescheduled") Object.assign(s.session, { start: d.start, end: d.end, timezone: d.timezone });
  else if (t === "room.moved" && d.round_id) {
    const p = person(d.person_id);
    if (p) p.room_id = d.to_room;
    if (d.person_id === me) s.you.room_id = d.to_room;
  } else if (t === "room.moved") moved(s, d, person(d.person_id));
  else if (t === "presence.joined" || t === "presence.left") {
    const joined = t === "presence.joined";
    const p = person(d.person_id);
    if (p) p.online = joined;
    const room = byId(s.rooms, d.room_id);
    if (room) room.online_count += joined ? 1 : -1;
  } else if (t === "presence.changed") {
    // a large room: the count is exact, the lists name at most 100 of those counted
    for (const [ids, on] of [[d.joined, true], [d.left, false]])
      for (const pid of ids || []) {
        const p = person(pid);
        if (p) p.online = on;
      }
    const room = byId(s.rooms, d.room_id);
    if (room) room.online_count = d.online;
  } else if (t === "person.removed") s.people = (s.people || []).filter((p) => p.id !== d.person_id);
  else if (t === "person.updated") {
    const p = person(d.person_id);
    if (p) Object.assign(p, { role: d.role, interprets: [...d.interprets] });
  }
  else if (t === "event.updated") {
    for (const [k, v] of Object.entries(d.changes)) if (k in s.event) s.event[k] = v;
    if ("interpretation_languages" in d.changes)
      for (const room of s.rooms) if (room.kind === "plenary") room.languages = [...d.changes.interpretation_languages];
  } else if (t === "room.counts") {
    for (const [rid, n] of Object.entries(d.counts)) {
      const room = byId(s.rooms, rid);
      if (room) room.members_count = n;
    }
  } else if (t === "breakout.opened") {
    for (const r of d.rooms)
      s.rooms.push({ ...r, floor_language: s.event.floor_language, round_id: d.round_id, members_count: 0, online_count: 0 });
    bulk(s, d);
    s.round = { id: d.round_id, status: "open", ends_at: d.ends_at, closes_at: null, rooms: d.rooms.map((r) => ({ id: r.id })) };
  } else if ((t === "breakout.extended" || t === "breakout.close_cancelled") && s.round) {
    Object.assign(s.round, { ends_at: d.ends_at, status: "open", closes_at: null });
  } else if (t === "breakout.closing" && s.round) Object.assign(s.round, { status: "closing", closes_at: d.closes_at });
  else if (t === "breakout.closed") {
    s.rooms = s.rooms.filter((r) => r.round_id !== d.round_id);
    s.round = null;
    bulk(s, d);
  } else if (t === "help.requested" || (t === "help.received" && !s.people)) {
    const room_id = t === "help.requested" ? d.room_id : s.you.room_id;
    const old = (s.help || []).find((h) => h.id === d.help_id) || {};
    const others = (s.help || []).filter((h) => h.id !== d.help_id);
    s.help = [...others, { ...old, id: d.help_id, room_id, person_id: d.person_id ?? old.person_id ?? me, status: old.status || "open" }];
  } else if (t === "help.claimed") {
    for (const h of s.help || []) if (h.id === d.help_id) Object.assign(h, { status: "claimed", claimed_by: d.moderator_id });
  } else if (t === "help.moved") {
    for (const h of s.help || []) if (h.id === d.help_id) h.room_id = d.room_id;
  } else if (t === "help.resolved") s.help = (s.help || []).filter((h) => h.id !== d.help_id);
  else if (t === "listening.changed" && d.person_id === me) {
    s.you.listening = d.language;
    s.channel = d.language;
  } else if (t === "floor.language") {
    for (const room of [...s.channels.rooms, ...s.rooms]) if ((room.room_id ?? room.id) === d.room_id) room.floor_language = d.language;
  } else if (t === "channel.updated") channelUpdated(s, d);
  else if (t === "listeners.changed") {
    const room = s.channels.rooms.find((r) => r.room_id === d.room_id);
    if (room) for (const c of room.channels) if (d.counts[c.language] !== undefined) c.listeners = d.counts[c.language];
  } else if (t === "handover.requested") s.handovers = [...(s.handovers || []).filter((h) => h.request_id !== d.request_id), d];
  else if (t.startsWith("handover.")) s.handovers = (s.handovers || []).filter((h) => h.request_id !== d.request_id);
  else if (t.startsWith("hand") || t === "speaker.called" || t === "floor.upcoming") queue(s, t, d);
  else if (t === "chat.message" && d.deleted) s.chat = (s.chat || []).filter((c) => c.id !== d.id);
  else if (t === "chat.message") s.chat = [...(s.chat || []).filter((c) => c.id !== d.id).slice(-(CHAT_KEPT - 1)), d];
  else if (t === "chat.deleted") s.chat = (s.chat || []).filter((c) => c.id !== d.id);
  if (t === "room.moved" && d.person_id === me && !s.people) {
    holdChannelsOf(s, d);
    // a participant sees only their room's queue: the new room's comes by REST (GET /hands)
    s.hands = (s.hands || []).filter((x) => x.room_id === s.you.room_id);
  }
  const notice = NOTICES[t];
  if (notice) s.notices = [...(s.notices || []).slice(-19), { seq: frame.seq, type: t, at: frame.at, data: d }];
}

// Events shown to people as messages (alerts, broadcasts, uncovered channels).
const NOTICES = Object.fromEntries(
  ["broadcast.message", "turn.due", "floor.upcoming", "channel.uncovered", "session.overtime", "breakout.unplaced"].map((t) => [t, true]),
);

const CHAT_KEPT = 200;

/** The speaker queue: ``hands`` in queue order per room (``position`` 1 = head),
 * ``upcoming[room_id]`` the last ``floor.upcoming`` with a language (null clears),
 * ``speaker[room_id]`` the last ``speaker.called``. */
function queue(s, t, d) {
  let hands = s.hands || [];
  if (t === "hand.raised") {
    const hand = { id: d.hand_id, person_id: d.person_id, name: d.name, room_id: d.room_id, language: d.language, raised_at: d.raised_at, position: d.position };
    const room = hands.filter((x) => x.room_id === d.room_id && x.id !== d.hand_id);
    room.splice(Math.max(0, d.position - 1), 0, hand);
    hands = [...hands.filter((x) => x.room_id !== d.room_id), ...room];
  } else if (t === "hand.changed") hands = hands.map((x) => (x.id === d.hand_id ? { ...x, language: d.language } : x));
  else if (t === "hand.lowered") hands = hands.filter((x) => x.id !== d.hand_id);
  else if (t === "hands.reordered") {
    const order = new Map(d.hand_ids.map((id, i) => [id, i]));
    const room = hands.filter((x) => x.room_id === d.room_id).sort((a, b) => (order.get(a.id) ?? 1e9) - (order.get(b.id) ?? 1e9));
    hands = [...hands.filter((x) => x.room_id !== d.room_id), ...room];
  } else if (t === "speaker.called") s.speaker = { ...(s.speaker || {}), [d.room_id]: d };
  else if (t === "floor.upcoming") {
    const up = { ...(s.upcoming || {}) };
    if (d.language) up[d.room_id] = d;
    else delete up[d.room_id];
    s.upcoming = up;
  }
  const pos = {};
  s.hands = hands.map((x) => ({ ...x, position: (pos[x.room_id] = (pos[x.room_id] || 0) + 1) }));
}

/** The snapshot has no floor.upcoming: what the server last announced is, by its rule,
 * each queue's head when its language differs from the room's floor language. */
function announced(s) {
  const up = {};
  for (const x of s.hands) {
    const room = byId(s.rooms, x.room_id);
    if (x.position === 1 && room && x.language !== room.floor_language)
      up[x.room_id] = { room_id: x.room_id, language: x.language, person_id: x.person_id, hand_id: x.id };
  }
  return up;
}

function moved(s, d, p) {
  const pid = d.person_id;
  const online = p ? p.online : null;
  for (const [rid, delta] of [[d.from_room, -1], [d.to_room, 1]]) {
    const room = byId(s.rooms, rid);
    if (!room) continue;
    room.members_count += delta;
    if (room.members) {
      room.members = delta > 0 ? [...new Set([...room.members, pid])].sort() : room.members.filter((m) => m !== pid);
    }
    if (online || (online === null && pid === s.you.person_id)) room.online_count += delta;
  }
  if (p) p.room_id = d.to_room;
  if (pid === s.you.person_id) s.you.room_id = d.to_room;
}

function bulk(s, d) {
  const members = d.members || d.room_members || {};
  const counts = d.counts || {};
  for (const room of s.rooms) {
    if (room.id in counts) room.members_count = counts[room.id];
    if (room.id in members) room.members = [...members[room.id]].sort();
    else if (s.people) room.members = [];
  }
  if (s.people) {
    const online = new Set(s.people.filter((p) => p.online).map((p) => p.id));
    for (const room of s.rooms) if (room.members) room.online_count = room.members.filter((m) => online.has(m)).length;
  }
}

function channelUpdated(s, d) {
  const rooms = s.channels.rooms;
  let room = rooms.find((r) => r.room_id === d.room_id);
  if (!room) {
    room = { room_id: d.room_id, kind: "breakout", channels: [], floor_language: s.event.floor_language };
    rooms.push(room);
  }
  const chans = room.channels.filter((c) => c.language !== d.channel.language);
  if (!d.removed) chans.push(d.channel);
  room.channels = chans;
  if (!chans.length) rooms.splice(rooms.indexOf(room), 1);
}

function holdChannelsOf(s, d) {
  if (!s.channels) return;
  const to = d.to_room;
  let rooms = s.channels.rooms.filter((r) => r.kind === "plenary" || r.room_id === to);
  if (d.channels != null) {
    const target = byId(s.rooms, to) || {};
    rooms = rooms.filter((r) => r.room_id !== to);
    rooms.push({ room_id: to, kind: "breakout", floor_language: target.floor_language ?? s.event.floor_language, channels: d.channels });
  }
  s.channels.rooms = rooms;
}

/** Milliseconds left until an ISO instant, on the server's clock (offset = server - local). */
export function remainingMs(iso, offsetMs, localNow = Date.now()) {
  return Date.parse(iso) - (localNow + offsetMs);
}

/** One live connection to a session, kept open until stop() or a final close code. */
export class Session {
  constructor({ base, sessionId, token, onChange, WebSocketImpl, pingEveryMs = 20000 }) {
    Object.assign(this, { base, sessionId, token, onChange, pingEveryMs });
    this.WS = WebSocketImpl || globalThis.WebSocket;
    this.state = null;
    this.offsetMs = 0; // server clock minus local clock
    this.status = "connecting"; // connecting | open | reconnecting | ended
    this.ended = null; // "token" | "forbidden" | "session" once a close code ends it
    this.attempt = 0;
  }

  start() {
    this._connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this._retry);
    clearInterval(this._ping);
    this.ws?.close(1000);
  }

  _url() {
    const url = new URL(`/ws/sessions/${encodeURIComponent(this.sessionId)}`, this.base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", this.token);
    if (this.state) url.searchParams.set("resume_from", String(this.state.seq));
    return url.toString();
  }

  _connect() {
    const ws = new this.WS(this._url());
    this.ws = ws;
    ws.onmessage = (m) => this._frame(JSON.parse(m.data));
    ws.onopen = () => {
      this._ping = setInterval(() => this._pingNow(), this.pingEveryMs);
      this._pingNow();
    };
    ws.onclose = (e) => this._closed(e.code);
  }

  _pingNow() {
    this._sentPing = Date.now();
    this.send({ type: "ping" });
  }

  send(obj) {
    if (this.ws && this.ws.readyState === 1) this.ws.send(JSON.stringify(obj));
  }

  _frame(frame) {
    if (frame.type === "pong") {
      // the midpoint of the round trip is the best local estimate of server_time
      const now = Date.now();
      const mid = this._sentPing ? (this._sentPing + now) / 2 : now;
      this.offsetMs = Date.parse(frame.server_time) - mid;
      // a resume with nothing to replay sends no event: the pong says we are back
      if (this.status !== "open" && this.state) {
        this.status = "open";
        this.attempt = 0;
        this.onChange?.(this, frame, this.state);
      }
      return;
    }
    if (frame.type === "snapshot") this.offsetMs = Date.parse(frame.data.server_time) - Date.now();
    this.attempt = 0;
    const changed = this.status !== "open";
    this.status = "open";
    const next = reduce(this.state, frame);
    if (next !== this.state || changed) {
      const prev = this.state;
      this.state = next;
      this.onChange?.(this, frame, prev);
    }
  }

  _closed(code) {
    clearInterval(this._ping);
    if (this.stopped) return;
    if (STOP[code]) {
      this.status = "ended";
      this.ended = STOP[code];
      this.onChange?.(this, null, this.state);
      return;
    }
    this.status = "reconnecting";
    this.onChange?.(this, null, this.state);
    // 4408 (too slow): at once, resuming; anything else: growing back-off with jitter
    const delay = code === 4408 ? 0 : Math.min(5000, 400 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this._retry = setTimeout(() => this._connect(), delay);
  }
}

/** REST with the bearer header; resolves to the parsed body or throws {status, problem}. */
export async function api(base, token, method, path, body, { accept } = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined && !(body instanceof Blob) && typeof body !== "string") headers["Content-Type"] = "application/json";
  if (typeof body === "string") headers["Content-Type"] = "text/csv";
  if (accept) headers.Accept = accept;
  const res = await fetch(new URL(path, base), {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  if (!res.ok) {
    let problem = null;
    try {
      problem = await res.json();
    } catch {
      problem = { detail: res.statusText };
    }
    throw Object.assign(new Error(problem.detail || res.statusText), { status: res.status, problem });
  }
  if (accept && accept !== "application/json") return res.blob();
  return res.status === 204 ? null : res.json();
}
