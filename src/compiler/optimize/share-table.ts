/**
 * The instructions kept so far by shared tails, found by what they do (opcode and constant) and where they
 * continue (one or two node ids). Open addressing over typed arrays, kept from one use to the next: a string
 * key per instruction was most of that pass's time on a small program, and fresh typed arrays a good part of
 * the rest.
 */
export class ShareTable {
  /** 1 + entry index, 0 when empty. */
  private slots = new Int32Array(0);
  private mask = 0;
  private codes = new Int32Array(0);
  private ks = new Uint32Array(0);
  private as = new Int32Array(0);
  private bs = new Int32Array(0);
  private ids = new Int32Array(0);
  private count = 0;

  /** Empties the table and makes room for `capacity` entries. */
  reset(capacity: number): void {
    let size = 16;
    while (size < 2 * capacity) size *= 2;
    if (this.slots.length < size) this.slots = new Int32Array(size);
    else this.slots.fill(0, 0, size);
    this.mask = size - 1;
    if (this.codes.length < capacity) {
      const room = Math.max(capacity, 2 * this.codes.length);
      this.codes = new Int32Array(room);
      this.ks = new Uint32Array(room);
      this.as = new Int32Array(room);
      this.bs = new Int32Array(room);
      this.ids = new Int32Array(room);
    }
    this.count = 0;
  }

  /**
   * The id registered under (code, k, a, b), or -1 after registering `id` under it. `k` is a 32-bit unsigned
   * constant; `a` and `b` are node ids or -1.
   */
  findOrAdd(code: number, k: number, a: number, b: number, id: number): number {
    let h = Math.imul(k ^ Math.imul(code, 0x9e3779b1), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15) ^ a, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 13) ^ b, 0x27d4eb2f);
    h ^= h >>> 16;
    const { slots, mask } = this;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = (slots[s] as number) - 1;
      if (e < 0) {
        const n = this.count++;
        this.codes[n] = code;
        this.ks[n] = k;
        this.as[n] = a;
        this.bs[n] = b;
        this.ids[n] = id;
        slots[s] = n + 1;
        return -1;
      }
      if (this.codes[e] === code && this.ks[e] === k && this.as[e] === a && this.bs[e] === b) return this.ids[e] as number;
    }
  }
}
