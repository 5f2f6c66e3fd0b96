/**
 * What `/` serves when the dashboard is not built (`npm run build --workspace
 * dashboard`): what the collector is and where its APIs are, so a newcomer
 * opening the URL sees it running.
 */
export function placeholderPage(description: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Mirador</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem;color:#1c2430}code{background:#eef1f5;padding:0 .3em;border-radius:3px}</style>
</head><body>
<h1>Mirador collector is running</h1>
<p>Storage: <code>${escapeHtml(description)}</code>. The dashboard is not built (<code>npm run build --workspace dashboard</code> builds it); the APIs below serve the data.</p>
<ul>
<li><a href="/api/services">/api/services</a>: services that sent spans (Jaeger query API)</li>
<li><code>/api/traces?service=NAME&amp;lookback=1h</code>: trace search; <code>/api/traces/TRACE_ID</code>: one trace</li>
<li><code>/api/logs?traceId=TRACE_ID</code>: every log line of one request</li>
<li><code>/api/v1/series?match[]=SELECTOR</code>, <code>/api/v1/query_exemplars?query=SELECTOR</code>: pushed metrics (Prometheus HTTP API)</li>
<li><a href="/metrics">/metrics</a>: the collector's own metrics</li>
</ul>
<p>Send telemetry with any OpenTelemetry SDK's OTLP exporter to this address (<code>/v1/traces</code>, <code>/v1/logs</code>, <code>/v1/metrics</code>), or add <code>@mirador/agent</code> to a Node service; push a Prometheus registry to <code>/metrics/job/JOB/instance/INSTANCE</code>.</p>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
