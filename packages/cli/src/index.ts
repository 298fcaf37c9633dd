/**
 * @module @kvs-ts/cli
 * The `kvs` command line (Node only) and the functions behind it, for use from scripts.
 */

export type { InspectReport, InspectTrack } from './inspect';
export { formatReport, inspect } from './inspect';
export type { TextSink } from './main';
export { main } from './main';
