// Reads {"snapshot": frame, "frames": [...]} on stdin; prints the client module's
// state after applying them (used by tests/integration/test_console_reducer.py).
import { reduce } from "../../server/console/static/client.js";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { snapshot, frames } = JSON.parse(input);
let state = reduce(null, snapshot);
for (const frame of frames) state = reduce(state, frame);
process.stdout.write(JSON.stringify(state));
