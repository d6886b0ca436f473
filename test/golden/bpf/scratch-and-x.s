# Scratch memory, the X register, ALU and a return of A.
  A = sys_number
  mem[0] = A
  A = instruction_pointer >> 32
  X = A
  A = instruction_pointer
  A &= 0xfffff000
  mem[1] = A
  A = X
  if (A > 0x7fff) goto user
  A = mem[1]
  A += 0x10
  A >>= 4
  A ^= X
  A = -A
  X = len
  if (A >= X) goto user else goto odd
user:
  A = mem[0]
  if (!(A & 0x1)) goto odd
  A = 0x50000
  A |= 13
  return A
odd:
  return TRACE(42)
