import { Client as ElasticClient, Transport as ElasticTransport } from '@elastic/elasticsearch';
import { Client as OpenSearchClient } from '@opensearch-project/opensearch';

/** Which engine a search backend talks to; each has its own official client. */
export type SearchFlavor = 'elasticsearch' | 'opensearch';

/** One bulk operation as the clients' bulk helpers take it: the action line and its body. */
export type BulkOperation = [action: Record<string, Record<string, unknown>>, body: string | Record<string, unknown>];

/** A document the engine refused, with its status and reason. */
export interface DroppedDocument {
  status: number;
  reason: string;
  index: string;
  id: string;
}

/** One hit of a search. */
export interface SearchHit<T> {
  _index: string;
  _id: string;
  _source: T;
}

/** What a search answers, the parts the stores read. */
export interface SearchAnswer<T> {
  hits: Array<SearchHit<T>>;
  aggregations: Record<string, unknown> | undefined;
}

/** The requests the span and log stores make, the same on both engines. */
export interface SearchEngine {
  readonly flavor: SearchFlavor;
  /** Writes the operations through the client's bulk helper; resolves with the documents refused, throws when the cluster cannot be reached. */
  bulk(operations: readonly BulkOperation[]): Promise<DroppedDocument[]>;
  search<T>(index: string, body: Record<string, unknown>): Promise<SearchAnswer<T>>;
  /** One document's `_source`, or null when there is none. */
  getSource<T>(index: string, id: string): Promise<T | null>;
  /** Writes one document now (refreshed, so the next read sees it). */
  putDocument(index: string, id: string, doc: Record<string, unknown>): Promise<void>;
  /** A scripted upsert of one document; resolves with the engine's result (`created`, `updated` or `noop`). */
  updateDocument(index: string, id: string, body: Record<string, unknown>): Promise<string>;
  /** Installs (or replaces) a composable index template. */
  putIndexTemplate(name: string, body: Record<string, unknown>): Promise<void>;
  /** Indices matching the pattern with their document counts. */
  indices(pattern: string): Promise<Array<{ name: string; docs: number }>>;
  deleteIndices(names: readonly string[]): Promise<void>;
  /** Makes everything written to indices matching the pattern searchable now. */
  refresh(pattern: string): Promise<void>;
  close(): Promise<void>;
}

/** How to reach the cluster. */
export interface SearchConnection {
  flavor: SearchFlavor;
  nodes: string[];
  username?: string;
  password?: string;
  /** Elasticsearch API key (base64 id:key). */
  apiKey?: string;
  requestTimeoutMs: number;
  /**
   * A Transport subclass for the Elasticsearch client. Only tests set it: to
   * run the Elasticsearch backend against an OpenSearch node, which answers
   * neither the product check nor the compatible-with=8 media types.
   */
  elasticTransport?: typeof ElasticTransport;
}

/** Retries of a document the cluster answered 429 for, inside one bulk call (the spool retries the rest). */
const HELPER_RETRIES = 3;
const HELPER_WAIT_MS = 500;

/**
 * A search over an index being created (the spool's first write of a day
 * creates it) fails with 503 "all shards failed" until its primary shard has
 * started, a fraction of a second; so does one during a node's recovery.
 * Such a search is tried again after 50, 100, … 800 ms (1.55 s in all)
 * before its error reaches the query API.
 */
const FIRST_SHARD_WAIT_MS = 50;
const LAST_SHARD_WAIT_MS = 800;

function noShardAvailable(error: unknown): boolean {
  const e = error as { statusCode?: number; body?: { error?: { type?: string } } } | null;
  return e?.statusCode === 503 && e.body?.error?.type === 'search_phase_execution_exception';
}

/** A client for the configured engine behind the one interface the stores use. */
export function connectSearchEngine(c: SearchConnection): SearchEngine {
  const basic = c.username ? { username: c.username, password: c.password ?? '' } : undefined;
  const auth = c.apiKey ? { apiKey: c.apiKey } : basic;
  if (c.flavor === 'elasticsearch') {
    const client = new ElasticClient({
      nodes: c.nodes,
      ...(auth && { auth }),
      requestTimeout: c.requestTimeoutMs,
      maxRetries: 2,
      ...(c.elasticTransport && { Transport: c.elasticTransport }),
    });
    return new Engine('elasticsearch', {
      helpers: client.helpers,
      get: async (params) => (await client.get(params, { ignore: [404] })) as never,
      index: async (params) => void (await client.index(params as never)),
      update: async (params) => (await client.update(params as never)) as never,
      search: async (params) => (await client.search(params as never)) as never,
      putIndexTemplate: async (params) => void (await client.indices.putIndexTemplate(params as never)),
      catIndices: async (pattern) => (await client.cat.indices({ index: pattern, format: 'json', h: 'index,docs.count', expand_wildcards: 'open' })) as never,
      deleteIndex: async (names) => void (await client.indices.delete({ index: names, ignore_unavailable: true })),
      refresh: async (pattern) => void (await client.indices.refresh({ index: pattern, allow_no_indices: true, ignore_unavailable: true })),
      close: () => client.close(),
    });
  }
  const client = new OpenSearchClient({
    nodes: c.nodes,
    ...(basic && { auth: basic }),
    requestTimeout: c.requestTimeoutMs,
    maxRetries: 2,
  });
  return new Engine('opensearch', {
    helpers: client.helpers,
    get: async (params) => (await client.get(params, { ignore: [404] })).body as never,
    index: async (params) => void (await client.index(params as never)),
    update: async (params) => (await client.update(params as never)).body as never,
    search: async (params) => (await client.search(params as never)).body as never,
    putIndexTemplate: async (params) => void (await client.indices.putIndexTemplate(params as never)),
    catIndices: async (pattern) => (await client.cat.indices({ index: [pattern], format: 'json', h: ['index', 'docs.count'], expand_wildcards: 'open' })).body as never,
    deleteIndex: async (names) => void (await client.indices.delete({ index: names, ignore_unavailable: true })),
    refresh: async (pattern) => void (await client.indices.refresh({ index: pattern, allow_no_indices: true, ignore_unavailable: true })),
    close: () => client.close(),
  });
}

