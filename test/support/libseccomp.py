"""
Builds a seccomp filter from a Docker/OCI profile with libseccomp, the way Docker and runc do, and prints the
BPF libseccomp exports. The differential tests compare seccomp-ts against this program.

Input (a JSON file named on the command line):
  {"profile": <profile object>, "target": "amd64", "caps": [...], "kernel": "6.1" | null}
Output (stdout, JSON):
  {"bpf": "<hex of struct sock_filter[]>", "unknown": [names libseccomp cannot resolve], "optimize": 0|2,
   "unresolved": {"SCMP_ARCH_X32": [names without a number on that ABI], ...}}
  or {"error": "..."} when runc would refuse the profile.

Pipeline reproduced:
  Docker (profiles/seccomp): includes/excludes by Go arch, capabilities and kernel version; archMap entries of
    the target's native architecture; `name` as a one-element `names`.
  runc (libcontainer/specconv + seccomp): one rule per name; SCMP_ACT_KILL is KILL_THREAD; errnoRet (default
    EPERM) for ERRNO and TRACE; a rule whose action equals the default is skipped; names libseccomp cannot
    resolve are skipped; conditions that test one argument twice become one rule each; the binary-tree
    optimisation when there are more than 32 per-name rules; seccomp_rule_add (not _exact).
Runs only under /usr/bin/python3 (where Debian installs the bindings).
"""
import json
import sys

import seccomp as S

GO_ARCH_NATIVE = {
    "amd64": "SCMP_ARCH_X86_64", "386": "SCMP_ARCH_X86", "arm64": "SCMP_ARCH_AARCH64", "arm": "SCMP_ARCH_ARM",
    "ppc64le": "SCMP_ARCH_PPC64LE", "ppc64": "SCMP_ARCH_PPC64", "s390x": "SCMP_ARCH_S390X", "riscv64": "SCMP_ARCH_RISCV64",
    "mips64": "SCMP_ARCH_MIPS64", "mips64le": "SCMP_ARCH_MIPSEL64", "mips": "SCMP_ARCH_MIPS", "mipsle": "SCMP_ARCH_MIPSEL",
}
# The ABIs a kernel of each machine runs; libseccomp 2.5.4 knows each of these.
RUNS = {
    "amd64": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "386": ["SCMP_ARCH_X86"],
    "arm64": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"], "arm": ["SCMP_ARCH_ARM"], "ppc64le": ["SCMP_ARCH_PPC64LE"],
    "ppc64": ["SCMP_ARCH_PPC64", "SCMP_ARCH_PPC"], "s390x": ["SCMP_ARCH_S390X", "SCMP_ARCH_S390"],
    "riscv64": ["SCMP_ARCH_RISCV64"], "mips64": ["SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPS"],
    "mips64le": ["SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_MIPSEL"],
    "mips": ["SCMP_ARCH_MIPS"], "mipsle": ["SCMP_ARCH_MIPSEL"],
}
ARCHES = {"SCMP_ARCH_" + n: getattr(S.Arch, n) for n in (
    "X86", "X86_64", "X32", "ARM", "AARCH64", "MIPS", "MIPSEL", "MIPS64", "MIPSEL64", "MIPS64N32", "MIPSEL64N32",
    "PPC", "PPC64", "PPC64LE", "S390", "S390X", "PARISC", "PARISC64", "RISCV64")}
OPS = {
    "SCMP_CMP_NE": S.NE, "SCMP_CMP_LT": S.LT, "SCMP_CMP_LE": S.LE, "SCMP_CMP_EQ": S.EQ,
    "SCMP_CMP_GE": S.GE, "SCMP_CMP_GT": S.GT, "SCMP_CMP_MASKED_EQ": S.MASKED_EQ,
}
EPERM = 1


def action(name, errno_ret):
    if name in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD"):
        return S.KILL
    if name == "SCMP_ACT_KILL_PROCESS":
        return S.KILL_PROCESS
    if name == "SCMP_ACT_TRAP":
        return S.TRAP
    if name == "SCMP_ACT_ERRNO":
        return S.ERRNO(EPERM if errno_ret is None else errno_ret)
    if name == "SCMP_ACT_TRACE":
        return S.TRACE(EPERM if errno_ret is None else errno_ret)
    if name == "SCMP_ACT_LOG":
        return S.LOG
    if name == "SCMP_ACT_NOTIFY":
        return S.NOTIFY
    if name == "SCMP_ACT_ALLOW":
        return S.ALLOW
    raise ValueError("unknown action " + name)


