import fs from 'node:fs';
import { ConfigError, type CollectorConfig } from '../config/config.ts';
import { IngestTokens } from './IngestTokens.ts';
import { Users } from './Users.ts';

/** Who may send and read, and the certificate to show them: what the configuration's access files say. */
export interface AccessFiles {
  tokens: IngestTokens;
  users: Users;
  /** The certificate and key of `--tls-cert`/`--tls-key`, or null for plain HTTP. */
  tls: { cert: Buffer; key: Buffer } | null;
}

/**
 * Reads the ingest tokens, the users file and the TLS certificate: at start
 * (before anything is opened) and by `check-config`, so both refuse the same
 * files with the same ConfigError.
 */
export function readAccessFiles(config: CollectorConfig): AccessFiles {
  return { tokens: IngestTokens.load(config.ingest.tokensFile, config.ingest.tokens), users: Users.load(config.auth.usersFile), tls: readTls(config.tls) };
}

function readTls(tls: CollectorConfig['tls']): AccessFiles['tls'] {
  if (tls.certFile === '' && tls.keyFile === '') return null;
  if (tls.certFile === '' || tls.keyFile === '') throw new ConfigError('tls.certFile and tls.keyFile go together: give both, or neither for plain HTTP');
  const read = (key: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${key}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  return { cert: read('tls.certFile', tls.certFile), key: read('tls.keyFile', tls.keyFile) };
}
