import type { Labels } from '../../model/metric.ts';

/** An alert as it is sent: Alertmanager's API alert with the fingerprint and status a webhook payload has. */
export interface NotifiedAlert {
  status: 'firing' | 'resolved';
  labels: Labels;
  annotations: Record<string, string>;
  /** RFC 3339. */
  startsAt: string;
  /** RFC 3339: when it resolved, or until when a firing alert is current. */
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** Outcome counters of a notifier, fed into the collector's own metrics. */
export interface NotifierObserver {
  sent(receiver: string, alerts: number): void;
  failed(receiver: string, error: unknown): void;
  dropped(receiver: string, alerts: number): void;
}

/** Something alerts are sent to; time is passed in. */
export interface Notifier {
  /** The receiver's name, as metrics and the state file know it. */
  readonly name: string;
  /** Alerts that are due: firing ones to (re)send, resolved ones once. */
  notify(alerts: readonly NotifiedAlert[], nowMs: number): void;
  /** Sends whatever has become due by nowMs (group waits, intervals). */
  tick(nowMs: number): void;
  /** What must survive a restart so that no notification is repeated. */
  snapshot(): unknown;
  restore(state: unknown): void;
  /** Resolves when sends in flight are done; pending retries are abandoned. */
  stop(): Promise<void>;
}

/** Posts JSON; resolves on 2xx, throws with the status and the start of the body otherwise. */
export async function postJson(url: string, body: unknown, timeoutMs: number): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 200)}`);
}

/**
 * Runs `attempt` until it succeeds, waiting 0.5 s, 1 s, 2 s ... (at most
 * `maxDelayMs`) between tries, for at most `attempts` tries; no retry once `abandoned()`.
 */
export async function withRetries(attempt: () => Promise<void>, options: { attempts: number; maxDelayMs: number; abandoned: () => boolean; onError: (error: unknown) => void }): Promise<boolean> {
  let delay = 500;
  // The first attempt is always made: a notifier that is stopping still sends what it has once.
  for (let i = 0; i < options.attempts; i++) {
    try {
      await attempt();
      return true;
    } catch (error) {
      options.onError(error);
      if (i + 1 === options.attempts || options.abandoned()) break;
      await new Promise((r) => setTimeout(r, delay).unref());
      delay = Math.min(delay * 2, options.maxDelayMs);
    }
  }
  return false;
}
