import type { ReactNode } from 'react';
import { ApiError } from '../api/client.ts';

/** What the API said when a request failed, and where. */
export function ErrorBox({ error }: { error: Error }) {
  return (
    <div className="error" role="alert">
      <strong>{error instanceof ApiError && error.status > 0 ? `The collector answered ${error.status}` : 'Request failed'}</strong>
      <div>{error.message}</div>
      {error instanceof ApiError && <div className="muted">{error.url}</div>}
    </div>
  );
}

/** An empty result, saying what to do about it. */
export function Empty({ children }: { children: ReactNode }) {
  return <div className="empty">{children}</div>;
}

export function Loading() {
  return (
    <div className="muted" aria-live="polite">
      Loading…
    </div>
  );
}
