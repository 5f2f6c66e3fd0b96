import '@xyflow/react/dist/style.css';
import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from '@xyflow/react';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { listServices, queryInstant } from '../api/client.ts';
import { Empty, ErrorBox, Loading } from '../components/States.tsx';
import { buildServiceMapData, layoutServiceMap, MAP_QUERIES, type MapEdge, type MapNode } from '../data/buildServiceMapData.ts';
import { SERVICE_QUERIES } from '../data/buildServicesData.ts';
import { formatPercent, formatRate, formatSeconds } from '../data/format.ts';
import { useTimeRange } from '../time.ts';
import { useApi } from '../useApi.ts';

const ICON: Record<MapNode['kind'], string> = { service: '', queue: '✉ ', database: '⛁ ' };

/** Services, queues and databases as a graph of who calls whom, coloured by health; click a node or an edge for details. */
export function ServiceMapPage() {
  const { range, tick } = useTimeRange();
  const [params, setParams] = useSearchParams();
  const state = useApi(async () => {
    const at = range.endMs;
    const [services, requests, failed, p95, serviceRate, serviceErrors, firing] = await Promise.all([
      listServices(),
      queryInstant(MAP_QUERIES.requests, at),
      queryInstant(MAP_QUERIES.failed, at),
      queryInstant(MAP_QUERIES.p95, at),
      queryInstant(SERVICE_QUERIES.rate, at),
      queryInstant(SERVICE_QUERIES.errors, at),
      queryInstant(MAP_QUERIES.firing, at),
    ]);
    return buildServiceMapData({ services, requests, failed, p95, serviceRate, serviceErrors, firing });
  }, [range.endMs, tick]);
  const graph = useMemo(() => {
    if (state.data === null) return null;
    const positions = layoutServiceMap(state.data);
    const nodes: Node[] = state.data.nodes.map((n) => ({
      id: n.id,
      position: positions.get(n.id)!,
      data: { label: `${ICON[n.kind]}${n.label}` },
      className: `map-node kind-${n.kind} health-${n.health}`,
      ariaLabel: `${n.kind} ${n.label}`,
      connectable: false,
      // Laid out left to right: calls leave on the right and arrive on the left.
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
    }));
    const edges: Edge[] = state.data.edges.map((e) => ({
      id: e.id,
      source: e.source,
      target: e.target,
      label: `${formatRate(e.rate)}${e.errorRate > 0 ? ` · ${formatPercent(e.errorRate)} err` : ''}${e.p95 !== null ? ` · p95 ${formatSeconds(e.p95)}` : ''}`,
      markerEnd: { type: MarkerType.ArrowClosed },
      className: e.errorRate > 0.05 ? 'map-edge bad' : 'map-edge',
    }));
    return { nodes, edges };
  }, [state.data]);
  const select = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id === null) next.delete('selected');
    else next.set('selected', id);
    setParams(next, { replace: true });
  };
  const selectedId = params.get('selected');
  const selectedNode = state.data?.nodes.find((n) => n.id === selectedId) ?? null;
  const selectedEdge = state.data?.edges.find((e) => e.id === selectedId) ?? null;
  return (
    <section>
      <h1>Service map</h1>
      {state.error !== null && <ErrorBox error={state.error} />}
      {graph === null && state.loading && <Loading />}
      {state.data !== null && state.data.nodes.length === 0 && <Empty>No service has sent spans yet: the map draws itself from the calls between services as traces arrive.</Empty>}
      {graph !== null && graph.nodes.length > 0 && (
        <div className="map-layout">
          <div className="map" aria-label="Service map">
            <ReactFlow nodes={graph.nodes} edges={graph.edges} fitView fitViewOptions={{ padding: 0.05 }} minZoom={0.15} nodesDraggable={false} onNodeClick={(_e, n) => select(n.id)} onEdgeClick={(_e, e) => select(e.id)} onPaneClick={() => select(null)} proOptions={{ hideAttribution: true }}>
              <Background />
              <Controls showInteractive={false} />
            </ReactFlow>
          </div>
          <aside className="map-details" aria-label="Details">
            {selectedNode !== null && <NodeDetails node={selectedNode} edges={state.data!.edges} nodes={state.data!.nodes} />}
            {selectedEdge !== null && <EdgeDetails edge={selectedEdge} nodes={state.data!.nodes} />}
            {selectedNode === null && selectedEdge === null && <p className="muted">Click a service, queue or database, or an arrow, for its figures and its traces.</p>}
          </aside>
        </div>
      )}
    </section>
  );
}

const nameOf = (nodes: MapNode[], id: string) => nodes.find((n) => n.id === id)?.label ?? id;

function NodeDetails({ node, edges, nodes }: { node: MapNode; edges: MapEdge[]; nodes: MapNode[] }) {
  const incoming = edges.filter((e) => e.target === node.id);
  const outgoing = edges.filter((e) => e.source === node.id);
  return (
    <div>
      <h2>
        {ICON[node.kind]}
        {node.label} <span className="muted small">{node.kind}</span>
      </h2>
      {node.kind === 'service' && (
        <p>
          Errors {formatPercent(node.errorRate)}
          {node.firing && <span className="badge bad">alert firing</span>} · <Link to={`/services/${encodeURIComponent(node.label)}`}>{node.label}'s page</Link> · <Link to={`/traces?service=${encodeURIComponent(node.label)}`}>traces</Link>
        </p>
      )}
      <h3>Called by</h3>
      <ul>{incoming.length === 0 ? <li className="muted">nobody</li> : incoming.map((e) => <li key={e.id}>{nameOf(nodes, e.source)}: {formatRate(e.rate)}</li>)}</ul>
      <h3>Calls</h3>
      <ul>{outgoing.length === 0 ? <li className="muted">nothing</li> : outgoing.map((e) => <li key={e.id}>{nameOf(nodes, e.target)}: {formatRate(e.rate)}</li>)}</ul>
    </div>
  );
}

function EdgeDetails({ edge, nodes }: { edge: MapEdge; nodes: MapNode[] }) {
  const source = nodes.find((n) => n.id === edge.source);
  return (
    <div>
      <h2>
        {nameOf(nodes, edge.source)} → {nameOf(nodes, edge.target)}
      </h2>
      <p>
        {formatRate(edge.rate)} · {formatPercent(edge.errorRate)} failed · p95 {formatSeconds(edge.p95)}
      </p>
      {source?.kind === 'service' && <Link to={`/traces?service=${encodeURIComponent(source.label)}`}>traces of {source.label}</Link>}
    </div>
  );
}
