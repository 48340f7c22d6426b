/**
 * Real Redis for tests: REDIS_URL when set, else 127.0.0.1:6379, else a throwaway redis-server
 * started for this test file. Each file gets its own key prefix and removes its keys after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1000, () => { socket.destroy(); resolve(false); });
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => { socket.destroy(); resolve(d.toString().includes('PONG')); });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let shared: Promise<string> | null = null;

/** A Redis URL that answers; starts a throwaway server when no Redis is reachable. */
export function redisUrl(): Promise<string> {
  shared ??= (async () => {
    const candidate = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    if (await answers(candidate)) return candidate;
    if (spawnSync('redis-server', ['--version']).status !== 0) {
      throw new Error(`tests need Redis: nothing answers at ${candidate} and redis-server is not installed (apt-get install redis-server)`);
    }
    const port = await freePort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    process.on('exit', () => child.kill());
    const url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !(await answers(url)); i++) await sleep(50);
    return url;
  })();
  return shared;
}

/** A fresh key prefix for one test file. */
export function testPrefix(): string {
  return `test-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under `prefix` (never FLUSHALL: the server may be shared). */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}
