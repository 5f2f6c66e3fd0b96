import { startTestCollector } from '../support/testCollector.ts';
import { jaegerApiSuite } from './suites/jaegerApiSuite.ts';

// The embedded DuckDB store; test/search runs the same suite on OpenSearch.
jaegerApiSuite(() => startTestCollector());
