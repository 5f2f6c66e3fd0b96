/** Levels of the collector's own log, lowest first. */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;

/** The collector's own log: one line per event on stderr, `level message key=value`. */
export interface CollectorLog {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** A log that writes lines at or above `level` to `write` (stderr by default). */
export function createLog(level: keyof typeof LEVELS, write: (line: string) => void = (l) => process.stderr.write(l + '\n')): CollectorLog {
  const min = LEVELS[level];
  const emit = (lvl: keyof typeof LEVELS, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const parts = [new Date().toISOString(), lvl.padEnd(5), message];
    for (const [k, v] of Object.entries(fields ?? {})) {
      const text = v instanceof Error ? v.message : typeof v === 'string' ? v : JSON.stringify(v);
      parts.push(`${k}=${/\s/.test(text) ? JSON.stringify(text) : text}`);
    }
    write(parts.join(' '));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