/** The calls that differ between the two clients (mostly whether answers come wrapped in `body`). */
interface ClientCalls {
  helpers: { bulk: (options: never) => Promise<unknown> };
  get: (params: { index: string; id: string }) => Promise<{ found: boolean; _source?: unknown }>;
  index: (params: { index: string; id: string; body: Record<string, unknown>; refresh: boolean }) => Promise<void>;
  update: (params: { index: string; id: string; body: Record<string, unknown>; refresh: boolean; retry_on_conflict: number }) => Promise<{ result: string }>;
  search: (params: { index: string; body: Record<string, unknown>; ignore_unavailable: boolean; allow_no_indices: boolean }) => Promise<{ hits: { hits: Array<SearchHit<never>> }; aggregations?: Record<string, unknown> }>;
  putIndexTemplate: (params: { name: string; body: Record<string, unknown> }) => Promise<void>;
  catIndices: (pattern: string) => Promise<Array<{ index: string; 'docs.count': string | null }>>;
  deleteIndex: (names: string[]) => Promise<void>;
  refresh: (pattern: string) => Promise<void>;
  close: () => Promise<void>;
}

class Engine implements SearchEngine {
  readonly flavor: SearchFlavor;
  private readonly calls: ClientCalls;

  constructor(flavor: SearchFlavor, calls: ClientCalls) {
    this.flavor = flavor;
    this.calls = calls;
  }

  async bulk(operations: readonly BulkOperation[]): Promise<DroppedDocument[]> {
    const dropped: DroppedDocument[] = [];
    await this.calls.helpers.bulk({
      datasource: operations.map((_op, i) => i),
      // For an update the helpers send `{doc: <datasource item>, ...body}`; a scripted upsert must have no `doc`.
      onDocument: (i: number) => {
        const [action, body] = operations[i]!;
        return 'update' in action ? [action, { ...(body as object), doc: undefined }] : [action, body];
      },
      onDrop: (d: { status: number; error: { type?: string; reason?: string } | null; operation: Record<string, { _index: string; _id: string }> }) => {
        const target = Object.values(d.operation)[0]!;
        const reason = d.error === null ? 'too many requests' : [d.error.type, d.error.reason].filter(Boolean).join(': ');
        dropped.push({ status: d.status, reason, index: target._index, id: target._id });
      },
      retries: HELPER_RETRIES,
      wait: HELPER_WAIT_MS,
      flushBytes: 5_000_000,
      concurrency: 2,
      refreshOnCompletion: false,
    } as never);
    return dropped;
  }

  async getSource<T>(index: string, id: string): Promise<T | null> {
    const answer = await this.calls.get({ index, id });
    return answer.found ? (answer._source as T) : null;
  }

  putDocument(index: string, id: string, doc: Record<string, unknown>): Promise<void> {
    return this.calls.index({ index, id, body: doc, refresh: true });
  }

  async updateDocument(index: string, id: string, body: Record<string, unknown>): Promise<string> {
    return (await this.calls.update({ index, id, body, refresh: true, retry_on_conflict: 3 })).result;
  }

  async search<T>(index: string, body: Record<string, unknown>): Promise<SearchAnswer<T>> {
    for (let wait = FIRST_SHARD_WAIT_MS; ; wait *= 2) {
      try {
        const answer = await this.calls.search({ index, body, ignore_unavailable: true, allow_no_indices: true });
        return { hits: answer.hits.hits as Array<SearchHit<T>>, aggregations: answer.aggregations };
      } catch (error) {
        if (!noShardAvailable(error) || wait > LAST_SHARD_WAIT_MS) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  putIndexTemplate(name: string, body: Record<string, unknown>): Promise<void> {
    return this.calls.putIndexTemplate({ name, body });
  }

  async indices(pattern: string): Promise<Array<{ name: string; docs: number }>> {
    const rows = await this.calls.catIndices(pattern);
    return rows.map((r) => ({ name: r.index, docs: Number(r['docs.count'] ?? 0) }));
  }

  async deleteIndices(names: readonly string[]): Promise<void> {
    if (names.length > 0) await this.calls.deleteIndex([...names]);
  }

  refresh(pattern: string): Promise<void> {
    return this.calls.refresh(pattern);
  }

  close(): Promise<void> {
    return this.calls.close();
  }
}
