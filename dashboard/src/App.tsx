import { createContext, lazy, Suspense, useContext } from 'react';
import { NavLink, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { signOut, whoAmI, type Me } from './api/client.ts';
import { Loading } from './components/States.tsx';
import { TimeRangePicker } from './components/TimeRangePicker.tsx';
import { useApi } from './useApi.ts';

/** Who is signed in, for the pages that show or hide what only editors may do (null while it loads). */
const MeContext = createContext<Me | null>(null);
export const useMe = () => useContext(MeContext);

/** May the current user change alert rules? Yes when sign-in is off, or for editors. */
export function canEdit(me: Me | null): boolean {
  return me !== null && (!me.authEnabled || me.role === 'editor');
}

/** The frame of every page: navigation that keeps the time range, the range picker, the page. */
export function Layout() {
  const { search } = useLocation();
  const keep = new URLSearchParams(search);
  const shared = new URLSearchParams();
  for (const k of ['range', 'from', 'to', 'refresh']) if (keep.has(k)) shared.set(k, keep.get(k)!);
  const suffix = shared.size > 0 ? `?${shared}` : '';
  const me = useApi(whoAmI, []).data ?? null;
  const navigate = useNavigate();
  return (
    <MeContext.Provider value={me}>
      <div className="app">
        <header>
          <span className="brand">Mirador</span>
          <nav>
            <NavLink to={`/${suffix}`} end>
              Services
            </NavLink>
            <NavLink to={`/map${suffix}`}>Map</NavLink>
            <NavLink to={`/business${suffix}`}>Business</NavLink>
            <NavLink to={`/traces${suffix}`}>Traces</NavLink>
            <NavLink to={`/logs${suffix}`}>Logs</NavLink>
            <NavLink to={`/explore${suffix}`}>Explore</NavLink>
            <NavLink to={`/alerts${suffix}`}>Alerts</NavLink>
          </nav>
          <TimeRangePicker />
          {me?.authEnabled === true && (
            <span className="who small">
              {me.user} ({me.role}){' '}
              <button type="button" onClick={() => void signOut().then(() => navigate('/login'))}>
                Sign out
              </button>
            </span>
          )}
        </header>
        <main>
          <Suspense fallback={<Loading />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </MeContext.Provider>
  );
}

// The landing page is in the main bundle (it is small, and React holds a lazy page's first reveal back
// by up to 300 ms); the others are loaded when first opened, with their chart library.
export { ServicesPage } from './pages/ServicesPage.tsx';
export { LoginPage } from './pages/LoginPage.tsx';
export const ServiceMapPage = lazy(() => import('./pages/ServiceMapPage.tsx').then((m) => ({ default: m.ServiceMapPage })));
export const BusinessPage = lazy(() => import('./pages/BusinessPage.tsx').then((m) => ({ default: m.BusinessPage })));
export const ServicePage = lazy(() => import('./pages/ServicePage.tsx').then((m) => ({ default: m.ServicePage })));
export const TracesPage = lazy(() => import('./pages/TracesPage.tsx').then((m) => ({ default: m.TracesPage })));
export const TracePage = lazy(() => import('./pages/TracePage.tsx').then((m) => ({ default: m.TracePage })));
export const LogsPage = lazy(() => import('./pages/LogsPage.tsx').then((m) => ({ default: m.LogsPage })));
export const ExplorePage = lazy(() => import('./pages/ExplorePage.tsx').then((m) => ({ default: m.ExplorePage })));
export const AlertsPage = lazy(() => import('./pages/AlertsPage.tsx').then((m) => ({ default: m.AlertsPage })));
