import type { Attributes } from '../model/attributes.ts';
import { readAttributes } from './anyValue.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import { OtlpDecodeError, readList, readMessage, readString, rethrowAt } from './wire.ts';

/** The resource and scope every item of one ScopeSpans/ScopeLogs/ScopeMetrics shares. */
export interface ResourceInfo {
  serviceName: string;
  resource: Attributes;
}

/** The instrumentation scope of a group of items. */
export interface ScopeInfo {
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
}

/** The service name OTel SDKs use when none is configured. */
export const UNKNOWN_SERVICE = 'unknown_service';

/** Reads a Resource message once per ResourceSpans/Logs/Metrics. */
export function readResource(value: unknown, limits: ItemLimits, stats: LimitStats): ResourceInfo {
  const msg = readMessage<{ attributes?: unknown }>(value, 'resource');
  const { attributes } = readAttributes(msg?.attributes, limits, stats);
  const name = attributes['service.name'];
  return { serviceName: typeof name === 'string' && name !== '' ? name : UNKNOWN_SERVICE, resource: attributes };
}

/** Reads an InstrumentationScope message once per scope group. */
export function readScope(value: unknown, limits: ItemLimits, stats: LimitStats): ScopeInfo {
  const msg = readMessage<{ name?: unknown; version?: unknown; attributes?: unknown }>(value, 'scope');
  if (msg === null) return { scopeName: '', scopeVersion: '', scopeAttributes: {} };
  return {
    scopeName: readString(msg.name, 'name'),
    scopeVersion: readString(msg.version, 'version'),
    scopeAttributes: readAttributes(msg.attributes, limits, stats).attributes,
  };
}

/** Field names of one signal's resource → scope → item nesting. */
export interface OtlpNesting {
  /** `resourceSpans`, `resourceLogs`, `resourceMetrics`. */
  resources: string;
  /** `scopeSpans`, `scopeLogs`, `scopeMetrics`. */
  scopes: string;
  /** `spans`, `logRecords`, `metrics`. */
  items: string;
}

type Msg = Record<string, unknown>;

/**
 * Walks an export request's resources, scopes and items, reading each
 * resource and scope once. A decode error thrown anywhere is re-thrown with
 * the path of the item it is in (`resourceSpans[0].scopeSpans[1].spans[2].traceId: ...`).
 * `endResource` runs after the last item of each resource.
 */
export function forEachItem(
  request: unknown,
  nesting: OtlpNesting,
  limits: ItemLimits,
  stats: LimitStats,
  visit: (item: Msg, resource: ResourceInfo, scope: ScopeInfo) => void,
  endResource?: (resource: ResourceInfo) => void,
): void {
  const resources = readList<Msg>(readMessage<Msg>(request, 'request')?.[nesting.resources], nesting.resources);
  for (let r = 0; r < resources.length; r++) {
    const rPath = `${nesting.resources}[${r}]`;
    const rm = readMessage<Msg>(resources[r], rPath) ?? nullItem(rPath);
    const resource = at(rPath, () => readResource(rm.resource, limits, stats));
    const scopes = readList<Msg>(rm[nesting.scopes], `${rPath}.${nesting.scopes}`);
    for (let s = 0; s < scopes.length; s++) {
      const sPath = `${rPath}.${nesting.scopes}[${s}]`;
      const sm = readMessage<Msg>(scopes[s], sPath) ?? nullItem(sPath);
      const scope = at(sPath, () => readScope(sm.scope, limits, stats));
      const items = readList<Msg>(sm[nesting.items], `${sPath}.${nesting.items}`);
      for (let i = 0; i < items.length; i++) {
        try {
          visit(readMessage<Msg>(items[i], 'item') ?? nullItem(), resource, scope);
        } catch (e) {
          rethrowAt(e, `${sPath}.${nesting.items}[${i}]`);
        }
      }
    }
    endResource?.(resource);
  }
}

function nullItem(path = 'item'): never {
  throw new OtlpDecodeError(`${path}: expected an object, got null`);
}

/** Runs a read, re-throwing its decode error with the path it happened at. */
function at<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    rethrowAt(e, path);
  }
}
