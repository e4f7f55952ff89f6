// A small box-drawing table for terminals: columns get a maximum width, cells wrap on spaces and
// commas (long words are cut), and colour is applied after padding so widths stay exact.

export interface Column {
  header: string;
  /** Cells wrap beyond this many characters. */
  maxWidth: number;
}

/** Wraps colour codes around an already padded cell; gets the cell's raw (unpadded) text. */
export type CellStyle = (padded: string, raw: string) => string;

export interface TableRow {
  cells: string[];
  /** Optional per-column styles. */
  styles?: (CellStyle | undefined)[];
  /** Draw a separator line above this row (a new group starts). */
  separatorBefore?: boolean;
}

/** Code points, not UTF-16 units, so that one emoji or accented letter counts once. */
function width(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Splits text into lines of at most `max` characters, preferring breaks after spaces and commas. */
export function wrapText(text: string, max: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    const words = paragraph.split(/(?<=[ ,])/).filter((w) => w.length > 0);
    let line = '';
    for (let word of words) {
      while (width(word) > max) {
        if (line.trimEnd()) {
          lines.push(line.trimEnd());
          line = '';
        }
        const chars = [...word];
        lines.push(chars.slice(0, max).join(''));
        word = chars.slice(max).join('');
      }
      if (width(line) + width(word.trimEnd()) > max && line.trimEnd()) {
        lines.push(line.trimEnd());
        line = word.trimStart();
      } else {
        line += word;
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

export function renderTable(columns: Column[], rows: TableRow[]): string {
  const widths = columns.map((c, i) => {
    let w = width(c.header);
    for (const r of rows) {
      for (const line of (r.cells[i] ?? '').split('\n')) w = Math.max(w, width(line));
    }
    return Math.max(1, Math.min(w, c.maxWidth));
  });
  const border = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const out: string[] = [border('┌', '┬', '┐')];
  const pushRow = (cells: string[], styles?: (CellStyle | undefined)[]) => {
    const wrapped = cells.map((c, i) => wrapText(c, widths[i] ?? 1));
    const height = Math.max(...wrapped.map((w) => w.length));
    for (let line = 0; line < height; line++) {
      const parts = wrapped.map((w, i) => {
        const raw = w[line] ?? '';
        const padded = raw + ' '.repeat((widths[i] ?? 0) - width(raw));
        const style = styles?.[i];
        return style && raw ? style(padded, raw) : padded;
      });
      out.push(`│ ${parts.join(' │ ')} │`);
    }
  };
  pushRow(columns.map((c) => c.header));
  out.push(border('├', '┼', '┤'));
  rows.forEach((r, i) => {
    if (r.separatorBefore && i > 0) out.push(border('├', '┼', '┤'));
    pushRow(r.cells, r.styles);
  });
  out.push(border('└', '┴', '┘'));
  return out.join('\n');
}
