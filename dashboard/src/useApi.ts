import { useCallback, useEffect, useState } from 'react';

/** What a data hook holds: the answer, the error the API gave, and whether a fetch is running. */
export interface ApiState<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when its dependencies change (the URL, the refresh tick); keeps the last answer while a new one loads. */
export function useApi<T>(load: () => Promise<T>, deps: readonly unknown[]): ApiState<T> {
  const [reloads, setReloads] = useState(0);
  // Which request an answer belongs to: while the latest has not answered, the page is loading.
  const key = JSON.stringify([...deps, reloads]);
  const [state, setState] = useState<{ data: T | null; error: Error | null; key: string | null }>({ data: null, error: null, key: null });
  useEffect(() => {
    let current = true;
    load().then(
      (data) => current && setState({ data, error: null, key }),
      (error: unknown) => current && setState((s) => ({ data: s.data, error: error as Error, key })),
    );
    return () => {
      current = false;
    };
    // `load` is a new function each render; the dependencies say when it would fetch something else.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  const reload = useCallback(() => setReloads((n) => n + 1), []);
  return { data: state.data, error: state.error, loading: state.key !== key, reload };
}
