/** `login` and `logout` (contract §2.2): the session cookie lives in the cookie jar. */
import { positionals } from '../args.ts';
import { ServerError } from '../client.ts';
import type { Command } from '../command.ts';
import { sessionCookieOf, writeSessionCookie } from '../cookie-jar.ts';

/** The message DIGITS flashes on the login page when a username is refused. */
function flashedMessage(html: string): string | null {
  const match = /<p role="alert">([^<]*)<\/p>/.exec(html) ?? /class="[^"]*flash[^"]*"[^>]*>([^<]*)</.exec(html);
  return match ? match[1]!.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') : null;
}

export const login: Command = {
  usage: 'login USERNAME',
  summary: 'log in (POST /login) and keep the session cookie in the cookie jar',
  options: {},
  async run(ctx, args) {
    const [username] = positionals(args, ['USERNAME']);
    ctx.client.cookie = null;
    const res = await ctx.client.request('POST', '/login', { urlencoded: { username: username! }, manualRedirect: true, anyStatus: true });
    const cookie = res.status >= 300 && res.status < 400 ? sessionCookieOf(res.headers.getSetCookie()) : null;
    if (!cookie) {
      // an invalid username re-renders the login page with a 200 (never JSON)
      const text = await res.text();
      throw new ServerError(`login refused: ${flashedMessage(text) ?? `HTTP ${res.status}`}`, res.status, text);
    }
    await writeSessionCookie(ctx.cookieJar, ctx.client.server, cookie);
    if (ctx.json) ctx.out(JSON.stringify({ username: username!.trim(), cookieJar: ctx.cookieJar }));
    else ctx.out(`logged in as ${username!.trim()} (session cookie in ${ctx.cookieJar})`);
    return 0;
  },
};

export const logout: Command = {
  usage: 'logout',
  summary: 'log out (POST /logout) and forget the session cookie',
  options: {},
  async run(ctx, args) {
    positionals(args, []);
    if (ctx.client.cookie) await ctx.client.request('POST', '/logout', { urlencoded: {}, manualRedirect: true, anyStatus: true });
    await writeSessionCookie(ctx.cookieJar, ctx.client.server, null);
    if (ctx.json) ctx.out(JSON.stringify({ loggedOut: true }));
    else ctx.out('logged out');
    return 0;
  },
};
