// Progress on stderr, only when stderr is a terminal: stdout carries results and nothing else.

export interface ProgressLine {
  update(text: string): void;
  done(): void;
}

export function progressLine(enabled = process.stderr.isTTY === true): ProgressLine {
  if (!enabled) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(text: string) {
      const now = Date.now();
      if (now - last < 100) return; // a redraw per 100 ms is plenty for the eye and costs nothing
      last = now;
      shown = true;
      const width = process.stderr.columns ?? 80;
      process.stderr.write(`\r\x1b[K${text.slice(0, width - 1)}`);
    },
    done() {
      if (shown) process.stderr.write('\r\x1b[K');
    },
  };
}
