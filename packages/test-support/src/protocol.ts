// The one custom Vitest browser command through which Chromium tests reach the file system.
// The browser sends (op, root, name); the Vitest server (Node) answers with JSON-safe values.
import type { Root } from './local';

/** Name under which vitest.browser.config.ts registers the command. */
export const COMMAND = 'kvsTestSupport';

/** What the browser can ask for. */
export type Op = 'dir' | 'read' | 'list';

/** Command signature: `read` answers base64 (or null), `list` a name array, `dir` a path (or null). */
export type CommandFn = (op: Op, root: Root, name: string) => Promise<string | string[] | null>;
