// The version of eennc: the one in package.json, read once (the same relative path from src/cli and from dist/cli).

import { readFileSync } from 'node:fs';

export function eenncVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('internal: package.json has no version');
  return pkg.version;
}
