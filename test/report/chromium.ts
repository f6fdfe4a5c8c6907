// Opens a page in Debian's chromium, headless, and drives it over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in NUL on file descriptors 3 and 4), with no dependency: what the
// page printed on its console, the exceptions it threw, every request it made, and the value of an expression
// evaluated once it has loaded.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { makeTempDir, removeTempDir } from '../../src/util/temp-dirs.js';

/** The names chromium's executable goes by (Debian: chromium). */
const BROWSER_NAMES = ['chromium', 'chromium-browser', 'google-chrome'];
/** How long a page may take from the browser's start to its value. */
const PAGE_TIMEOUT_MS = 60_000;

/** The path of chromium where one is installed on PATH, else undefined. */
export function findChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of BROWSER_NAMES) {
      if (dir && existsSync(join(dir, name))) return join(dir, name);
    }
  }
  return undefined;
}

/** What a page did in the browser. */
export interface PageVisit {
  /** The value of the expression, evaluated after the load event. */
  value: unknown;
  /** Console messages of type error or warning, and log entries of level error ("error: text"). */
  problems: string[];
  /** Uncaught exceptions. */
  exceptions: string[];
  /** Every URL the page requested (the page's own included). */
  requests: string[];
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, any>;
  result?: Record<string, any>;
  error?: { message: string };
  sessionId?: string;
}

/** Load `url` in headless chromium (`browser`), evaluate `expression` there and close the browser. */
export async function visitPage(browser: string, url: string, expression: string): Promise<PageVisit> {
  const profile = await makeTempDir('eennc-chromium-');
  // The sandbox needs user namespaces, which a container running as root lacks; the page is a local file.
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    'about:blank',
  ];
  // Its own temporary files (shared memory, crash reports) go in the profile folder, removed with it.
  const env = { ...process.env, TMPDIR: profile, HOME: profile };
  const child = spawn(browser, args, { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const visit: PageVisit = { value: undefined, problems: [], exceptions: [], requests: [] };
  const pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  const waiters: { method: string; resolve: () => void }[] = [];
  let nextId = 1;
  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let end: number;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined) {
        const call = pending.get(message.id);
        pending.delete(message.id);
        if (message.error) call?.reject(new Error(message.error.message));
        else call?.resolve(message);
      } else if (message.method) {
        record(visit, message);
        for (const waiter of waiters.filter((w) => w.method === message.method)) waiter.resolve();
      }
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Message> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  const event = (method: string): Promise<void> => new Promise((resolve) => waiters.push({ method, resolve }));
  const exited = new Promise<never>((_, reject) =>
    child.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${stderr.slice(-2000)}`))),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`chromium did not load ${url} in ${PAGE_TIMEOUT_MS} ms`)), PAGE_TIMEOUT_MS);
  });
  const drive = async (): Promise<PageVisit> => {
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })).result!;
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })).result!;
    for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`, {}, sessionId);
    const loaded = event('Page.loadEventFired');
    await send('Page.navigate', { url }, sessionId);
    await loaded;
    const evaluated = await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId);
    if (evaluated.result!.exceptionDetails) throw new Error(`the expression threw: ${JSON.stringify(evaluated.result!.exceptionDetails)}`);
    visit.value = evaluated.result!.result.value;
    return visit;
  };
  try {
    return await Promise.race([drive(), exited, timeout]);
  } finally {
    clearTimeout(timer);
    child.kill();
    await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    await removeTempDir(profile);
  }
}

/** Keep what a page event says about the page's health and its requests. */
function record(visit: PageVisit, message: Message): void {
  const params = message.params ?? {};
  if (message.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(params.type)) {
    visit.problems.push(
      `${params.type}: ${(params.args ?? []).map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`,
    );
  } else if (message.method === 'Log.entryAdded' && params.entry?.level === 'error') {
    visit.problems.push(`error: ${params.entry.text}`);
  } else if (message.method === 'Runtime.exceptionThrown') {
    visit.exceptions.push(params.exceptionDetails?.exception?.description ?? params.exceptionDetails?.text ?? 'exception');
  } else if (message.method === 'Network.requestWillBeSent') {
    visit.requests.push(params.request?.url);
  }
}
