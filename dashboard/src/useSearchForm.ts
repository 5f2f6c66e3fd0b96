import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';

/** A search form's submit: each named field into the URL (empty ones out), so the search is a link. */
export function useSearchForm(fields: readonly string[]): (e: FormEvent<HTMLFormElement>) => void {
  const [params, setParams] = useSearchParams();
  return (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next = new URLSearchParams(params);
    for (const f of fields) {
      const v = String(form.get(f) ?? '').trim();
      if (v === '') next.delete(f);
      else next.set(f, v);
    }
    setParams(next);
  };
}
