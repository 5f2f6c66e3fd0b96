import dagre from '@dagrejs/dagre';
import type { PromVector } from '../api/types.ts';

/** A node of the map: a service, a message queue or topic, or a database. */
export interface MapNode {
  id: string;
  kind: 'service' | 'queue' | 'database';
  label: string;
  /** The service's failed share of requests (services only). */
  errorRate: number | null;
  firing: boolean;
  health: 'ok' | 'warn' | 'bad' | 'unknown';
}

/** A directed edge: calls (or messages) from source to target, with their rate, failed share and p95. */
export interface MapEdge {
  id: string;
  source: string;
  target: string;
  rate: number;
  errorRate: number;
  p95: number | null;
}

export interface ServiceMapData {
  nodes: MapNode[];
  edges: MapEdge[];
}

/** What the map is built from: service-graph metrics by edge, span-metric error rates by service, firing alerts. */
export interface ServiceMapAnswers {
  services: string[];
  requests: PromVector;
  failed: PromVector;
  p95: PromVector;
  serviceRate: PromVector;
  serviceErrors: PromVector;
  firing: PromVector;
}

/** The PromQL of the map, from the service-graph metrics the collector derives. */
export const MAP_QUERIES = {
  requests: 'sum by (client, server, connection_type, messaging_destination) (rate(traces_service_graph_request_total[5m]))',
  failed: 'sum by (client, server, connection_type, messaging_destination) (rate(traces_service_graph_request_failed_total[5m]))',
  p95: 'histogram_quantile(0.95, sum by (client, server, connection_type, messaging_destination, le) (rate(traces_service_graph_request_server_seconds_bucket[5m])))',
  firing: 'ALERTS{alertstate="firing"}',
};

const edgeKey = (m: Record<string, string>) => [m.client, m.server, m.connection_type, m.messaging_destination].join('\u0000');

/**
 * Services as nodes and calls as directed edges; a message queue or topic
 * (`messaging_destination`) becomes a node between producer and consumer,
 * a database a leaf. Health: red with a firing alert or over 5% errors,
 * amber over 1%.
 */
export function buildServiceMapData(a: ServiceMapAnswers): ServiceMapData {
  const failed = new Map(a.failed.map((s) => [edgeKey(s.metric), Number(s.value[1])]));
  const p95 = new Map(a.p95.map((s) => [edgeKey(s.metric), Number(s.value[1])]));
  const nodes = new Map<string, MapNode>();
  const node = (id: string, kind: MapNode['kind'], label: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, kind, label, errorRate: null, firing: false, health: 'unknown' });
  };
  const edges = new Map<string, MapEdge>();
  const edge = (source: string, target: string, rate: number, fail: number, q: number | null) => {
    const id = `${source}→${target}`;
    const e = edges.get(id);
    if (e === undefined) edges.set(id, { id, source, target, rate, errorRate: rate > 0 ? fail / rate : 0, p95: q });
    else {
      const failures = e.errorRate * e.rate + fail;
      e.rate += rate;
      e.errorRate = e.rate > 0 ? failures / e.rate : 0;
      e.p95 = e.p95 === null ? q : q === null ? e.p95 : Math.max(e.p95, q);
    }
  };
  for (const s of a.services) node(`service:${s}`, 'service', s);
  for (const s of a.requests) {
    const { client = '', server = '', connection_type: type = '', messaging_destination: via } = s.metric;
    const rate = Number(s.value[1]);
    if (client === '' || server === '' || !Number.isFinite(rate)) continue;
    const key = edgeKey(s.metric);
    const fail = failed.get(key) ?? 0;
    const q = Number.isFinite(p95.get(key) ?? NaN) ? p95.get(key)! : null;
    node(`service:${client}`, 'service', client);
    if (type === 'database') {
      node(`database:${server}`, 'database', server);
      edge(`service:${client}`, `database:${server}`, rate, fail, q);
    } else if (type === 'messaging_system' && via !== undefined && via !== '') {
      node(`service:${server}`, 'service', server);
      node(`queue:${via}`, 'queue', via);
      edge(`service:${client}`, `queue:${via}`, rate, 0, null);
      edge(`queue:${via}`, `service:${server}`, rate, fail, q);
    } else {
      node(`service:${server}`, 'service', server);
      edge(`service:${client}`, `service:${server}`, rate, fail, q);
    }
  }
  const rate = new Map(a.serviceRate.map((s) => [s.metric.service_name ?? '', Number(s.value[1])]));
  const errors = new Map(a.serviceErrors.map((s) => [s.metric.service_name ?? '', Number(s.value[1])]));
  const firing = new Set(a.firing.flatMap((s) => [s.metric.service_name, s.metric.job, s.metric.service].filter((x): x is string => x !== undefined)));
  for (const n of nodes.values()) {
    if (n.kind !== 'service') continue;
    const r = rate.get(n.label);
    n.errorRate = r === undefined || !(r > 0) ? null : (errors.get(n.label) ?? 0) / r;
    n.firing = firing.has(n.label);
    n.health = n.firing || (n.errorRate ?? 0) > 0.05 ? 'bad' : (n.errorRate ?? 0) > 0.01 ? 'warn' : n.errorRate === null ? 'unknown' : 'ok';
  }
  return { nodes: [...nodes.values()].sort((x, y) => x.id.localeCompare(y.id)), edges: [...edges.values()].sort((x, y) => x.id.localeCompare(y.id)) };
}

/** Node positions from dagre, left to right, so 5 to 50 services read as a flow from callers to callees. */
export function layoutServiceMap(data: ServiceMapData, size = { width: 170, height: 44 }): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 90, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of data.nodes) g.setNode(n.id, { width: size.width, height: size.height });
  for (const e of data.edges) g.setEdge(e.source, e.target);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const n of data.nodes) {
    const p = g.node(n.id);
    out.set(n.id, { x: p.x - size.width / 2, y: p.y - size.height / 2 });
  }
  return out;
}
