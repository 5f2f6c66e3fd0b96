import express, { type Request, type Response, type Router } from 'express';
import snappy from 'snappy';
import { writeRequestType, type WriteRequest } from '../metrics/remoteWriteSchema.ts';
import { LABEL_NAME, METRIC_NAME, isStaleNaN, type Labels, type MetricMetadata, type MetricSample, type MetricType } from '../model/metric.ts';
import { QueueFullError } from '../pipeline/BatchWriter.ts';
import type { Ingest } from '../pipeline/Ingest.ts';
import type { SelfMetrics } from '../telemetry/SelfMetrics.ts';
import type { CollectorLog } from '../telemetry/log.ts';
import { decodeTurn } from './decodeTurns.ts';
import type { ByteBudget } from './ByteBudget.ts';
import { BodyError, readBody } from './readBody.ts';

/** The remote-write MetricMetadata.MetricType enum, by wire value. */
const TYPES: MetricType[] = ['unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset'];

/** A write request Prometheus must not retry: 400, with what was wrong. */
class BadWrite extends Error {}

const toMs = (t: { toNumber(): number } | number | undefined) => (t === undefined ? 0 : typeof t === 'number' ? t : t.toNumber());

function labelsOf(pairs: Array<{ name?: string; value?: string }> | undefined, where: string, limits: { maxLabels: number; maxLabelValueBytes: number }): Labels {
  const labels: Labels = {};
  let n = 0;
  for (const { name = '', value = '' } of pairs ?? []) {
    if (!LABEL_NAME.test(name)) throw new BadWrite(`${where}: invalid label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) throw new BadWrite(`${where}: label ${JSON.stringify(name)} given twice`);
    if (Buffer.byteLength(value) > limits.maxLabelValueBytes) throw new BadWrite(`${where}: the value of label ${JSON.stringify(name)} is longer than ${limits.maxLabelValueBytes} bytes (limits.maxAttributeValueBytes)`);
    if (++n > limits.maxLabels + 1) throw new BadWrite(`${where}: more than ${limits.maxLabels} labels (limits.maxAttributes)`);
    if (value !== '') labels[name] = value;
  }
  return labels;
}

/**
 * Maps a decoded WriteRequest to samples (exemplars attached to the sample
 * of their series at the same time, or the series' latest) and metadata.
 * Any invalid series refuses the whole request, naming the series.
 */
export function mapWriteRequest(request: WriteRequest, limits: { maxLabels: number; maxLabelValueBytes: number }): { samples: MetricSample[]; metadata: MetricMetadata[]; nativeHistograms: number } {
  const samples: MetricSample[] = [];
  let nativeHistograms = 0;
  for (const [i, series] of (request.timeseries ?? []).entries()) {
    const where = `timeseries[${i}]`;
    const labels = labelsOf(series.labels, where, limits);
    const name = labels.__name__;
    if (name === undefined || !METRIC_NAME.test(name)) throw new BadWrite(`${where}: expected a valid __name__ label, got ${JSON.stringify(name ?? null)}`);
    nativeHistograms += series.histograms?.length ?? 0;
    const first = samples.length;
    for (const s of series.samples ?? []) {
      const value = s.value ?? 0;
      // Read the marker's bits here, where they are fresh from the wire; from now on the flag carries it.
      samples.push(isStaleNaN(value) ? { labels, timestampMs: toMs(s.timestamp), value, stale: true } : { labels, timestampMs: toMs(s.timestamp), value });
    }
    for (const [j, e] of (series.exemplars ?? []).entries()) {
      const exemplar = { labels: labelsOf(e.labels, `${where}.exemplars[${j}]`, limits), value: e.value ?? 0, timestampMs: toMs(e.timestamp) };
      const own = samples.slice(first).find((s) => s.timestampMs === exemplar.timestampMs) ?? samples.at(-1);
      if (own !== undefined && samples.indexOf(own) >= first) own.exemplar = exemplar;
    }
  }
  const metadata = (request.metadata ?? [])
    .filter((m) => m.metricFamilyName !== undefined && m.metricFamilyName !== '')
    .map((m) => ({ metric: m.metricFamilyName!, type: TYPES[m.type ?? 0] ?? 'unknown', help: m.help ?? '', unit: m.unit ?? '' }));
  return { samples, metadata, nativeHistograms };
}

/**
 * `POST /api/v1/write`: Prometheus remote write 1.0 — a snappy-compressed
 * (block format) protobuf WriteRequest — into the metric store. 204 when
 * stored; 400 for a body Prometheus should not resend (it drops those), 413
 * over the body limit, 503 with Retry-After while the write queue is full
 * (Prometheus retries 5xx). Native histograms are refused with a 400.
 */
export function remoteWriteRouter(ingest: Ingest, maxBodyBytes: number, limits: { maxLabels: number; maxLabelValueBytes: number }, budget: ByteBudget, metrics: SelfMetrics, log: CollectorLog): Router {
  const router = express.Router();
  router.post('/api/v1/write', (req: Request, res: Response) => {
    receive(req, ingest, maxBodyBytes, limits, budget).then(
      () => res.status(204).end(),
      (error: unknown) => {
        const status = error instanceof BadWrite ? 400 : error instanceof BodyError ? error.status : error instanceof QueueFullError ? 503 : 500;
        metrics.refusedRequests.inc({ signal: 'metrics', status: String(status) });
        if (status === 503) res.setHeader('Retry-After', '1');
        if (status === 500) log.error('remote write failed unexpectedly', { error });
        res.status(status).type('text/plain').send(status === 500 ? 'internal error\n' : `${(error as Error).message}\n`);
      },
    );
  });
  return router;
}

/** The uncompressed length a snappy block declares in its varint preamble, or null when there is none. */
function snappyLength(block: Buffer): number | null {
  let length = 0;
  for (let i = 0; i < 5 && i < block.length; i++) {
    length += (block[i]! & 0x7f) * 2 ** (7 * i);
    if ((block[i]! & 0x80) === 0) return length;
  }
  return null;
}

async function receive(req: Request, ingest: Ingest, maxBodyBytes: number, limits: { maxLabels: number; maxLabelValueBytes: number }, budget: ByteBudget): Promise<void> {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-protobuf') {
    req.resume();
    throw new BadWrite(`Content-Type ${JSON.stringify(type)} is not supported: remote write sends application/x-protobuf`);
  }
  const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding !== 'snappy') {
    req.resume();
    throw new BadWrite(`Content-Encoding ${JSON.stringify(encoding)} is not supported: remote write sends snappy`);
  }
  // The compressed body is read within the body limit; its uncompressed length is checked before it is inflated.
  const compressed = await readBody(req, maxBodyBytes, budget, { raw: true });
  let mapped: ReturnType<typeof mapWriteRequest>;
  try {
    mapped = await decodeTurn(() => decodeWrite(compressed, maxBodyBytes, limits));
  } finally {
    budget.release(compressed.length);
  }
  if (mapped.nativeHistograms > 0) throw new BadWrite(`${mapped.nativeHistograms} native histogram(s) in the request: not supported, send classic histograms (_bucket/_sum/_count)`);
  const result = await ingest.remoteWrite(mapped.samples, mapped.metadata);
  // What could be stored is; the refusal (series limits, retention) is a 400 the sender does not retry.
  if (result.rejected > 0) throw new BadWrite(`${result.rejected} sample(s) refused: ${result.errorMessage}`);
}

/** Inflates and decodes a remote-write body and maps it to samples (one synchronous step, taken in its turn). */
function decodeWrite(compressed: Buffer, maxBodyBytes: number, limits: { maxLabels: number; maxLabelValueBytes: number }): ReturnType<typeof mapWriteRequest> {
  const declared = snappyLength(compressed);
  if (declared === null) throw new BadWrite('body is not snappy-compressed (block format): no length preamble');
  if (declared > maxBodyBytes) throw new BodyError(413, `uncompressed body of ${declared} bytes is over the limit of ${maxBodyBytes} (limits.maxBodyBytes)`);
  let raw: Buffer;
  try {
    raw = snappy.uncompressSync(compressed, { asBuffer: true }) as Buffer;
  } catch (error) {
    throw new BadWrite(`body is not snappy-compressed (block format): ${(error as Error).message}`);
  }
  let request: WriteRequest;
  try {
    request = writeRequestType.decode(raw) as unknown as WriteRequest;
  } catch (error) {
    throw new BadWrite(`body is not a prometheus.WriteRequest: ${(error as Error).message}`);
  }
  return mapWriteRequest(request, limits);
}
