/**
 * The page's whole state in the URL fragment: `#s=` and the state as JSON, compressed with deflate-raw and
 * written in base64url, so a link carries the inputs and options and nothing is sent anywhere. `#profile:NAME`
 * (the CLI's syntax) opens a built-in profile.
 */

/** What a link restores. */
export interface PlaygroundState {
  /** Input A (the editor) and input B (the diff's other side). */
  readonly a: string;
  readonly b: string;
  readonly tune: readonly string[];
  readonly optimize: boolean;
  readonly emulate: { readonly abi: string; readonly syscall: string; readonly args: readonly string[] };
  readonly tab: string;
  /** The filter read from a Firecracker file holding several ('' for the first). */
  readonly firecrackerFilter: string;
  /** The machine profiles are resolved for, as Docker names it (`amd64`, `arm64`, …). */
  readonly target: string;
}

export const STATE_PREFIX = '#s=';
export const PROFILE_PREFIX = '#profile:';

async function pipe(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const out = new Response(new Blob([bytes as BlobPart]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The fragment for STATE (with its `#s=`). */
export async function encodeState(state: PlaygroundState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return `${STATE_PREFIX}${base64url(await pipe(json, new CompressionStream('deflate-raw')))}`;
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** The state a `#s=` fragment holds; throws with a one-line reason when it is damaged. */
export async function decodeState(fragment: string): Promise<PlaygroundState> {
  let value: unknown;
  try {
    const bytes = await pipe(fromBase64url(fragment.slice(STATE_PREFIX.length)), new DecompressionStream('deflate-raw'));
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('the link is damaged (its #s= part does not decompress to the page state)');
  }
  const v = value as Partial<Record<keyof PlaygroundState, unknown>>;
  const emu = (typeof v.emulate === 'object' && v.emulate !== null ? v.emulate : {}) as Record<string, unknown>;
  if (typeof v.a !== 'string') throw new Error('the link is damaged (it holds no input)');
  return {
    a: v.a,
    b: typeof v.b === 'string' ? v.b : '',
    tune: isStrings(v.tune) ? v.tune : [],
    optimize: v.optimize !== false,
    emulate: {
      abi: typeof emu.abi === 'string' ? emu.abi : 'x86_64',
      syscall: typeof emu.syscall === 'string' ? emu.syscall : '',
      args: isStrings(emu.args) ? emu.args.slice(0, 6) : [],
    },
    tab: typeof v.tab === 'string' ? v.tab : 'filter',
    firecrackerFilter: typeof v.firecrackerFilter === 'string' ? v.firecrackerFilter : '',
    target: typeof v.target === 'string' ? v.target : 'amd64',
  };
}
