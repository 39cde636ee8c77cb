// The person's audio through Janus's AudioBridge, as docs/media-server.md ("A
// client's join") describes for any client: a media ticket from
// GET /api/sessions/{id}/media, a join with its token, and, when the ticket changes
// (own room.moved, listening.changed, on-air and floor changes), a new ticket and a
// `changeroom`. Convene's bridge decides who is unmuted; this page only follows.
//
// janus.js (vendor/, `make vendor-janus`) is Janus's own ES module; it expects
// webrtc-adapter as the global `adapter`, which vendor/adapter.js (a UMD bundle)
// sets when imported. Both load only when the person joins audio.

import { api } from "./client.js";

const RETRY_MS = 300;
const JOIN_FOR_MS = 10000; // the bridge creates rooms and allows tokens just after the event

let janusLib = null;
async function loadJanus() {
  if (!janusLib) {
    await import("./vendor/adapter.js");
    const { default: Janus } = await import("./vendor/janus.es.js");
    await new Promise((resolve) => Janus.init({ debug: false, callback: resolve }));
    janusLib = Janus;
  }
  return janusLib;
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

/** One AudioBridge handle in one room at a time; the listen handle plays the mix. */
class Handle {
  constructor(audio, { play }) {
    this.audio = audio;
    this.play = play;
    this.room = null;
    this.pending = null; // {resolve, reject, kind}
  }

  attach() {
    return new Promise((resolve, reject) => {
      this.audio.janus.attach({
        plugin: "janus.plugin.audiobridge",
        success: (h) => {
          this.h = h;
          resolve(this);
        },
        error: reject,
        onmessage: (msg, jsep) => this.message(msg, jsep),
        onremotetrack: (track, mid, on) => {
          if (!this.play) return;
          const el = this.audio.element;
          el.srcObject = on ? new MediaStream([track]) : null;
          if (on) el.play().catch(() => {});
        },
        oncleanup: () => this.room !== null && this.audio.lost("cleanup"),
      });
    });
  }

  message(msg, jsep) {
    if (jsep) this.h.handleRemoteJsep({ jsep });
    const ev = msg.audiobridge;
    const p = this.pending;
    if (msg.error_code || msg.error) {
      if (p) {
        this.pending = null;
        p.reject(new Error(msg.error || String(msg.error_code)));
      }
      return;
    }
    if (p && ev === p.kind) {
      this.pending = null;
      p.resolve(msg);
    } else if (ev === "event" && msg.kicked && msg.kicked === this.id) {
      this.audio.lost("kicked");
    } else if (ev === "hangup") {
      this.audio.lost("hangup");
    }
  }

  request(message, kind) {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject, kind };
      this.h.send({ message, error: (e) => ((this.pending = null), reject(new Error(String(e)))) });
    });
  }

  /** Joins (or changes to) the ticket's room, retrying while the bridge catches up. */
  async go(join) {
    const body = { room: join.room, id: join.id, token: join.token };
    const until = Date.now() + JOIN_FOR_MS;
    for (;;) {
      try {
        if (this.room === null) {
          await this.request({ request: "join", ...body, muted: true }, "joined");
          this.room = join.room;
          this.id = join.id;
          await this.negotiate();
        } else {
          await this.request({ request: "changeroom", ...body, muted: true }, "roomchanged");
          this.room = join.room;
          this.id = join.id;
        }
        return;
      } catch (e) {
        if (this.closed || Date.now() > until) throw e;
        await wait(RETRY_MS);
      }
    }
  }

  /** One PeerConnection: the microphone out (muted until the bridge unmutes it), the
   * room's mix in. `configure` carries no `muted`: it would undo the bridge's unmute. */
  negotiate() {
    return new Promise((resolve, reject) => {
      this.h.createOffer({
        tracks: [{ type: "audio", capture: true, recv: true }],
        success: (jsep) => {
          this.h.send({ message: { request: "configure" }, jsep });
          resolve();
        },
        error: reject,
      });
    });
  }

  /** A request still waiting for its answer fails: the Janus session that would have
   * answered is gone, and the audio's next attempt waits for this one to end. */
  close() {
    this.room = null;
    this.closed = true;
    const p = this.pending;
    this.pending = null;
    p?.reject(new Error("audio handle closed"));
    try {
      this.h?.detach();
    } catch {
      /* already gone */
    }
  }

  /** Inbound and outbound audio packets of this PeerConnection (for the page and tests). */
  async stats() {
    const pc = this.h?.webrtcStuff?.pc;
    const out = { inbound: 0, outbound: 0, ice: pc?.iceConnectionState || "none" };
    if (!pc) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.kind === "audio" && r.type === "inbound-rtp") {
        out.inbound += r.packetsReceived || 0;
        out.energy = (out.energy || 0) + (r.totalAudioEnergy || 0);
      }
      if (r.kind === "audio" && r.type === "outbound-rtp") out.outbound += r.packetsSent || 0;
    });
    return out;
  }
}

