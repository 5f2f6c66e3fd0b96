import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatchWriter, QueueFullError, type BatchWriterObserver } from '../../src/pipeline/BatchWriter.ts';

const quiet: BatchWriterObserver = { queued: () => {}, written: () => {}, failed: () => {} };

/** A store write that records its batches and finishes when told to. */
function controlledWrite() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const write = (items: readonly number[]) => {
    batches.push([...items]);
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  return { batches, write, finishNext: () => pending.shift()?.() };
}

describe('BatchWriter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gathers items from several submits into one write after the delay', async () => {
    const w = controlledWrite();
    const writer = new BatchWriter(w.write, { maxBatchItems: 100, maxDelayMs: 20, maxQueuedItems: 1000 }, quiet);
    const a = writer.submit([1, 2]);
    const b = writer.submit([3]);
    expect(w.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(w.batches).toEqual([[1, 2, 3]]);
    w.finishNext();
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
  });

  it('with no delay, writes on the next turn of the event loop what arrived in this one', async () => {
    const w = controlledWrite();
    const writer = new BatchWriter(w.write, { maxBatchItems: 100, maxDelayMs: 0, maxQueuedItems: 1000 }, quiet);
    void writer.submit([1]);
    void writer.submit([2]);
    expect(w.batches).toEqual([]);
    await vi.runOnlyPendingTimersAsync();
    expect(w.batches).toEqual([[1, 2]]);
  });

  it('writes at once when a batch is full, without waiting for the delay', () => {
    const w = controlledWrite();
    const writer = new BatchWriter(w.write, { maxBatchItems: 3, maxDelayMs: 1000, maxQueuedItems: 1000 }, quiet);
    void writer.submit([1, 2, 3]);
    expect(w.batches).toEqual([[1, 2, 3]]);
  });

  it('settles a submit only when the write holding its items is done', async () => {
    const w = controlledWrite();
    const writer = new BatchWriter(w.write, { maxBatchItems: 1, maxDelayMs: 5, maxQueuedItems: 1000 }, quiet);
    let settled = false;
    void writer.submit([1]).then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(50);
    expect(settled).toBe(false);
    w.finishNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
  });

  it('runs one write at a time and writes what queued meanwhile right after', async () => {
    const w = controlledWrite();
    const writer = new BatchWriter(w.write, { maxBatchItems: 2, maxDelayMs: 5, maxQueuedItems: 1000 }, quiet);
    void writer.submit([1, 2]);
    void writer.submit([3]);
    void writer.submit([4]);
    expect(w.batches).toEqual([[1, 2]]);
    w.finishNext();
    await vi.advanceTimersByTimeAsync(0);
    expect(w.batches).toEqual([[1, 2], [3, 4]]);
  });

  it('refuses with QueueFullError past the queue bound and keeps what it had', async () => {
    const w = controlledWrite();
    const writer = new BatchWriter(w.write, { maxBatchItems: 10, maxDelayMs: 5, maxQueuedItems: 4 }, quiet);
    const kept = writer.submit([1, 2, 3]);
    await expect(writer.submit([4, 5])).rejects.toBeInstanceOf(QueueFullError);
    expect(writer.depth).toBe(3);
    await vi.advanceTimersByTimeAsync(5);
    w.finishNext();
    await kept;
    expect(w.batches).toEqual([[1, 2, 3]]);
    expect(writer.depth).toBe(0);
  });

  it('rejects the submits of a failed write and reports the failure', async () => {
    const failed: number[] = [];
    const writer = new BatchWriter(() => Promise.reject(new Error('disk full')), { maxBatchItems: 10, maxDelayMs: 5, maxQueuedItems: 100 }, { ...quiet, failed: (n) => failed.push(n) });
    const p = writer.submit([1, 2]);
    const settled = expect(p).rejects.toThrow('disk full');
    await vi.advanceTimersByTimeAsync(5);
    await settled;
    expect(failed).toEqual([2]);
  });

  it('writes everything queued on close and refuses new items after', async () => {
    const batches: number[][] = [];
    const writer = new BatchWriter(async (items: readonly number[]) => void batches.push([...items]), { maxBatchItems: 2, maxDelayMs: 10_000, maxQueuedItems: 100 }, quiet);
    void writer.submit([1]);
    void writer.submit([2]);
    void writer.submit([3]);
    await writer.close();
    expect(batches.flat()).toEqual([1, 2, 3]);
    await expect(writer.submit([4])).rejects.toBeInstanceOf(QueueFullError);
  });
});
