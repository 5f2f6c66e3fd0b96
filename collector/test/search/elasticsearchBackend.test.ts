import { jaegerApiSuite } from '../api/suites/jaegerApiSuite.ts';
import { logsApiSuite } from '../api/suites/logsApiSuite.ts';
import { useOpenSearchNode } from '../support/openSearch.ts';
import { ElasticClientOnOpenSearchTransport } from '../support/elasticOnOpenSearch.ts';
import { startTestCollector } from '../support/testCollector.ts';

// The shared query-API suites on the Elasticsearch backend (the official
// @elastic/elasticsearch 8 client and every request it makes), against the
// real OpenSearch node: no Elasticsearch server can run on this machine, so
// only the client's product check and media types are switched off
// (support/elasticOnOpenSearch.ts). See the README for what stays untested.
const node = useOpenSearchNode();

let n = 0;
const start = () =>
  startTestCollector(['--storage-backend', 'elasticsearch', '--search-url', node().url, '--index-replicas', '0', '--index-prefix', `suite${++n}`], {
    elasticTransport: ElasticClientOnOpenSearchTransport,
  });
jaegerApiSuite(start);
logsApiSuite(start);
