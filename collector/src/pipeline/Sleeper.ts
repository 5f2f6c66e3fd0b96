/**
 * Backoff sleeps that closing can cut short: a sender waiting out a retry
 * delay wakes at once when its owner closes, instead of holding shutdown up.
 */
export class Sleeper {
  private readonly sleeping = new Set<() => void>();

  /** Resolves after `ms`, or as soon as {@link wakeAll} is called. Does not keep the process alive. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleeping.add(wake);
    });
  }

  /** Ends every sleep now. */
  wakeAll(): void {
    for (const wake of this.sleeping) wake();
  }
}
