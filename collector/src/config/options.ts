/**
 * Every collector option in one table: its config-file key, command-line flag,
 * environment variable, type, default and help text. The CLI's --help, the
 * environment reader and the config-file validator all read this table, so an
 * option is added in one place.
 */

import { DEFAULT_REDACTED_KEYS } from '../otlp/redaction.ts';

/** How an option's text is read. */
export type OptionType = 'string' | 'port' | 'int' | 'count' | 'bytes' | 'duration' | 'boolean';

/** One collector option. */
export interface OptionSpec {
  /** Dotted key in the config file, e.g. `limits.maxBodyBytes`. */
  key: string;
  flag: string;
  env: string;
  type: OptionType;
  default: string | number | boolean;
  help: string;
}

/** Default OTLP/HTTP port, as the OTLP specification assigns it. */
export const DEFAULT_HTTP_PORT = 4318;
/** Default OTLP/gRPC port, as the OTLP specification assigns it. */
export const DEFAULT_GRPC_PORT = 4317;
/** Largest request body after decompression. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The option table (see module comment). */
export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', flag: '--host', env: 'MIRADOR_HOST', type: 'string', default: '127.0.0.1', help: 'address to listen on' },
  { key: 'insecure', flag: '--insecure', env: 'MIRADOR_INSECURE', type: 'boolean', default: false, help: 'listen beyond the loopback interface although nothing asks who sends or reads (the collector has no users or ingest tokens yet)' },
  { key: 'port', flag: '--port', env: 'MIRADOR_PORT', type: 'port', default: DEFAULT_HTTP_PORT, help: 'HTTP port: OTLP/HTTP, query API, dashboard (0 picks a free port)' },
  { key: 'grpcPort', flag: '--grpc-port', env: 'MIRADOR_GRPC_PORT', type: 'port', default: DEFAULT_GRPC_PORT, help: 'OTLP/gRPC port (0 picks a free port, off turns gRPC off)' },
  { key: 'dataDir', flag: '--data-dir', env: 'MIRADOR_DATA_DIR', type: 'string', default: './data', help: 'directory of the embedded store' },
  { key: 'rules', flag: '--rules', env: 'MIRADOR_RULES', type: 'string', default: '', help: 'Prometheus rule files (alerting and recording rules): comma-separated paths or globs' },
  { key: 'retention', flag: '--retention', env: 'MIRADOR_RETENTION', type: 'duration', default: '7d', help: 'age after which spans, logs and samples are deleted' },
  { key: 'storage.memoryLimit', flag: '--storage-memory-limit', env: 'MIRADOR_STORAGE_MEMORY_LIMIT', type: 'string', default: '1GB', help: "DuckDB's memory limit" },
  { key: 'limits.maxBodyBytes', flag: '--max-body-bytes', env: 'MIRADOR_MAX_BODY_BYTES', type: 'bytes', default: DEFAULT_MAX_BODY_BYTES, help: 'largest request body after decompression (413 beyond)' },
  { key: 'limits.maxInFlightBytes', flag: '--max-in-flight-bytes', env: 'MIRADOR_MAX_IN_FLIGHT_BYTES', type: 'bytes', default: 64 * 1024 * 1024, help: 'request bodies held in memory at once, all requests together (503 beyond)' },
  { key: 'limits.maxRss', flag: '--max-rss', env: 'MIRADOR_MAX_RSS', type: 'string', default: '0', help: 'resident memory bound (e.g. 1GiB; 0 for none): above it ingest answers 503 with Retry-After until memory is back under 90% of it' },
  { key: 'limits.maxEventLoopDelay', flag: '--max-event-loop-delay', env: 'MIRADOR_MAX_EVENT_LOOP_DELAY', type: 'duration', default: '0ms', help: 'event-loop delay (the longest in each 250 ms window) beyond which ingest answers 503 with Retry-After until a window stays under half of it, e.g. 250ms; 0 (the default) turns it off' },
  { key: 'limits.requestTimeout', flag: '--request-timeout', env: 'MIRADOR_REQUEST_TIMEOUT', type: 'duration', default: '60s', help: 'longest a client may take to send a request (headers within it, at most 60s): slower clients are cut off with 408' },
  { key: 'limits.maxAttributes', flag: '--max-attributes', env: 'MIRADOR_MAX_ATTRIBUTES', type: 'int', default: 128, help: 'attributes kept per item; extra ones are dropped and counted' },
  { key: 'limits.maxAttributeValueBytes', flag: '--max-attribute-value-bytes', env: 'MIRADOR_MAX_ATTRIBUTE_VALUE_BYTES', type: 'bytes', default: 16 * 1024, help: 'bytes kept per attribute value; longer ones are truncated and counted' },
  { key: 'limits.maxAttributeDepth', flag: '--max-attribute-depth', env: 'MIRADOR_MAX_ATTRIBUTE_DEPTH', type: 'int', default: 64, help: 'nesting levels kept in attribute values' },
  { key: 'queue.maxQueuedItems', flag: '--max-queued-items', env: 'MIRADOR_MAX_QUEUED_ITEMS', type: 'int', default: 100_000, help: 'items per signal waiting to be written before ingest answers 503' },
  { key: 'queue.maxBatchItems', flag: '--max-batch-items', env: 'MIRADOR_MAX_BATCH_ITEMS', type: 'int', default: 8192, help: 'items per store write' },
  { key: 'queue.maxDelay', flag: '--max-batch-delay', env: 'MIRADOR_MAX_BATCH_DELAY', type: 'duration', default: '0ms', help: 'longest wait for a batch to fill while no write runs (0: batches form from what arrives during a write)' },
  { key: 'query.maxLogLimit', flag: '--max-log-limit', env: 'MIRADOR_MAX_LOG_LIMIT', type: 'int', default: 1000, help: 'largest `limit` a log search may ask for' },
  { key: 'query.maxTraceLimit', flag: '--max-trace-limit', env: 'MIRADOR_MAX_TRACE_LIMIT', type: 'int', default: 1500, help: 'largest `limit` a trace search may ask for' },
  { key: 'query.timeout', flag: '--query-timeout', env: 'MIRADOR_QUERY_TIMEOUT', type: 'duration', default: '2m', help: 'longest PromQL evaluation (Prometheus errorType timeout beyond)' },
  { key: 'query.maxSamples', flag: '--query-max-samples', env: 'MIRADOR_QUERY_MAX_SAMPLES', type: 'int', default: 50_000_000, help: 'samples one PromQL query may load' },
  { key: 'query.lookbackDelta', flag: '--query-lookback-delta', env: 'MIRADOR_QUERY_LOOKBACK_DELTA', type: 'duration', default: '5m', help: 'how far back an instant selector looks for a sample' },
  { key: 'metrics.maxSeries', flag: '--max-series', env: 'MIRADOR_MAX_SERIES', type: 'int', default: 1_000_000, help: 'metric series kept in all; samples of new series beyond it are refused and counted' },
  { key: 'metrics.maxSeriesPerMetric', flag: '--max-series-per-metric', env: 'MIRADOR_MAX_SERIES_PER_METRIC', type: 'int', default: 50_000, help: 'metric series kept per metric name; new ones beyond it are refused and counted' },
  { key: 'redaction.keys', flag: '--redact-keys', env: 'MIRADOR_REDACT_KEYS', type: 'string', default: DEFAULT_REDACTED_KEYS, help: 'attributes whose key matches this regular expression (case-insensitive) are stored as [REDACTED]; empty turns it off' },
  { key: 'redaction.values', flag: '--redact-values', env: 'MIRADOR_REDACT_VALUES', type: 'string', default: 'card', help: 'patterns replaced inside string values and log bodies: card (Luhn-valid card numbers), email, or none; comma-separated' },
  { key: 'tls.certFile', flag: '--tls-cert', env: 'MIRADOR_TLS_CERT', type: 'string', default: '', help: 'PEM certificate (chain) for HTTPS and OTLP/gRPC over TLS on the collector\'s ports; with --tls-key' },
  { key: 'tls.keyFile', flag: '--tls-key', env: 'MIRADOR_TLS_KEY', type: 'string', default: '', help: 'PEM private key of --tls-cert' },
  { key: 'auth.usersFile', flag: '--users-file', env: 'MIRADOR_USERS_FILE', type: 'string', default: '', help: 'YAML file of users (name, role viewer or editor, scrypt password hash) and API tokens; when set, the API and dashboard ask who you are' },
  { key: 'auth.sessionSecret', flag: '--session-secret', env: 'MIRADOR_SESSION_SECRET', type: 'string', default: '', help: 'key that signs session cookies, 32 characters or more; replicas must share one (default: generated once into the data directory)' },
  { key: 'ingest.tokensFile', flag: '--ingest-tokens-file', env: 'MIRADOR_INGEST_TOKENS_FILE', type: 'string', default: '', help: 'YAML file of ingest tokens (name and sha256 hash each); when any token is set, every OTLP, push and remote-write request must carry one' },
  { key: 'ingest.tokens', flag: '--ingest-tokens', env: 'MIRADOR_INGEST_TOKENS', type: 'string', default: '', help: 'ingest tokens in the clear, name=token pairs separated by commas (prefer the file, which holds only hashes)' },
  { key: 'storage.backend', flag: '--storage-backend', env: 'MIRADOR_STORAGE_BACKEND', type: 'string', default: 'embedded', help: 'where spans and logs are kept: embedded (the DuckDB file), elasticsearch (8 or 9) or opensearch (2 or 3)' },
  { key: 'storage.searchUrls', flag: '--search-url', env: 'MIRADOR_SEARCH_URL', type: 'string', default: '', help: 'with --storage-backend elasticsearch or opensearch: node URLs, comma-separated (e.g. http://elasticsearch:9200)' },
  { key: 'storage.searchUsername', flag: '--search-username', env: 'MIRADOR_SEARCH_USERNAME', type: 'string', default: '', help: 'user for the search cluster (basic auth)' },
  { key: 'storage.searchPassword', flag: '--search-password', env: 'MIRADOR_SEARCH_PASSWORD', type: 'string', default: '', help: 'password of --search-username (prefer the environment variable)' },
  { key: 'storage.searchApiKey', flag: '--search-api-key', env: 'MIRADOR_SEARCH_API_KEY', type: 'string', default: '', help: 'Elasticsearch API key (base64 of id:key), instead of a user' },
  { key: 'storage.indexPrefix', flag: '--index-prefix', env: 'MIRADOR_INDEX_PREFIX', type: 'string', default: 'mirador', help: 'prefix of the daily indices (<prefix>-spans-YYYY.MM.DD, -logs-, -traces-, -operations-)' },
  { key: 'storage.indexReplicas', flag: '--index-replicas', env: 'MIRADOR_INDEX_REPLICAS', type: 'count', default: 1, help: 'replicas of each index (0 for a single-node cluster)' },
  { key: 'storage.spoolBytes', flag: '--search-spool-bytes', env: 'MIRADOR_SEARCH_SPOOL_BYTES', type: 'bytes', default: 1024 * 1024 * 1024, help: 'on-disk spool for a search cluster that is away; beyond it ingest answers 503' },
  { key: 'replicaName', flag: '--replica-name', env: 'MIRADOR_REPLICA_NAME', type: 'string', default: '', help: "this replica's name among collectors sharing a search cluster (default: host name and process id)" },
  { key: 'metrics.backend', flag: '--metrics-backend', env: 'MIRADOR_METRICS_BACKEND', type: 'string', default: 'embedded', help: 'where metrics are kept: embedded (the DuckDB file) or prometheus (a Prometheus-compatible store, by remote write)' },
  { key: 'metrics.remoteWriteUrl', flag: '--metrics-remote-write-url', env: 'MIRADOR_METRICS_REMOTE_WRITE_URL', type: 'string', default: '', help: "with --metrics-backend prometheus: the store's remote-write URL (e.g. http://prometheus:9090/api/v1/write)" },
  { key: 'metrics.queryUrl', flag: '--metrics-query-url', env: 'MIRADOR_METRICS_QUERY_URL', type: 'string', default: '', help: "with --metrics-backend prometheus: the store's Prometheus HTTP API base URL (e.g. http://prometheus:9090)" },
  { key: 'metrics.remoteWriteShards', flag: '--remote-write-shards', env: 'MIRADOR_REMOTE_WRITE_SHARDS', type: 'int', default: 4, help: 'remote-write senders working at once (series are split among them, each in order)' },
  { key: 'metrics.remoteWriteBufferBytes', flag: '--remote-write-buffer-bytes', env: 'MIRADOR_REMOTE_WRITE_BUFFER_BYTES', type: 'bytes', default: 1024 * 1024 * 1024, help: 'on-disk buffer for a metrics backend that is away; beyond it ingest answers 503' },
  { key: 'derive.interval', flag: '--derive-interval', env: 'MIRADOR_DERIVE_INTERVAL', type: 'duration', default: '15s', help: 'how often span, service-graph and log-count metrics are written, as Prometheus scrapes' },
  { key: 'derive.edgeWait', flag: '--derive-edge-wait', env: 'MIRADOR_DERIVE_EDGE_WAIT', type: 'duration', default: '10s', help: 'how long half of a client/server span pair waits for the other before it is expired and counted' },
  { key: 'alerting.evaluationInterval', flag: '--evaluation-interval', env: 'MIRADOR_EVALUATION_INTERVAL', type: 'duration', default: '1m', help: 'how often rule groups without an interval of their own are evaluated' },
  { key: 'alerting.resendDelay', flag: '--alert-resend-delay', env: 'MIRADOR_ALERT_RESEND_DELAY', type: 'duration', default: '1m', help: 'how often a firing alert is sent to Alertmanager again' },
  { key: 'alerting.alertmanagerUrls', flag: '--alertmanager-url', env: 'MIRADOR_ALERTMANAGER_URL', type: 'string', default: '', help: 'Alertmanager base URLs, comma-separated; alerts are sent to their /api/v2/alerts' },
  { key: 'alerting.notifications', flag: '--alert-notifications', env: 'MIRADOR_ALERT_NOTIFICATIONS', type: 'string', default: '', help: 'YAML file of webhook receivers (and Alertmanagers) alerts are sent to' },
  { key: 'alerting.externalUrl', flag: '--external-url', env: 'MIRADOR_EXTERNAL_URL', type: 'string', default: '', help: "the collector's URL as users reach it, for links in notifications (empty: its listen address)" },
  { key: 'alerting.queryUrl', flag: '--rules-query-url', env: 'MIRADOR_RULES_QUERY_URL', type: 'string', default: '', help: 'evaluate rules with this Prometheus-compatible query API instead of the embedded store' },
  { key: 'alerting.remoteWriteUrl', flag: '--rules-remote-write-url', env: 'MIRADOR_RULES_REMOTE_WRITE_URL', type: 'string', default: '', help: 'with --rules-query-url: the remote-write URL rule results (recording rules, ALERTS) are written to' },
  { key: 'dashboardDir', flag: '--dashboard-dir', env: 'MIRADOR_DASHBOARD_DIR', type: 'string', default: '', help: "directory of the dashboard's production build (empty: the @mirador/dashboard package's dist/)" },
  { key: 'logLevel', flag: '--log-level', env: 'MIRADOR_LOG_LEVEL', type: 'string', default: 'info', help: "the collector's own log level: debug, info, warn, error" },
];
