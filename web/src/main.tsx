import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signIn, signOut } from './api';
import { DaysPicker, ViewerTeam } from './controls';
import { TIME_ZONE } from './format';
import { Budgets } from './pages/budgets';
import { EmptyState } from './pages/empty';
import { Events } from './pages/events';
import { Explore } from './pages/explore';
import { Overview } from './pages/overview';
import { Roi } from './pages/roi';
import { Sessions } from './pages/sessions';
import './style.css';
import { navigate, onLinkClick, useLocation } from './url-state';
import { useApi } from './use-api';

const PAGES = [
  ['/', 'Overview'],
  ['/explore', 'Explore'],
  ['/events', 'Events'],
  ['/budgets', 'Budgets and alerts'],
  ['/sessions', 'Sessions and agents'],
  ['/roi', 'ROI'],
] as const;

function SignIn() {
  const [token, setToken] = useState('');
  const [failed, setFailed] = useState(false);
  return (
    <main id="main" class="signin">
      <h1>Sign in to tokenledger</h1>
      <p>
        Open the login link <code>npm start</code> printed, or paste a token from{' '}
        <code>tokenledger tokens create</code> (or the admin token in <code>&lt;ledger&gt;.server.json</code>
        ).
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          if (await signIn(token.trim())) location.reload();
          else setFailed(true);
        }}
      >
        <label>
          Token
          <input
            type="password"
            value={token}
            onInput={(e) => setToken((e.target as HTMLInputElement).value)}
            autoComplete="off"
          />
        </label>
        <button type="submit">Sign in</button>
        {failed ? (
          <p class="error" role="alert">
            That token is unknown or revoked.
          </p>
        ) : null}
      </form>
    </main>
  );
}

function Page({ u, admin }: { u: URL; admin: boolean }) {
  switch (u.pathname) {
    case '/explore':
      return <Explore u={u} />;
    case '/events':
      return <Events u={u} admin={admin} />;
    case '/budgets':
      return <Budgets admin={admin} />;
    case '/sessions':
      return <Sessions u={u} />;
    case '/roi':
      return <Roi u={u} admin={admin} />;
    default:
      return <Overview u={u} />;
  }
}

function App() {
  const u = useLocation();
  const [unauthorized, setUnauthorized] = useState(false);
  useEffect(() => {
    const on = () => setUnauthorized(true);
    addEventListener('tl-unauthorized', on);
    return () => removeEventListener('tl-unauthorized', on);
  }, []);
  const me = useApi<{ role: string; team: string | null }>('/api/me');
  const imports = useApi<{ sources: { events: number }[] }>('/api/imports');
  if (unauthorized) return <SignIn />;
  const empty = imports.data !== null && imports.data.sources.reduce((n, s) => n + s.events, 0) === 0;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          tokenledger
        </a>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map(([path, label]) => (
              <li key={path}>
                <a href={path} aria-current={u.pathname === path ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          {me.data ? `${me.data.role}${me.data.team ? ` · team ${me.data.team}` : ''}` : ''} · {TIME_ZONE}
          <DaysPicker u={u} />
          <button
            type="button"
            class="link"
            onClick={async () => {
              await signOut();
              setUnauthorized(true);
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {/* Budgets can be set before any data arrives. */}
        {empty && u.pathname !== '/budgets' ? (
          <EmptyState />
        ) : (
          <ViewerTeam.Provider value={me.data?.team ?? null}>
            <Page u={u} admin={me.data?.role === 'admin'} />
          </ViewerTeam.Provider>
        )}
      </main>
    </>
  );
}

document.addEventListener('click', onLinkClick);
if (location.pathname === '/index.html') navigate('/', true);
render(<App />, document.getElementById('app')!);