def kernel_at_least(have, want):
    h = [int(x) for x in have.split(".")[:2]]
    w = [int(x) for x in want.split(".")[:2]]
    return h >= w


def docker_resolve(profile, go_arch, caps, kernel):
    """The OCI LinuxSeccomp Docker hands to runc (an OCI config.json: its linux.seccomp as is)."""
    if "defaultAction" not in profile and "linux" in profile:
        profile = profile["linux"]["seccomp"]
    native = GO_ARCH_NATIVE[go_arch]
    arches = list(profile.get("architectures") or [])
    for m in profile.get("archMap") or []:
        if m["architecture"] == native:
            arches.append(m["architecture"])
            arches.extend(m.get("subArchitectures") or [])
    syscalls = []
    for call in profile.get("syscalls") or []:
        names = list(call.get("names") or [])
        if call.get("name"):
            names.append(call["name"])
        inc = call.get("includes") or {}
        exc = call.get("excludes") or {}
        if go_arch in (exc.get("arches") or []):
            continue
        if any(c in caps for c in (exc.get("caps") or [])):
            continue
        if exc.get("minKernel") and (kernel is None or kernel_at_least(kernel, exc["minKernel"])):
            continue
        if inc.get("arches") and go_arch not in inc["arches"]:
            continue
        if any(c not in caps for c in (inc.get("caps") or [])):
            continue
        if inc.get("minKernel") and kernel is not None and not kernel_at_least(kernel, inc["minKernel"]):
            continue
        syscalls.append({"names": names, "action": call["action"], "errnoRet": call.get("errnoRet"),
                         "args": call.get("args") or []})
    return {"defaultAction": profile["defaultAction"], "defaultErrnoRet": profile.get("defaultErrnoRet"),
            "architectures": arches, "syscalls": syscalls}


def build(oci, target):
    default = action(oci["defaultAction"], oci["defaultErrnoRet"])
    f = S.SyscallFilter(default)
    native = GO_ARCH_NATIVE[target]
    # runc's libseccomp has the machine's own ABI as native; here the host's (x86_64) is swapped for it.
    # (removed first: libseccomp refuses to mix byte orders in one filter).
    if native != "SCMP_ARCH_X86_64":
        f.remove_arch(S.Arch.NATIVE)
        f.add_arch(ARCHES[native])
    for a in oci["architectures"]:
        if a not in RUNS[target]:
            continue  # a foreign ABI: its block cannot be reached on this machine, and the comparison covers its ABIs
        if not f.exist_arch(ARCHES[a]):
            f.add_arch(ARCHES[a])
    per_name = [(call, name) for call in oci["syscalls"] for name in call["names"]]
    optimize = 0
    if len(per_name) > 32:
        f.set_attr(S.Attr.CTL_OPTIMIZE, 2)
        optimize = 2
    unknown = []
    for call, name in per_name:
        act = action(call["action"], call.get("errnoRet"))
        if act == default:
            continue
        nr = S.resolve_syscall(S.Arch.NATIVE, name)
        if nr == -1:
            if name not in unknown:
                unknown.append(name)
            continue
        args = call["args"]
        conds = [S.Arg(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo") or 0) for a in args]
        counts = {}
        for a in args:
            counts[a["index"]] = counts.get(a["index"], 0) + 1
        try:
            if not conds:
                f.add_rule(act, nr)
            elif any(n > 1 for n in counts.values()):
                for c in conds:
                    f.add_rule(act, nr, c)
            else:
                f.add_rule(act, nr, *conds)
        except Exception as err:  # runc fails the container here
            return {"error": "error adding seccomp rule for syscall %s: %s" % (name, err)}
    return f, unknown, optimize


def main():
    with open(sys.argv[1]) as fh:
        req = json.load(fh)
    oci = docker_resolve(req["profile"], req.get("target", "amd64"), set(req.get("caps") or []), req.get("kernel"))
    built = build(oci, req.get("target", "amd64"))
    if isinstance(built, dict):
        print(json.dumps(built))
        return
    f, unknown, optimize = built
    import tempfile
    with tempfile.TemporaryFile() as t:
        f.export_bpf(t)
        t.seek(0)
        data = t.read()
    names = sorted({n for call in oci["syscalls"] for n in call["names"]})
    unresolved = {}
    for a in oci["architectures"] + [GO_ARCH_NATIVE[req.get("target", "amd64")]]:
        if a in ARCHES:
            unresolved[a] = [n for n in names if S.resolve_syscall(ARCHES[a], n) < 0]
    print(json.dumps({"bpf": data.hex(), "unknown": unknown, "optimize": optimize, "unresolved": unresolved}))


if __name__ == "__main__":
    main()
