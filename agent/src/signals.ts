/** The signals after which the agent flushes what it holds. */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Flushes on SIGTERM and SIGINT without changing how the application exits.
 * When the application has handlers of its own, they run as before and decide
 * when to exit (the flush runs beside them; `agent.shutdown()` in their
 * handler waits for it). When the agent's is the only handler, it re-raises
 * the signal after flushing, so the process ends as it would have without
 * the agent: by that signal, with the same exit status.
 */
export function flushOnSignals(flush: () => Promise<void>): void {
  for (const signal of SIGNALS) {
    const handler = () => {
      const appHandlers = process.listeners(signal).filter((l) => l !== handler);
      const flushing = flush();
      if (appHandlers.length > 0) return;
      void flushing.finally(() => {
        process.removeListener(signal, handler);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, handler);
  }
}
