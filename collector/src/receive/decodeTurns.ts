/**
 * Decoding a request body is one synchronous step (tens of ms for a large
 * one). Every receiver runs that step through here: one per pass of the event
 * loop, in arrival order, so under a burst the requests waiting on the loop
 * (health checks, queries) are served between two decodes rather than after
 * all of them.
 */
let last: Promise<void> = Promise.resolve();

/** Runs `step` in its own event-loop pass, after the steps taken before it. */
export function decodeTurn<T>(step: () => T): Promise<T> {
  const result = last.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(step);
  last = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}
