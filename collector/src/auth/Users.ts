import { createHmac, randomBytes, scrypt, timingSafeEqual, type BinaryLike, type ScryptOptions } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/config.ts';
import { bearerHash, readYamlLists, TOKEN_HASH } from './secretFiles.ts';

/** What a user may do: `viewer` reads everything, `editor` also changes alert rules. */
export type Role = 'viewer' | 'editor';

/** Who a request is from. */
export interface Principal {
  name: string;
  role: Role;
  /** `session` for a signed-in browser (changes need the CSRF token), `token` for an API token. */
  via: 'session' | 'token';
}

// scrypt: memory-hard, in Node's OpenSSL. N=2^15, r=8 costs ~50 ms and 32 MiB a check here.
const SCRYPT = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_BYTES = 32;

function scryptAsync(password: BinaryLike, salt: BinaryLike, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(password, salt, KEY_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))));
}

/** A password as the users file keeps it: `scrypt$N$r$p$salt$key` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when the password matches the stored hash (compared in constant time). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(password, Buffer.from(parts[4]!, 'base64'), { N, r, p, maxmem: Math.max(SCRYPT.maxmem, 256 * N * r) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const PASSWORD_HASH = /^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/;

/**
 * The users file (`--users-file`): people who sign in to the dashboard and
 * API tokens for Grafana and scripts, each with a role. Only hashes are kept:
 * passwords with scrypt (`mirador-collector hash-password`), tokens with
 * SHA-256 (`mirador-collector hash-token`).
 *
 *   users:
 *     - name: ana
 *       role: editor
 *       password: scrypt$32768$8$1$...
 *   apiTokens:
 *     - name: grafana
 *       role: viewer
 *       hash: sha256:...
 */
export class Users {
  private readonly users = new Map<string, { role: Role; password: string }>();
  private readonly tokens = new Map<string, { name: string; role: Role }>();
  /** A hash no password matches, checked for unknown users too, so timing does not tell which names exist. */
  private readonly decoy: Promise<string>;

  constructor(users: Array<{ name: string; role: Role; password: string }>, tokens: Array<{ name: string; role: Role; hash: string }>) {
    for (const u of users) this.users.set(u.name, { role: u.role, password: u.password });
    for (const t of tokens) this.tokens.set(t.hash, { name: t.name, role: t.role });
    this.decoy = users.length > 0 ? Promise.resolve(users[0]!.password) : hashPassword(randomBytes(16).toString('hex'));
  }

  get size(): number {
    return this.users.size + this.tokens.size;
  }

  static load(file: string): Users {
    if (file === '') return new Users([], []);
    const lists = readYamlLists('auth.usersFile', file, ['users', 'apiTokens']);
    const role = (where: string, value: unknown): Role => {
      if (value === 'viewer' || value === 'editor') return value;
      throw new ConfigError(`${file}: ${where}: role: expected viewer or editor, got ${JSON.stringify(value)}`);
    };
    const users = lists.users!.map((u, i) => {
      const where = `users[${i}]${typeof u.name === 'string' ? ` (${u.name})` : ''}`;
      if (typeof u.name !== 'string' || !/^[\w.@-]{1,64}$/.test(u.name)) throw new ConfigError(`${file}: ${where}: name: expected letters, digits, '.', '@', '_' or '-'`);
      if (typeof u.password !== 'string' || !PASSWORD_HASH.test(u.password)) {
        throw new ConfigError(`${file}: ${where}: password: expected a hash as "mirador-collector hash-password" prints (scrypt$...), never the password itself`);
      }
      return { name: u.name, role: role(where, u.role), password: u.password };
    });
    const tokens = lists.apiTokens!.map((t, i) => {
      const where = `apiTokens[${i}]${typeof t.name === 'string' ? ` (${t.name})` : ''}`;
      if (typeof t.name !== 'string' || t.name === '') throw new ConfigError(`${file}: ${where}: name: expected the token's name`);
      if (typeof t.hash !== 'string' || !TOKEN_HASH.test(t.hash)) throw new ConfigError(`${file}: ${where}: hash: expected sha256: and 64 hex digits, as "mirador-collector hash-token TOKEN" prints`);
      return { name: t.name, role: role(where, t.role), hash: t.hash };
    });
    return new Users(users, tokens);
  }

  /** The user, when the password is theirs; null otherwise (the same time either way). */
  async signIn(name: string, password: string): Promise<{ name: string; role: Role } | null> {
    const user = this.users.get(name);
    const ok = await verifyPassword(password, user?.password ?? (await this.decoy));
    return ok && user !== undefined ? { name, role: user.role } : null;
  }

  /** The API token's holder for an `Authorization: Bearer` value, or null. */
  tokenHolder(authorization: string | undefined): { name: string; role: Role } | null {
    const hash = bearerHash(authorization);
    return hash === null ? null : (this.tokens.get(hash) ?? null);
  }
}

/** How long a sign-in lasts. */
export const SESSION_MS = 12 * 60 * 60 * 1000;

/**
 * Signed session cookies: `base64url(JSON {name, role, expires}).base64url(HMAC-SHA256)`,
 * nothing kept on the server, so any replica with the same secret reads them.
 */
export class Sessions {
  private readonly secret: Buffer;

  constructor(secret: Buffer) {
    this.secret = secret;
  }

  /**
   * The secret from `--session-secret`, or one generated once and kept in
   * `DATA_DIR/session-secret` (replicas must share a configured one).
   */
  static open(configured: string, dataDir: string): Sessions {
    if (configured !== '') {
      if (configured.length < 32) throw new ConfigError('auth.sessionSecret: expected 32 characters or more (e.g. openssl rand -hex 32)');
      return new Sessions(Buffer.from(configured, 'utf8'));
    }
    const file = path.join(dataDir, 'session-secret');
    try {
      return new Sessions(Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex'));
    } catch {
      fs.mkdirSync(dataDir, { recursive: true });
      const secret = randomBytes(32);
      fs.writeFileSync(file, secret.toString('hex'), { mode: 0o600 });
      return new Sessions(secret);
    }
  }

  issue(user: { name: string; role: Role }, nowMs: number): string {
    const payload = Buffer.from(JSON.stringify({ name: user.name, role: user.role, expires: nowMs + SESSION_MS })).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The signed-in user of a cookie value, or null when it is not ours, tampered with or expired. */
  read(value: string | undefined, nowMs: number): { name: string; role: Role } | null {
    if (value === undefined) return null;
    const [payload, signature] = value.split('.');
    if (payload === undefined || signature === undefined) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    try {
      const s = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { name: string; role: Role; expires: number };
      return s.expires > nowMs && (s.role === 'viewer' || s.role === 'editor') ? { name: s.name, role: s.role } : null;
    } catch {
      return null;
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url');
  }
}
