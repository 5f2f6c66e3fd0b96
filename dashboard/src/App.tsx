import { lazy, Suspense } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router-dom';
import { Loading } from './components/States.tsx';
import { TimeRangePicker } from './components/TimeRangePicker.tsx';

/** The frame of every page: navigation that keeps the time range, the range picker, the page. */
export function Layout() {
  const { search } = useLocation();
  const keep = new URLSearchParams(search);
  const shared = new URLSearchParams();
  for (const k of ['range', 'from', 'to', 'refresh']) if (keep.has(k)) shared.set(k, keep.get(k)!);
  const suffix = shared.size > 0 ? `?${shared}` : '';
  return (
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
      </header>
      <main>
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  );
}

// The landing page is in the main bundle (it is small, and React holds a lazy page's first reveal back
// by up to 300 ms); the others are loaded when first opened, with their chart library.
export { ServicesPage } from './pages/ServicesPage.tsx';
export const ServiceMapPage = lazy(() => import('./pages/ServiceMapPage.tsx').then((m) => ({ default: m.ServiceMapPage })));
export const BusinessPage = lazy(() => import('./pages/BusinessPage.tsx').then((m) => ({ default: m.BusinessPage })));
export const ServicePage = lazy(() => import('./pages/ServicePage.tsx').then((m) => ({ default: m.ServicePage })));
export const TracesPage = lazy(() => import('./pages/TracesPage.tsx').then((m) => ({ default: m.TracesPage })));
export const TracePage = lazy(() => import('./pages/TracePage.tsx').then((m) => ({ default: m.TracePage })));
export const LogsPage = lazy(() => import('./pages/LogsPage.tsx').then((m) => ({ default: m.LogsPage })));
export const ExplorePage = lazy(() => import('./pages/ExplorePage.tsx').then((m) => ({ default: m.ExplorePage })));
export const AlertsPage = lazy(() => import('./pages/AlertsPage.tsx').then((m) => ({ default: m.AlertsPage })));
