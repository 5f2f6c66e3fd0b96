/** The PromQL of a service's page, from the span metrics the collector derives (server and consumer spans are its requests). */
const requests = (service: string, extra = '') => `traces_span_metrics_calls_total{service_name=${JSON.stringify(service)}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"${extra}}`;
const buckets = (service: string) => `traces_span_metrics_duration_seconds_bucket{service_name=${JSON.stringify(service)}, span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"}`;

export const serviceQueries = (service: string) => ({
  requests: `sum(rate(${requests(service)}[5m]))`,
  errors: `sum(rate(${requests(service, ', status_code="STATUS_CODE_ERROR"')}[5m]))`,
  latency: (q: number) => `histogram_quantile(${q}, sum by (le) (rate(${buckets(service)}[5m])))`,
  operations: {
    requests: `sum by (span_name) (rate(${requests(service)}[5m]))`,
    errors: `sum by (span_name) (rate(${requests(service, ', status_code="STATUS_CODE_ERROR"')}[5m]))`,
    p95: `histogram_quantile(0.95, sum by (span_name, le) (rate(${buckets(service)}[5m])))`,
  },
  /** Requests by latency bucket over a window (`5m`, `3600s`). */
  histogram: (window: string) => `sum by (le) (increase(${buckets(service)}[${window}]))`,
  /** The agent's request-duration histogram, whose buckets carry trace ids as exemplars. */
  exemplars: `http_server_request_duration_seconds_bucket{job=${JSON.stringify(service)}}`,
  /** The failed share of requests, for an error-rate alert. */
  errorRatio: `sum(rate(${requests(service, ', status_code="STATUS_CODE_ERROR"')}[5m])) / sum(rate(${requests(service)}[5m]))`,
  alerts: `ALERTS{alertstate="firing", service_name=${JSON.stringify(service)}} or ALERTS{alertstate="firing", job=${JSON.stringify(service)}}`,
});
