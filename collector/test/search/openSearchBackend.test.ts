import { afterAll, beforeAll } from 'vitest';
import { startOpenSearch, type RunningOpenSearch } from '../../../scripts/openSearchNode.ts';
import { jaegerApiSuite } from '../api/suites/jaegerApiSuite.ts';
import { logsApiSuite } from '../api/suites/logsApiSuite.ts';
import { startTestCollector } from '../support/testCollector.ts';

// The shared query-API suites on the OpenSearch backend, against a real OpenSearch 2 node.
let node: RunningOpenSearch;
beforeAll(async () => {
  node = await startOpenSearch();
}, 180_000);
afterAll(async () => {
  await node.stop();
});

let n = 0;
const start = () => startTestCollector(['--storage-backend', 'opensearch', '--search-url', node.url, '--index-replicas', '0', '--index-prefix', `suite${++n}`]);
jaegerApiSuite(start);
logsApiSuite(start);
