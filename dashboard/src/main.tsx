import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createBrowserRouter, RouterProvider } from 'react-router-dom';
import { AlertsPage, BusinessPage, ExplorePage, Layout, LoginPage, LogsPage, ServiceMapPage, ServicePage, ServicesPage, TracePage, TracesPage } from './App.tsx';
import './styles.css';

const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <ServicesPage /> },
      { path: 'services/:service', element: <ServicePage /> },
      { path: 'map', element: <ServiceMapPage /> },
      { path: 'business', element: <BusinessPage /> },
      { path: 'traces', element: <TracesPage /> },
      { path: 'traces/:traceId', element: <TracePage /> },
      { path: 'logs', element: <LogsPage /> },
      { path: 'explore', element: <ExplorePage /> },
      { path: 'alerts', element: <AlertsPage /> },
    ],
  },
]);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RouterProvider router={router} />
  </StrictMode>,
);
