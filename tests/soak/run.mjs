// Soak: the local app (host, worker and Azurite on loopback, in a scratch folder) under sustained load on the
// public page, a touchpoint read and subscribe, for a bounded time. Counts every answer, samples the worker's
// memory, and fails unless there were 0 errors besides the expected 429s, every 429 carried Retry-After, the
// rate limits held (no more successes than the configured rate allows) and memory stopped growing.
//   node tests/soak/run.mjs [--seconds N] [--quick]     (default 180 s; --quick: 60 s)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const seconds = args.includes('--quick') ? 60 : Number(args[args.indexOf('--seconds') + 1] ?? 0) || 180;
const readsPerMinute = 600;
const subscribesPerMinute = 10;
const concurrency = 8;

const freePort = () => new Promise((done) => {
  const server = createServer().listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => done(port)); });
});

const port = await freePort();
const scratch = mkdtempSync(join(tmpdir(), 'crisis-soak-'));
const host = spawn('dotnet', [
  join(root, 'functions/Crisis.Functions.Host/bin/Release/net10.0/Crisis.Functions.Host.dll'),
  '--local', '--app', join(root, 'functions/Crisis.Functions/bin/Release/net10.0'), '--port', String(port),
  `--RateLimits:PublicReadsPerMinute=${readsPerMinute}`, `--RateLimits:SubscribesPerMinute=${subscribesPerMinute}`,
], { cwd: scratch, stdio: ['ignore', 'pipe', 'inherit'] });

let banner = '';
const adminKey = await new Promise((done, fail) => {
  host.stdout.on('data', (chunk) => {
    banner += chunk;
    const key = /admin key:\s+(\S+)/.exec(banner);
    if (key) done(key[1]);
  });
  host.on('exit', (code) => fail(new Error(`the host exited (${code}) before it started:\n${banner}`)));
  setTimeout(() => fail(new Error(`the host did not start in 120 s:\n${banner}`)), 120_000).unref();
});
host.stdout.resume();
const base = `http://127.0.0.1:${port}`;

/** The worker: the host's child process running Crisis.Functions.dll. */
const workerPid = () => {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/PPid:\s+(\d+)/.exec(status)?.[1] === String(host.pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('Crisis.Functions.dll')) return pid;
    } catch { /* gone meanwhile */ }
  }
  return null;
};
const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

const admin = { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' };
const crisis = 'regional-flooding-demo';
const touchpoint = 'soak-banner';
const saved = await fetch(`${base}/api/admin/touchpoints/${touchpoint}`, {
  method: 'PUT', headers: admin,
  body: JSON.stringify({ kind: 'website-banner', name: 'Soak banner', defaultLanguage: 'en', normal: { en: 'All services running.' } }),
});
if (!saved.ok) throw new Error(`could not set up the touchpoint: ${saved.status} ${await saved.text()}`);

// The demo crisis is seeded in the background as the app starts: load begins once its page is served.
for (let waited = 0; (await fetch(`${base}/api/crises/${crisis}`)).status !== 200; waited++) {
  if (waited > 120) throw new Error('the demo crisis was not published within 60 s');
  await new Promise((done) => setTimeout(done, 500));
}

const counts = { page: {}, touchpoint: {}, subscribe: {} };
let errors = 0;
let missingRetryAfter = 0;
const record = (kind, response) => {
  counts[kind][response.status] = (counts[kind][response.status] ?? 0) + 1;
  if (response.status === 429 && !(Number(response.headers.get('retry-after')) > 0)) missingRetryAfter++;
  if (![200, 202, 304, 429].includes(response.status)) errors++;
};

const started = Date.now();
const deadline = started + seconds * 1000;
let sequence = 0;
const pid = workerPid();
if (!pid) throw new Error('the worker process was not found');
const memory = [];
const sampler = setInterval(() => memory.push(rssMiB(pid)), 2000);

const loop = async () => {
  while (Date.now() < deadline) {
    const n = sequence++;
    try {
      if (n % 10 === 9) {
        const response = await fetch(`${base}/api/subscriptions`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: `soak-${n}@example.org`, scope: crisis, language: 'en' }),
        });
        await response.arrayBuffer();
        record('subscribe', response);
      } else {
        const kind = n % 2 === 0 ? 'page' : 'touchpoint';
        const response = await fetch(kind === 'page' ? `${base}/api/crises/${crisis}?lang=en` : `${base}/api/touchpoints/${touchpoint}?lang=en`);
        await response.arrayBuffer();
        record(kind, response);
      }
    } catch (error) {
      errors++;
      console.error(`request ${n}: ${error.message}`);
    }
  }
};
await Promise.all(Array.from({ length: concurrency }, loop));
clearInterval(sampler);
const elapsedMinutes = (Date.now() - started) / 60_000;

host.kill('SIGTERM');
await new Promise((done) => { host.on('exit', done); setTimeout(done, 15_000).unref(); });
rmSync(scratch, { recursive: true, force: true });

// The limits are per client address, and all load comes from 127.0.0.1: reads (page and touchpoint) share one
// budget, subscribes another. A fixed window may let through one window's budget on each side of a boundary.
const ok = (kind) => (counts[kind][200] ?? 0) + (counts[kind][202] ?? 0) + (counts[kind][304] ?? 0);
const allowedReads = readsPerMinute * (Math.ceil(elapsedMinutes) + 1);
const allowedSubscribes = subscribesPerMinute * (Math.ceil(elapsedMinutes) + 1);
const readsHeld = ok('page') + ok('touchpoint') <= allowedReads && (counts.page[429] ?? 0) + (counts.touchpoint[429] ?? 0) > 0;
const subscribesHeld = ok('subscribe') <= allowedSubscribes && (counts.subscribe[429] ?? 0) > 0;
// The first half of the run warms up (JIT, caches, connection pools); after it the two quarters must be level.
const quarter = Math.floor(memory.length / 4);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);
const middle = mean(memory.slice(2 * quarter, 3 * quarter));
const last = mean(memory.slice(3 * quarter));
const memoryFlat = memory.length >= 8 && last <= middle * 1.1;

console.log(`soak: ${seconds} s, ${concurrency} clients, ${sequence} requests`);
for (const [kind, byStatus] of Object.entries(counts)) {
  console.log(`  ${kind.padEnd(10)} ${Object.entries(byStatus).map(([s, c]) => `${s}: ${c}`).join(', ')}`);
}
console.log(`  errors (other than 429): ${errors}; 429 without Retry-After: ${missingRetryAfter}`);
console.log(`  rate limits: reads ${ok('page') + ok('touchpoint')} answered of at most ${allowedReads} allowed -> ${readsHeld ? 'held' : 'NOT held'}; subscribes ${ok('subscribe')} of at most ${allowedSubscribes} -> ${subscribesHeld ? 'held' : 'NOT held'}`);
console.log(`  worker memory (MiB, every 2 s): ${memory.map((m) => m.toFixed(0)).join(' ')}`);
console.log(`  worker memory: third quarter ${middle.toFixed(1)} MiB, last quarter ${last.toFixed(1)} MiB -> ${memoryFlat ? 'stopped growing' : 'STILL GROWING'}`);
const passed = errors === 0 && missingRetryAfter === 0 && readsHeld && subscribesHeld && memoryFlat;
console.log(passed ? 'soak: PASS' : 'soak: FAIL');
process.exit(passed ? 0 : 1);
