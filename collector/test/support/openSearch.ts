import { afterAll, beforeAll } from 'vitest';
import { startOpenSearch, type RunningOpenSearch } from '../../../scripts/openSearchNode.ts';

/**
 * A real OpenSearch node for the tests of one file: started before them on
 * free loopback ports, stopped after. Call at the top of the file; the
 * returned function gives the running node.
 */
export function useOpenSearchNode(): () => RunningOpenSearch {
  let node: RunningOpenSearch | undefined;
  beforeAll(async () => {
    node = await startOpenSearch();
  }, 180_000);
  afterAll(async () => {
    await node?.stop();
  });
  return () => {
    if (node === undefined) throw new Error('the OpenSearch node is not started yet');
    return node;
  };
}
