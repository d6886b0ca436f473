# Not a valid seccomp filter: every line breaks a rule, and two carry fields the kernel ignores.
  A = data16[12] {jt=3}
  A = data[X + 2]
  X = 4 * (data8[14] & 0xf)
  A %= 3
  A /= 0
  A <<= 32
  A = mem[16]
  A = mem[2]
  A = data[61]
  X = A {k=0xdead}
  .insn 0x00ff 0x01 0x02 0x00000003
  goto 4096
