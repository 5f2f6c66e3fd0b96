import fs from 'node:fs';
import { writeFileAtomically } from '../store/writeFileAtomically.ts';
import type { Alert } from './AlertingRule.ts';

/** What survives a restart: every rule's alerts (by rule key) and what each notifier has sent. */
export interface SavedAlertState {
  version: 1;
  savedAtMs: number;
  rules: Record<string, Alert[]>;
  notifiers: Record<string, unknown>;
}

/** Where the alert state is kept: a file of the replica's own, or a document all replicas share. */
export interface AlertStateStore {
  /** Where, for log lines. */
  readonly where: string;
  /** The saved state; null when there is none or it cannot be read (the reason is returned for the log). */
  load(): Promise<{ state: SavedAlertState | null; problem: string | null }>;
  save(state: SavedAlertState): Promise<void>;
}

/** Reads a saved state's text; the reason when it is not a state of this version. */
export function parseAlertState(text: string, where: string): { state: SavedAlertState | null; problem: string | null } {
  try {
    const state = JSON.parse(text) as SavedAlertState;
    if (state.version !== 1 || typeof state.rules !== 'object') return { state: null, problem: `${where}: not a state file of this version` };
    return { state, problem: null };
  } catch (error) {
    return { state: null, problem: `${where}: ${(error as Error).message}` };
  }
}

/**
 * The alert state file (`<data-dir>/alerts/state.json`). Written whole to a
 * temporary file, synced and renamed over the old one, so a crash leaves the
 * previous state or the new one, never half of either.
 */
export class AlertStateFile implements AlertStateStore {
  readonly file: string;

  constructor(file: string) {
    this.file = file;
  }

  get where(): string {
    return this.file;
  }

  async load(): Promise<{ state: SavedAlertState | null; problem: string | null }> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: null, problem: null };
      return { state: null, problem: `cannot read ${this.file}: ${(error as Error).message}` };
    }
    return parseAlertState(text, this.file);
  }

  /** Replaces the file with the state. */
  async save(state: SavedAlertState): Promise<void> {
    writeFileAtomically(this.file, JSON.stringify(state));
  }
}
