import type { NextFunction, Request, Response } from 'express';
import { ConfigError } from '../config/config.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import { bearerHash, hashToken, readYamlLists, TOKEN_HASH } from './secretFiles.ts';

/** Distinct source addresses counted by name; beyond it, refusals count under "other" (a scan must not grow the metrics). */
const MAX_COUNTED_SOURCES = 1000;

/**
 * The ingest tokens: each sender (a service, usually) has its own bearer
 * token, and only the tokens' SHA-256 hashes are kept (in the tokens file and
 * in memory). Tokens are long random strings, not passwords, so a fast hash
 * is what protects them at rest (a slow one would cost every request).
 */
export class IngestTokens {
  private readonly byHash = new Map<string, string>();
  private readonly counted = new Set<string>();

  constructor(entries: Iterable<{ name: string; hash: string }>) {
    for (const { name, hash } of entries) this.byHash.set(hash, name);
  }

  get size(): number {
    return this.byHash.size;
  }

  /**
   * Reads the tokens file (YAML: `tokens:` a list of `name` and `hash`, the
   * hash as `mirador-collector hash-token` prints it) and, from the
   * environment-style list `name=token,...`, tokens given in the clear.
   */
  static load(file: string, list: string): IngestTokens {
    const entries: Array<{ name: string; hash: string }> = [];
    if (file !== '') entries.push(...readTokensFile(file));
    for (const item of list.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const eq = item.indexOf('=');
      if (eq <= 0 || eq === item.length - 1) throw new ConfigError(`ingest.tokens: expected name=token pairs separated by commas, got an item without both (${JSON.stringify(item.slice(0, Math.max(eq, 0)) || item.slice(0, 12))}...)`);
      entries.push({ name: item.slice(0, eq), hash: hashToken(item.slice(eq + 1)) });
    }
    return new IngestTokens(entries);
  }

  /** The sender's name for an `Authorization` header value, or null when it carries no known token. */
  senderOf(authorization: string | undefined): string | null {
    const hash = bearerHash(authorization);
    return hash === null ? null : (this.byHash.get(hash) ?? null);
  }

  /** The label a refusal is counted under: the source address while few are seen, then "other". */
  sourceLabel(address: string | undefined): string {
    const source = address ?? 'unknown';
    if (this.counted.has(source)) return source;
    if (this.counted.size >= MAX_COUNTED_SOURCES) return 'other';
    this.counted.add(source);
    return source;
  }
}

function readTokensFile(file: string): Array<{ name: string; hash: string }> {
  const { tokens } = readYamlLists('ingest.tokensFile', file, ['tokens']);
  if (tokens!.length === 0) throw new ConfigError(`${file}: expected "tokens:" with a list of entries, each a name and a hash`);
  return tokens!.map((value, i) => {
    if (typeof value.name !== 'string' || value.name === '') throw new ConfigError(`${file}: tokens[${i}]: name: expected the sender's name`);
    if (typeof value.hash !== 'string' || !TOKEN_HASH.test(value.hash)) {
      throw new ConfigError(`${file}: tokens[${i}] (${value.name}): hash: expected sha256: and 64 hex digits, as "mirador-collector hash-token TOKEN" prints (never the token itself)`);
    }
    return { name: value.name, hash: value.hash };
  });
}

/** Paths that take telemetry: OTLP/HTTP, Prometheus remote write, and the push receiver. */
const INGEST_PATH = /^\/(v1\/(traces|logs|metrics)|api\/v1\/write|metrics\/job\/.*)$/;

/**
 * Asks every ingest request for a known token (`Authorization: Bearer`);
 * anything else is answered 401 and counted by source address. Other paths
 * pass untouched.
 */
export function ingestAuth(tokens: IngestTokens, metrics: SelfMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!INGEST_PATH.test(req.path) || (req.method !== 'POST' && req.method !== 'PUT')) return next();
    if (tokens.senderOf(req.header('authorization')) !== null) return next();
    const reason = req.header('authorization') === undefined ? 'missing' : 'wrong';
    metrics.unauthorizedIngest.inc({ source: tokens.sourceLabel(req.socket.remoteAddress), reason });
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="mirador-ingest"')
      .json({ error: `${reason === 'missing' ? 'no ingest token' : 'not a known ingest token'}: send Authorization: Bearer <token> (the agent's ingestToken option or MIRADOR_INGEST_TOKEN)` });
  };
}
