import type { Attributes } from '../model/attributes.ts';
import { readAttributes } from './anyValue.ts';
import type { ItemLimits, LimitStats } from './limits.ts';
import { readMessage, readString } from './wire.ts';

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
