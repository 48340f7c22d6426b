// Exits 0 when a Redis answers PING at the URL given (default REDIS_URL or localhost), else 1.
// Plain JS on purpose: it runs before dependencies are known to be installed.
import net from 'node:net';

const url = new URL(process.argv[2] || process.env.REDIS_URL || 'redis://127.0.0.1:6379');
const socket = net.connect({ host: url.hostname || '127.0.0.1', port: Number(url.port || 6379) });
const fail = () => { socket.destroy(); process.exit(1); };
socket.setTimeout(1500, fail);
socket.on('error', fail);
socket.on('connect', () => {
  if (url.password) socket.write(`AUTH ${decodeURIComponent(url.username ? `${url.username} ` : '')}${decodeURIComponent(url.password)}\r\n`);
  socket.write('PING\r\n');
});
socket.on('data', (data) => {
  const text = data.toString();
  if (text.includes('+PONG')) { socket.destroy(); process.exit(0); }
  if (text.startsWith('-')) fail();
});
