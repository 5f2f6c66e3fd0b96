import type { LabelMatcher } from '../types.ts';

/** An answer of the Prometheus HTTP API that is not a success: the status, error type and message it gave. */
export class PrometheusApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** A client of a Prometheus-compatible HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/). */
export class PrometheusApiClient {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    this.url = url.replace(/\/+$/, '');
    this.timeoutMs = timeoutMs;
  }

  /** POSTs the form parameters to the API path and returns `data`; anything but a success throws a PrometheusApiError. */
  async call<T>(apiPath: string, params: Array<[string, string]>): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${apiPath}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new PrometheusApiError(503, `${this.url}${apiPath}: ${(error as Error).message}`);
    }
    const body = (await response.json().catch(() => null)) as { status?: string; error?: string; data?: T } | null;
    if (!response.ok || body?.status !== 'success') throw new PrometheusApiError(response.status, `${this.url}${apiPath} answered ${response.status}: ${body?.error ?? 'not a Prometheus API response'}`);
    return body.data as T;
  }
}

/** A PromQL selector of the matchers: `{__name__="up",job=~"a|b"}`. */
export function selectorText(matchers: readonly LabelMatcher[]): string {
  return `{${matchers.map((m) => `${m.name}${m.type}${JSON.stringify(m.value)}`).join(',')}}`;
}
