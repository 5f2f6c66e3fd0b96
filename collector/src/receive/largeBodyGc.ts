import v8 from 'node:v8';
import vm from 'node:vm';

/** Bodies from this size on are followed by a full garbage collection. */
export const LARGE_BODY_BYTES = 4 * 1024 * 1024;

let gc: (() => void) | null = null;

/**
 * A 16 MiB body of tiny attributes decodes to millions of objects (~750 MB),
 * garbage as soon as the request is mapped. V8 would rather grow the heap than
 * collect them, so a few such requests in a row took the collector past
 * 1.5 GiB. Collecting right after mapping a large body keeps the peak to one
 * decoded request. Small bodies, the normal case, never pay for it.
 */
export function collectAfterLargeBody(bytes: number): void {
  if (bytes < LARGE_BODY_BYTES) return;
  if (gc === null) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