/** The person's audio: start() on the person's click (browsers play and ask for the
 * microphone after a gesture), refresh() when what they should hear may have changed. */
export class Audio {
  constructor(app, onChange) {
    this.app = app;
    this.onChange = onChange;
    this.element = document.createElement("audio");
    this.element.autoplay = true;
    this.state = "off"; // off | connecting | on | unavailable
    this.ticket = null;
    this.listen = null;
    this.speak = new Map(); // room -> Handle
    this.queue = Promise.resolve();
    this.generation = 0;
  }

  set(state) {
    this.state = state;
    this.onChange?.(this);
  }

  start() {
    if (this.state === "connecting" || this.state === "on") return;
    this.set("connecting");
    this.run(() => this.connect());
  }

  stop() {
    this.generation++;
    this.teardown();
    this.set("off");
  }

  /** A new ticket, applied after whatever is being applied now. */
  refresh() {
    if (this.state === "on" || this.state === "connecting") this.run(() => this.listen && this.place());
  }

  run(step) {
    const gen = this.generation;
    this.queue = this.queue
      .then(() => (gen === this.generation ? step() : undefined))
      .catch((e) => {
        if (gen !== this.generation) return;
        console.warn("audio:", e);
        this.lost(String(e));
      });
  }

  /** Janus restarted, or kicked or hung up our handle: start over from a fresh ticket. */
  lost(why) {
    if (this.state === "off" || this.restarting) return;
    this.restarting = true;
    this.generation++;
    this.teardown();
    this.set("connecting");
    setTimeout(() => {
      this.restarting = false;
      if (this.state !== "off") this.run(() => this.connect());
    }, 1000);
  }

  teardown() {
    this.listen?.close();
    for (const h of this.speak.values()) h.close();
    this.listen = null;
    this.speak = new Map();
    try {
      this.janus?.destroy({ cleanupHandles: true });
    } catch {
      /* gone with Janus */
    }
    this.janus = null;
    this.element.srcObject = null;
  }

  async getTicket() {
    const { base, token } = this.app;
    return api(base, token, "GET", `/api/sessions/${this.app.conn.state.session.id}/media`);
  }

  async connect() {
    let ticket;
    try {
      ticket = await this.getTicket();
    } catch (e) {
      if (e.status === 503) return this.set("unavailable"); // no Janus on this service
      throw e;
    }
    const Janus = await loadJanus();
    const gen = this.generation;
    // An error before `success` (Janus still down) fails this attempt, and lost()
    // tries again; one after it is a lost session. Passing it to lost() before
    // `success` left this promise pending and every later retry queued behind it.
    await new Promise((resolve, reject) => {
      let up = false;
      this.janus = new Janus({
        server: ticket.janus_url,
        iceServers: [], // the Janus host's own candidates; no public STUN from the page
        success: () => ((up = true), resolve()),
        error: (e) => (up ? gen === this.generation && this.lost(String(e)) : reject(new Error(String(e)))),
        destroyed: () => {},
      });
    });
    this.listen = await new Handle(this, { play: true }).attach();
    await this.place(ticket);
    this.set("on");
  }

  /** Puts the handles where the ticket says: the listen room (changeroom when it
   * moved), plus one send-only handle per other room the person speaks into. */
  async place(ticket) {
    ticket ||= await this.getTicket();
    this.ticket = ticket;
    if (this.listen.room !== ticket.listen.room) await this.listen.go(ticket.listen);
    const wanted = new Map(ticket.speak.filter((j) => j.room !== ticket.listen.room).map((j) => [j.room, j]));
    for (const [room, h] of this.speak) {
      if (!wanted.has(room)) {
        h.close();
        this.speak.delete(room);
      }
    }
    for (const [room, join] of wanted) {
      if (this.speak.has(room)) continue;
      const h = await new Handle(this, { play: false }).attach();
      this.speak.set(room, h);
      await h.go(join);
    }
    this.onChange?.(this);
  }

  /** What the page shows, and what tests read: rooms joined and packet counts. */
  async stats() {
    const listen = (await this.listen?.stats()) || { inbound: 0, outbound: 0, ice: "none" };
    return { state: this.state, listen: this.listen?.room || null, speak: [...this.speak.keys()], ...listen };
  }
}
