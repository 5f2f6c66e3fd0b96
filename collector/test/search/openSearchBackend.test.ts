import { jaegerApiSuite } from '../api/suites/jaegerApiSuite.ts';
import { logsApiSuite } from '../api/suites/logsApiSuite.ts';
import { useOpenSearchNode } from '../support/openSearch.ts';
import { startTestCollector } from '../support/testCollector.ts';

// The shared query-API suites on the OpenSearch backend, against a real OpenSearch 2 node.
const node = useOpenSearchNode();

let n = 0;
const start = () => startTestCollector(['--storage-backend', 'opensearch', '--search-url', node().url, '--index-replicas', '0', '--index-prefix', `suite${++n}`]);
jaegerApiSuite(start);
logsApiSuite(start);
