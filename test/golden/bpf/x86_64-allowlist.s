# An x86_64 allow-list in the shape libseccomp emits: arch check, x32 guard, syscall list, default action.
  A = arch
  if (A != ARCH_X86_64) goto kill
  A = sys_number
  if (A >= 0x40000000) goto kill
  if (A == read) goto allow
  if (A == write) goto allow
  if (A == exit_group) goto allow
  if (A == getcwd) goto deny
  if (A == openat) goto check_flags
  return ERRNO(ENOSYS)
check_flags:
  A = args[2] >> 32
  if (A != 0) goto deny
  A = args[2]
  if (A & 0x3) goto deny
allow:
  return ALLOW
deny:
  return ERRNO(EPERM)
kill:
  return KILL_PROCESS
