// Waits until the gateway at BASE_URL answers and lists a live worker (GET /workers.json), so
// `npm start` can say where to open it once everything is up. Exits 1 as soon as one of the
// PIDs given after the URL has exited (that process failed to start), or after 3 minutes.
// Plain JS: it runs beside the processes it waits for, with nothing to compile.
import { setTimeout as sleep } from 'node:timers/promises';

const [base, ...pids] = process.argv.slice(2);
const alive = (pid) => {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
};
const deadline = Date.now() + 180_000;
while (Date.now() < deadline) {
  if (!pids.every(alive)) process.exit(1);
  try {
    const res = await fetch(new URL('/workers.json', base), { headers: { accept: 'application/json' } });
    if (res.ok && ((await res.json()).workers ?? []).length > 0) process.exit(0);
  } catch {
    // not listening yet
  }
  await sleep(250);
}
process.exit(1);
