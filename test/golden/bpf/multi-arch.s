# Two ABIs: the same syscall number means different calls, named through the arch checked on each path.
  A = arch
  if (A == ARCH_X86_64) goto x86_64
  if (A == ARCH_I386) goto i386
  return KILL_PROCESS
x86_64:
  A = sys_number
  if (A == 11) goto allow           # munmap on x86_64
  if (A == x32:read) goto log       # an x32 call: the x32 bit is set
  if (A == 59) goto trap            # execve
  goto join
i386:
  A = sys_number
  if (A == 11) goto trap            # execve on i386
  if (A == 3) goto allow            # read
join:
  A = sys_number
  if (A == 4) goto allow            # x86_64 stat or i386 write: the arch is no longer known here
  return ERRNO(EACCES)
trap:
  return TRAP(7)
log:
  return LOG
allow:
  return ALLOW
