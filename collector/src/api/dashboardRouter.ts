import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { placeholderPage } from './placeholderPage.ts';

/** Where the dashboard's production build is: the option's directory, or `dist/` of the @mirador/dashboard package. */
export function dashboardDir(configured: string): string | null {
  if (configured !== '') return path.resolve(configured);
  try {
    return path.join(path.dirname(createRequire(import.meta.url).resolve('@mirador/dashboard/package.json')), 'dist');
  } catch {
    return null;
  }
}

/**
 * The dashboard's Content-Security-Policy: its own scripts only (no inline
 * script, no eval), data only from the collector, never framed. Inline styles
 * are allowed: the chart, graph and editor libraries set them.
 */
export const DASHBOARD_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/** Headers on every answer of the collector: no content sniffing, no referrer, no framing. */
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  next();
}

/** Paths that are the collector's own, never the single-page app's. */
const NOT_THE_APP = /^\/(api|v1|metrics|healthz|readyz|-)(\/|$)/;

/**
 * Serves the dashboard's build at `/`: its hashed assets for a year, and
 * index.html for every other page path (the app routes in the browser), so
 * a link to `/traces/<id>` opens that trace. Without a build, `/` says how
 * to make one and where the APIs are.
 */
export function dashboardRouter(dir: string | null, storageDescription: string): Router {
  const router = express.Router();
  const index = dir === null ? null : path.join(dir, 'index.html');
  if (index === null || !fs.existsSync(index)) {
    router.get('/', (_req, res) => res.type('html').send(placeholderPage(storageDescription)));
    return router;
  }
  router.use('/assets', express.static(path.join(dir!, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  router.use(express.static(dir!, { index: false }));
  router.get(/.*/, (req, res, next) => {
    if (NOT_THE_APP.test(req.path) || !req.accepts('html')) {
      next();
      return;
    }
    res.set({ 'cache-control': 'no-cache', 'content-security-policy': DASHBOARD_CSP }).sendFile(index);
  });
  return router;
}
