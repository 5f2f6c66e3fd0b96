import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { isMap, isSeq, parseDocument } from 'yaml';
import { ConfigError } from '../config/config.ts';

/** A token as it is kept at rest: `sha256:` and the hex digest of the token. */
export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

/** What a token's hash looks like in a file. */
export const TOKEN_HASH = /^sha256:[0-9a-f]{64}$/;

/** The hash of the token in an `Authorization: Bearer` value, or null when there is none. */
export function bearerHash(authorization: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m === null ? null : hashToken(m[1]!);
}

/**
 * The named lists of a YAML file of secrets' hashes (the ingest tokens file,
 * the users file): each list's entries as plain objects, a list that is
 * absent as empty. A file that cannot be read or parsed, or a key that is not
 * a list, is a ConfigError naming the option and the file.
 */
export function readYamlLists(option: string, file: string, keys: readonly string[]): Record<string, Array<Record<string, unknown>>> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${option}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new ConfigError(`${file}: ${doc.errors[0]!.message}`);
  const top = doc.contents;
  if (!isMap(top)) throw new ConfigError(`${file}: expected ${keys.map((k) => `${k}:`).join(' and/or ')} lists`);
  const lists: Record<string, Array<Record<string, unknown>>> = {};
  for (const key of keys) {
    const node = top.get(key, true);
    if (node !== undefined && !isSeq(node)) throw new ConfigError(`${file}: ${key}: expected a list`);
    lists[key] = node === undefined ? [] : node.items.map((item) => (isMap(item) ? (item.toJSON() as Record<string, unknown>) : {}));
  }
  return lists;
}
