import { useState, type FormEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { signIn } from '../api/client.ts';

/** Sign-in, when the collector has users: then back to the page that asked for it. */
export function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Only a path of this site: `next` must not send anyone elsewhere after signing in.
  const next = params.get('next') ?? '/';
  const target = next.startsWith('/') && !next.startsWith('//') ? next : '/';
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    signIn(String(form.get('user') ?? ''), String(form.get('password') ?? '')).then(
      () => navigate(target, { replace: true }),
      (err: unknown) => {
        setBusy(false);
        setError((err as Error).message);
      },
    );
  };
  return (
    <div className="login">
      <form onSubmit={submit} aria-label="Sign in">
        <h1>Mirador</h1>
        <label>
          User
          <input name="user" autoComplete="username" required autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error !== null && (
          <div className="bad small" role="alert">
            {error}
          </div>
        )}
      </form>
    </div>
  );
}
