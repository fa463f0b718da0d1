// What the daemon repeats of a request's URL, in a log line or a message: the path alone (a query
// string may carry anything), printable ASCII only (no line breaks or escape sequences into the
// log or a terminal), and at most PATH_LIMIT characters, whatever length the caller sent.

/** The most characters of a path the daemon logs or echoes. */
export const PATH_LIMIT = 120;

/** The path of `url` without its query, bounded and with anything but printable ASCII shown as '?'. */
export function boundedPath(url: string): string {
  return (url.split('?')[0] ?? '').slice(0, PATH_LIMIT).replace(/[^\x21-\x7e]/g, '?');
}
