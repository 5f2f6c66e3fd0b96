import crypto from 'node:crypto';
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { attributesFromJson, attributesToJson, type Attributes } from '../../model/attributes.ts';
import { valueText } from './valueText.ts';

const SCHEMA = `CREATE TABLE IF NOT EXISTS resources (
  resource_id BIGINT NOT NULL,
  service_name VARCHAR NOT NULL,
  attributes VARCHAR NOT NULL
);`;

/** A stored resource. */
export interface ResourceEntry {
  id: bigint;
  serviceName: string;
  attributes: Attributes;
}

/**
 * The resources (service, host, pod ... attributes) that spans and log
 * records refer to by id. A process sends thousands of items per resource, so
 * each resource is stored once instead of on every row, and all of them are
 * kept in memory for reads: resources are few (one per process instance).
 */
export class ResourceCatalog {
  private readonly byId = new Map<bigint, ResourceEntry>();
  /** The mappers share one attributes object per resource in a request, so most look-ups stop here. */
  private readonly idByObject = new WeakMap<Attributes, bigint>();
  private pending: ResourceEntry[] = [];

  private constructor() {}

  /** Creates the table if needed and loads every stored resource. */
  static async open(connection: DuckDBConnection): Promise<ResourceCatalog> {
    await connection.run(SCHEMA);
    const catalog = new ResourceCatalog();
    const rows = (await connection.runAndReadAll('SELECT resource_id, service_name, attributes FROM resources')).getRows();
    for (const [id, service, json] of rows) {
      catalog.byId.set(id as bigint, { id: id as bigint, serviceName: String(service), attributes: attributesFromJson(json as string) });
    }
    return catalog;
  }

  /** The id of a resource, registering it (to be written with the next append) when new. */
  idFor(serviceName: string, attributes: Attributes): bigint {
    const cached = this.idByObject.get(attributes);
    if (cached !== undefined) return cached;
    const json = attributesToJson(attributes);
    const id = crypto.createHash('sha256').update(serviceName).update('\0').update(json).digest().readBigInt64BE(0);
    if (!this.byId.has(id)) {
      const entry = { id, serviceName, attributes };
      this.byId.set(id, entry);
      this.pending.push(entry);
    }
    this.idByObject.set(attributes, id);
    return id;
  }

  /**
   * Appends resources registered since the last call. Call it synchronously
   * between registering and flushing the rows that refer to them, so no row
   * is ever durable before its resource.
   */
  appendPending(appender: DuckDBAppender): ResourceEntry[] {
    const pending = this.pending;
    this.pending = [];
    for (const r of pending) {
      appender.appendBigInt(r.id);
      appender.appendVarchar(r.serviceName);
      appender.appendVarchar(attributesToJson(r.attributes));
      appender.endRow();
    }
    return pending;
  }

  /** Puts back resources whose write was rolled back, so the next append writes them. */
  restorePending(entries: readonly ResourceEntry[]): void {
    this.pending.push(...entries);
  }

  /** A stored resource by id. */
  get(id: bigint): ResourceEntry | undefined {
    return this.byId.get(id);
  }

  /** Ids of resources whose attribute `key` reads as `value` (how tag searches match resource attributes). */
  idsWhere(key: string, value: string): bigint[] {
    const ids: bigint[] = [];
    for (const r of this.byId.values()) {
      if (key in r.attributes && valueText(r.attributes[key]!) === value) ids.push(r.id);
    }
    return ids;
  }
}
