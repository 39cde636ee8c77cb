// Node `ws` floor for bench/fanout.py: the same routes and frame as bench/floors.py.
// Run: node --expose-gc bench/node_floor.js PORT   (needs `npm ci --prefix bench` once)
// On SIGUSR2 it collects its garbage and says so, as the Python servers do (SIGUSR1
// is Node's debugger signal).
"use strict";
const http = require("http");
const crypto = require("crypto");
const { WebSocketServer, WebSocket } = require("ws");

const port = Number(process.argv[2]);
const session = crypto.randomUUID();
let seq = 0;
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "Content-Type": "application/json" });
    return res.end('{"status":"ok"}');
  }
  if (req.method === "POST" && req.url === "/broadcast") {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const now = new Date().toISOString();
      const data = JSON.stringify({
        seq: ++seq,
        type: "broadcast.message",
        session_id: session,
        at: now,
        by: session,
        data: { text: JSON.parse(body).text, translations: {}, language: null },
      });
      let n = 0;
      for (const ws of wss.clients) {
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(data);
          n++;
        }
      }
      res.writeHead(201, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ sent: n }));
    });
    return;
  }
  res.writeHead(404);
  res.end();
});
const wss = new WebSocketServer({ server, path: "/ws", perMessageDeflate: false, maxPayload: 65536 });
wss.on("connection", (ws) => ws.on("error", () => {}));
server.listen(port, "127.0.0.1", 4096);
process.on("SIGUSR2", () => {
  if (global.gc) global.gc();
  console.log(`garbage collected on SIGUSR2${global.gc ? "" : " (no --expose-gc: nothing)"}`);
});
