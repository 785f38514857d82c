import { useEffect, useState } from 'preact/hooks';
import { ApiFailure, api } from './api';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  /** The API's error code when it answered with one (API_NOT_FOUND, …). */
  code: string | null;
  loading: boolean;
}

/**
 * Fetches `path?params` whenever the key changes, or `version` does (a page that changed what it reads); a 401
 * sends the app to its sign-in view (api.ts).
 */
export function useApi<T>(
  path: string | null,
  params: URLSearchParams | null = null,
  version = 0,
): Loaded<T> {
  const key = path === null ? null : `${path}?${params ?? ''}#${version}`;
  const [state, setState] = useState<Loaded<T>>({ data: null, error: null, code: null, loading: true });
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>(path, params).then(
      (data) => live && setState({ data, error: null, code: null, loading: false }),
      (e: Error) => {
        if (live)
          setState({
            data: null,
            error: e.message,
            code: e instanceof ApiFailure ? e.code : null,
            loading: false,
          });
      },
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}
