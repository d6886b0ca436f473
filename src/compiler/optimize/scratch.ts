/**
 * Typed arrays kept from one optimizer pass to the next. A fresh typed array costs the better part of a
 * microsecond (its own ArrayBuffer), about as much as a pass spends on a small program's nodes, and a compile
 * runs the passes four or five times: each pass borrows its arrays here instead. A buffer has one borrower,
 * is valid until that borrower asks again, and holds whatever it last left in it.
 */
export class Scratch<T extends Int32Array | Uint32Array | Uint8Array> {
  private buffer: T | undefined;

  constructor(private readonly make: (length: number) => T) {}

  /** A buffer of at least `length` elements, not cleared. */
  get(length: number): T {
    if (this.buffer === undefined || this.buffer.length < length) this.buffer = this.make(Math.max(length, 256));
    return this.buffer;
  }
}

export const int32Scratch = (): Scratch<Int32Array> => new Scratch((n) => new Int32Array(n));
export const uint8Scratch = (): Scratch<Uint8Array> => new Scratch((n) => new Uint8Array(n));
