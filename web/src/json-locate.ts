/**
 * Where things are in a JSON text: the offset of every value by its JSON path (written as the library writes
 * paths: `syscalls[12].args[0].op`), and the place of a syntax error. The library's errors name paths; the
 * editor needs offsets to mark them.
 */

/** A JSON text that does not parse: the offset of the first fault and what is wrong there. */
export class JsonLocateError extends Error {
  constructor(readonly offset: number, detail: string) {
    super(detail);
    this.name = 'JsonLocateError';
  }
}

/** Offsets of every value in a JSON text, keyed by path (the root is `''`). Throws `JsonLocateError`. */
export function jsonOffsets(text: string): Map<string, { start: number; end: number }> {
  const places = new Map<string, { start: number; end: number }>();
  let pos = 0;
  const ws = (): void => {
    while (pos < text.length && ' \t\r\n\uFEFF'.includes(text[pos] as string)) pos++;
  };
  const what = (): string => (pos >= text.length ? 'end of input' : JSON.stringify(text[pos]));
  const fail = (detail: string): never => {
    throw new JsonLocateError(pos, detail);
  };
  const string = (): string => {
    const start = pos;
    pos++;
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\\') pos++;
      else if (text.charCodeAt(pos) < 0x20) fail('control character in a string');
      pos++;
    }
    if (pos >= text.length) {
      pos = start;
      fail('unterminated string');
    }
    pos++;
    try {
      return JSON.parse(text.slice(start, pos)) as string;
    } catch {
      pos = start;
      return fail('bad escape in a string');
    }
  };
  // An explicit stack, not recursion: hostile nesting must not exhaust the call stack.
  type Frame = { kind: 'object' | 'array'; path: string; index: number };
  const stack: Frame[] = [];
  const child = (frame: Frame | undefined, key: string | number): string => {
    if (frame === undefined) return '';
    if (typeof key === 'number') return `${frame.path}[${key}]`;
    return frame.path === '' ? key : `${frame.path}.${key}`;
  };
  let path = '';
  let valueStart = 0;
  const closeValue = (): void => {
    const existing = places.get(path);
    if (existing !== undefined) existing.end = pos;
  };
  // Reads one value at pos (objects and arrays only opened here); returns true when a container was opened.
  const value = (): boolean => {
    ws();
    valueStart = pos;
    places.set(path, { start: valueStart, end: valueStart });
    const c = text[pos];
    if (c === '{' || c === '[') {
      stack.push({ kind: c === '{' ? 'object' : 'array', path, index: 0 });
      pos++;
      return true;
    }
    if (c === '"') string();
    else if (c !== undefined && /[-0-9]/.test(c)) {
      const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(pos, pos + 400));
      if (m === null) fail(`unexpected ${what()}`);
      pos += (m as RegExpExecArray)[0].length;
    } else {
      const word = ['true', 'false', 'null'].find((w) => text.startsWith(w, pos));
      if (word === undefined) fail(`unexpected ${what()}`);
      pos += (word as string).length;
    }
    closeValue();
    return false;
  };
  const member = (frame: Frame): void => {
    ws();
    if (text[pos] !== '"') fail(`expected a property name in double quotes, found ${what()}`);
    const key = string();
    ws();
    if (text[pos] !== ':') fail(`expected ':' after a property name, found ${what()}`);
    pos++;
    path = child(frame, key);
  };
  // Reads after an opened container or a finished value, until a new value must be read (true) or the text ends.
  const next = (): boolean => {
    for (;;) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) return false;
      ws();
      const c = text[pos];
      const closer = frame.kind === 'object' ? '}' : ']';
      if (c === closer) {
        pos++;
        stack.pop();
        path = frame.path;
        closeValue();
        continue;
      }
      if (frame.index > 0) {
        if (c !== ',') fail(`expected ',' or '${closer}', found ${what()}`);
        pos++;
      }
      if (frame.kind === 'object') member(frame);
      else path = child(frame, frame.index);
      frame.index++;
      return true;
    }
  };
  path = '';
  value();
  while (next()) value();
  ws();
  if (pos < text.length) fail(`unexpected ${what()} after the end of the JSON value`);
  return places;
}

/** 1-based line and column of an offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Offset of the start of a 1-based line and column. */
export function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + Math.max(0, column - 1));
}

/**
 * The place of PATH in the text, or of its nearest ancestor that exists (a missing member is reported at its
 * object). Paths of a profile read from inside a document (a config.json's `linux.seccomp`, a SeccompProfile's
 * `spec`) are tried under those prefixes too.
 */
export function locatePath(places: Map<string, { start: number; end: number }>, path: string): { start: number; end: number } | undefined {
  const prefixes = ['', 'linux.seccomp', 'spec'].filter((p) => p === '' || places.has(p));
  const join = (prefix: string, p: string): string => (prefix === '' ? p : p === '' ? prefix : p.startsWith('[') ? `${prefix}${p}` : `${prefix}.${p}`);
  let p = path;
  for (;;) {
    for (const prefix of prefixes) {
      const found = places.get(join(prefix, p));
      if (found !== undefined) return found;
    }
    if (p === '') return undefined;
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut < 0 ? '' : p.slice(0, cut);
  }
}
