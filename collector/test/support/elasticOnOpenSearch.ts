import { Transport } from '@elastic/elasticsearch';

/**
 * TEST ONLY: lets the Elasticsearch client talk to an OpenSearch node, since
 * no Elasticsearch 8/9 server can run on the test machine. OpenSearch answers
 * neither the client's product check (the `x-elastic-product` header) nor its
 * `compatible-with=8` media types; this transport turns both off and sends
 * plain JSON. Everything else the Elasticsearch backend sends is unchanged.
 */
export class ElasticClientOnOpenSearchTransport extends Transport {
  constructor(options: ConstructorParameters<typeof Transport>[0]) {
    super({
      ...options,
      productCheck: undefined,
      vendoredHeaders: { jsonContentType: 'application/json', ndjsonContentType: 'application/x-ndjson', accept: 'application/json, text/plain' },
    });
  }
}
