import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The realm sent in `WWW-Authenticate`. */
export const REALM = 'llm-cost-exporter';
/** Successful (user, password) pairs remembered per user; older ones are forgotten first. */
const CACHE_PER_USER = 4;
/** bcrypt comparisons waiting for their turn beyond this are answered 429 at once. */
const MAX_PENDING = 16;
/**
 * Compared against when the user is unknown, so an unknown user costs the same bcrypt time as a
 * wrong password and user names cannot be told apart by timing (exporter-toolkit does the same).
 */
const NO_SUCH_USER_HASH = '$2b$10$jKt/4Gk2FnyRM9usYrN.sOQ.JdSjYbFF1XhqBR3UKOM0lIcoqXMru';

export interface BasicAuthOptions {
  /** bcrypt comparison; bcryptjs by default (tests may count calls). */
  readonly compare?: (password: string, hash: string) => Promise<boolean>;
}

/**
 * Express middleware for exporter-toolkit's `basic_auth_users` (user → bcrypt hash). Like the
 * toolkit it guards every path, `/-/healthy` and `/-/ready` included: probes must send the
 * credentials too (Kubernetes `httpHeaders`, the Docker health check's URL).
 *
 * bcrypt costs 50-300 ms of CPU per comparison by design, too much for every scrape. A verified
 * (user, password) pair is remembered as an HMAC under a key drawn at start (never the password
 * itself), and looked up with a constant-time comparison, so the next scrape costs microseconds.
 * The pair's bcrypt hash is part of the HMAC: a changed hash is a cache miss. Failures are not
 * cached. Comparisons run one at a time (bcryptjs runs on the event loop in 100 ms slices; one
 * at a time keeps `/metrics` answering during a password-guessing storm), and when more than
 * {@link MAX_PENDING} wait, further attempts get 429 without a comparison.
 */
export function basicAuth(users: ReadonlyMap<string, string>, options: BasicAuthOptions = {}): RequestHandler {
  const compare = options.compare ?? ((password: string, hash: string) => bcrypt.compare(password, hash));
  const secret = randomBytes(32);
  const verified = new Map<string, Buffer[]>();
  let queue: Promise<unknown> = Promise.resolve();
  let pending = 0;

  const digest = (user: string, hash: string, password: string): Buffer =>
    createHmac('sha256', secret).update(user).update('\0').update(hash).update('\0').update(password).digest();

  const isCached = (user: string, key: Buffer): boolean => {
    let hit = false;
    for (const known of verified.get(user) ?? []) hit = timingSafeEqual(known, key) || hit; // no early exit
    return hit;
  };

  const remember = (user: string, key: Buffer): void => {
    const keys = verified.get(user) ?? [];
    keys.push(key);
    if (keys.length > CACHE_PER_USER) keys.shift();
    verified.set(user, keys);
  };

  return (req: Request, res: Response, next: NextFunction): void => {
    const credentials = parseAuthorization(req.headers.authorization);
    if (credentials === undefined) return unauthorized(res);
    const { user, password } = credentials;
    const known = users.get(user);
    const hash = known ?? NO_SUCH_USER_HASH;
    const key = digest(user, hash, password);
    if (known !== undefined && isCached(user, key)) return next();
    if (pending >= MAX_PENDING) {
      res.status(429).setHeader('Retry-After', '1');
      res.type('text/plain').send('too many authentication attempts in flight\n');
      return;
    }
    pending++;
    const turn = queue.then(() => compare(password, hash).catch(() => false));
    queue = turn;
    turn.then((ok) => {
      pending--;
      if (ok && known !== undefined) {
        remember(user, key);
        next();
      } else unauthorized(res);
    }, next);
  };
}

/** `Basic base64(user:password)` → its parts; undefined when absent or malformed. */
export function parseAuthorization(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function unauthorized(res: Response): void {
  res.status(401).setHeader('WWW-Authenticate', `Basic realm="${REALM}"`);
  res.type('text/plain').send('Unauthorized\n');
}
