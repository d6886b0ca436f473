/**
 * A strict JSON reader for untrusted profiles. Unlike `JSON.parse` it keeps every number's exact text (syscall
 * argument values are unsigned 64-bit, past what a double holds), refuses nesting deeper than a fixed limit
 * without recursing, and reports errors by line and column.
 */

/** A JSON number, kept as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** Malformed JSON: the message names line and column. */
export class JsonSyntaxError extends Error {
  constructor(readonly line: number, readonly column: number, detail: string) {
    super(`line ${line}, column ${column}: ${detail}`);
    this.name = 'JsonSyntaxError';
  }
}

/** Deeper nesting than any profile needs; bounded so hostile input cannot exhaust memory or time. */
export const MAX_JSON_DEPTH = 64;

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

type Frame =
  | { kind: 'array'; items: JsonValue[] }
  | { kind: 'object'; obj: Record<string, JsonValue>; key: string | undefined };

/** Parses `text` as one JSON value. Throws `JsonSyntaxError`. */
export function parseJsonExact(text: string): JsonValue {
  let pos = 0;
  const fail = (detail: string, at = pos): never => {
    let line = 1;
    let col = 1;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text.charCodeAt(i) === 0x0a) { line++; col = 1; } else col++;
    }
    throw new JsonSyntaxError(line, col, detail);
  };
  const skipWs = (): void => {
    while (pos < text.length && WS.has(text.charCodeAt(pos))) pos++;
  };
  const describe = (): string => (pos >= text.length ? 'end of input' : JSON.stringify(text[pos]));

  const readString = (): string => {
    // pos is at the opening quote
    pos++;
    let out = '';
    let start = pos;
    for (;;) {
      if (pos >= text.length) fail('unterminated string');
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(start, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        out += text.slice(start, pos);
        const e = text[pos + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(pos + 2, pos + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            pos += 4;
            break;
          }
          default: fail('bad escape in string');
        }
        pos += 2;
        start = pos;
        continue;
      }
      pos++;
    }
  };

  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const readScalar = (): JsonValue => {
    const c = text[pos];
    if (c === '"') return readString();
    if (text.startsWith('true', pos)) { pos += 4; return true; }
    if (text.startsWith('false', pos)) { pos += 5; return false; }
    if (text.startsWith('null', pos)) { pos += 4; return null; }
    NUMBER.lastIndex = pos;
    const m = NUMBER.exec(text);
    if (m !== null && m[0] !== '-') {
      pos += m[0].length;
      return new JsonNumber(m[0]);
    }
    return fail(`unexpected ${describe()}`);
  };

  const stack: Frame[] = [];
  let result: JsonValue | undefined;
  let done = false;

  /** Hands a finished value to the enclosing container, or makes it the result. */
  const emit = (v: JsonValue): void => {
    const top = stack[stack.length - 1];
    if (top === undefined) { result = v; done = true; return; }
    if (top.kind === 'array') top.items.push(v);
    else {
      Object.defineProperty(top.obj, top.key as string, { value: v, enumerable: true, writable: true, configurable: true });
      top.key = undefined;
    }
  };

  const readValueStart = (): void => {
    skipWs();
    const c = text[pos];
    if (c === '[' || c === '{') {
      if (stack.length >= MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
      pos++;
      stack.push(c === '[' ? { kind: 'array', items: [] } : { kind: 'object', obj: Object.create(null) as Record<string, JsonValue>, key: undefined });
      skipWs();
      if (text[pos] === (c === '[' ? ']' : '}')) {
        pos++;
        const f = stack.pop() as Frame;
        emit(f.kind === 'array' ? f.items : f.obj);
        return;
      }
      if (c === '{') readKey();
      // Recursion here is bounded by MAX_JSON_DEPTH: every level opens a container.
      readValueStart();
      return;
    }
    emit(readScalar());
  };

  const readKey = (): void => {
    skipWs();
    if (text[pos] !== '"') fail(`expected a property name, found ${describe()}`);
    const key = readString();
    skipWs();
    if (text[pos] !== ':') fail(`expected ':', found ${describe()}`);
    pos++;
    (stack[stack.length - 1] as Extract<Frame, { kind: 'object' }>).key = key;
  };

  readValueStart();
  while (!done) {
    // After a value inside a container: ',' or the closing bracket.
    skipWs();
    const top = stack[stack.length - 1] as Frame;
    const close = top.kind === 'array' ? ']' : '}';
    const c = text[pos];
    if (c === ',') {
      pos++;
      if (top.kind === 'object') readKey();
      readValueStart();
    } else if (c === close) {
      pos++;
      stack.pop();
      emit(top.kind === 'array' ? top.items : top.obj);
    } else {
      fail(`expected ',' or '${close}', found ${describe()}`);
    }
  }
  skipWs();
  if (pos < text.length) fail(`unexpected ${describe()} after the end of the document`);
  return result as JsonValue;
}
