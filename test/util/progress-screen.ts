// What a terminal shows after some output: carriage returns, erase to the end of the line (ANSI EL) and newlines
// played back, colours left out. For the progress tests (test/util/progress-terminal.test.ts, progress-tty.test.ts).

/** The lines on the screen, the cursor's line last (empty when the cursor is on a fresh line). */
export function screenOf(output: string): string[] {
  const lines = [''];
  let column = 0;
  const tokens = output.match(/\x1b\[[0-9;]*[A-Za-z]|[\s\S]/g) ?? [];
  for (const token of tokens) {
    const row = lines.length - 1;
    if (token === '\r') column = 0;
    else if (token === '\n') {
      lines.push('');
      column = 0;
    } else if (token === '\x1b[K') lines[row] = lines[row]!.slice(0, column);
    else if (token.startsWith('\x1b['))
      continue; // a colour
    else {
      lines[row] = lines[row]!.slice(0, column).padEnd(column) + token + lines[row]!.slice(column + 1);
      column++;
    }
  }
  return lines;
}
