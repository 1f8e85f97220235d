"""Builds and boots generated systems and judges them.

For each seed: draw the system and write it (build/random/<seed>/), run
codegen (with --idl at the system's own idl/), build the image
(tools/mk/system.mk), boot it in QEMU and watch the console.  The system
passes when every component prints its PASS line within the time allowed,
the loader reports what the system says (components, priorities, harts,
threads), and nothing else is printed: no fault, no glue error, no FAIL,
no line we do not know (watched for a moment after the last PASS line).
A failure names its stage: codegen, compile, boot (before the loader said
all components run) or checks.
"""
import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import threading
import time

from . import emit, generate

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"

# Lines the kernel and the loader print on a good boot.
INFO = [re.compile(p) for p in (
    r"^kernel: booting on hart \d+; \d+ harts?:",
    r"^kernel: memory: 0x[0-9a-f]+-0x[0-9a-f]+ \(\d+ [MG]iB\)$",
    r"^kernel: timebase \d+ Hz, PLIC at ",
    r"^kernel: reserved 0x[0-9a-f]+-0x[0-9a-f]+$",
    r"^kernel: root task 'loader' ",
)]
SYSTEM_LINE = re.compile(r"^loader: system '([^']*)': (\d+) components, ")
COMPONENT_LINE = re.compile(r"^loader:   (\S+) +priority +(\d+), hart (\d+), (\d+) threads?, image at 0x[0-9a-f]+$")
RUNNING_LINE = re.compile(r"^loader: all (\d+) components running \(")
PASS_LINE = re.compile(r"^randsys: (\S+): PASS \((\d+) checks\)$")
RANDSYS_LINE = re.compile(r"^randsys: (\S+): ")


class Result:
    def __init__(self, seed, summary):
        self.seed, self.summary = seed, summary
        self.stage = None           # None: passed
        self.message = ""
        self.times = {}
        self.folder = None
        self.boots = 1
        self.note = ""

    @property
    def passed(self):
        return self.stage is None

    def fail(self, stage, message):
        self.stage, self.message = stage, message
        return self


def run_command(cmd, log, timeout=900):
    with open(log, "w") as f:
        p = subprocess.run(cmd, cwd=ROOT, stdout=f, stderr=subprocess.STDOUT, timeout=timeout)
    with open(log) as f:
        return p.returncode, f.read()


ERROR_LINES = r"error:|Error|problem|cannot|undefined|ASSERT|relocation truncated|image is larger"


def first_errors(text, pattern=ERROR_LINES, limit=3):
    lines = [ln.strip() for ln in text.splitlines() if re.search(pattern, ln)]
    if not lines:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()][-limit:]
    return " | ".join(lines[:limit])[:600]


def make_vars(generated_mk):
    values = {}
    with open(generated_mk) as f:
        for line in f:
            m = re.match(r"^(SYS_HARTS|SYS_MEMORY) := (\S+)", line)
            if m:
                values[m.group(1)] = m.group(2)
    return values


class Expected:
    """What the console must show of a system: its name and each component's priority, hart and threads."""

    class Component:
        def __init__(self, name, priority, hart, threads):
            self.name, self.priority, self.hart, self.threads = name, priority, hart, threads

    def __init__(self, name, instances, summary):
        self.name, self.instances, self.summary = name, instances, summary

    @classmethod
    def of(cls, system):
        return cls(system.name, [cls.Component(i.name, i.priority, i.hart, i.threads) for i in system.instances],
                   system.summary())

    @classmethod
    def read(cls, folder):
        """From a system folder as written (or edited by hand): system.yaml and each component.yaml."""
        import yaml
        with open(os.path.join(folder, "system.yaml")) as f:
            doc = yaml.safe_load(f)
        comps = []
        for c in doc["components"]:
            with open(os.path.join(ROOT, c["source"], "component.yaml")) as f:
                t = yaml.safe_load(f)
            rpc = False
            for port, iface in (t.get("provides") or {}).items():
                with open(os.path.join(folder, "idl", iface + ".yaml")) as f:
                    rpc = rpc or bool(yaml.safe_load(f).get("procedures"))
            comps.append(cls.Component(c["name"], c["priority"], c.get("hart", 0),
                                       2 if t.get("control") and rpc else 1))
        name = doc.get("name") or os.path.basename(folder)
        return cls(name, comps, f"{len(comps)} components, {len(doc.get('connections') or [])} connections "
                                f"(from {os.path.relpath(folder, ROOT)})")


ACTIVE = set()          # QEMU process groups running now, stopped if the runner is


def stop_active(signum, frame):
    for pid in list(ACTIVE):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    sys.exit(128 + signum)


class Runner:
    def __init__(self, out, options, jobs=1, timeout=120, keep=False, qemu="qemu-system-riscv64", quiet=False):
        self.out, self.options, self.jobs, self.timeout, self.keep = out, options, jobs, timeout, keep
        self.qemu, self.quiet = qemu, quiet
        self.lock = threading.Lock()

    def say(self, text):
        with self.lock:
            print(text, flush=True)

    def warm_up(self):
        """Builds what every system shares (kernel, libsel, loader objects) once, before parallel builds."""
        code, text = run_command(["make", "--no-print-directory", "-j2", "-f", "tools/mk/system.mk", "BUILD=build",
                                  "SYSTEM=system.yaml", "SYS_OUT=build/systems/system", "image"],
                                 os.path.join(self.out, "warm-up.log"))
        if code:
            raise RuntimeError(f"the shared parts did not build: {first_errors(text)}")

    def one(self, seed, system=None):
        """Draws (unless given), writes, builds, boots and checks one system; returns a Result."""
        if system is None:
            system = generate.draw(seed, self.options)
        system.avoided = sorted(self.options.avoid)
        system.scale = self.options.scale
        system.hostile = self.options.hostile
        folder = os.path.join(self.out, str(seed) if not isinstance(seed, str) else seed)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        path = emit.write(system, folder, ROOT, self.options.avoid)
        result = self.check_folder(folder, Expected.of(system), seed)
        result.system = system
        return result

    def check_folder(self, folder, expected, seed):
        """Runs codegen on folder/system.yaml (interfaces in folder/idl), builds, boots and checks it."""
        result = Result(seed, expected.summary)
        result.folder = folder
        start = time.monotonic()
        rel = os.path.relpath(os.path.join(folder, "system.yaml"), ROOT)
        sys_out = os.path.join(folder, "out")
        idl = os.path.relpath(os.path.join(folder, "idl"), ROOT)
        code, text = run_command([os.path.join(ROOT, "codegen", "codegen"), rel, "--idl", idl, "--out",
                                  os.path.relpath(sys_out, ROOT)], os.path.join(folder, "codegen.log"))
        result.times["codegen"] = time.monotonic() - start
        if code:
            message = first_errors(text, r":\d+:\d+: |codegen:|Error")
            if self.options.hostile and "Traceback" not in text:
                result.note = f"codegen rejected it: {message}"     # a clear no is a right answer here
                return self.finish(result, result)
            return self.finish(result, result.fail("codegen", message))
        t = time.monotonic()
        code, text = run_command(["make", "--no-print-directory", f"-j{2 if self.jobs == 1 else 1}", "-f",
                                  "tools/mk/system.mk", "BUILD=build", f"SYSTEM={rel}",
                                  f"SYS_OUT={os.path.relpath(sys_out, ROOT)}",
                                  f"CODEGEN_ARGS={rel} --idl {idl}", "image"], os.path.join(folder, "build.log"))
        result.times["compile"] = time.monotonic() - t
        if code:
            return self.finish(result, result.fail("compile", first_errors(text)))
        t = time.monotonic()
        for attempt in range(3):
            self.boot(expected, sys_out, folder, result)
            late = result.stage == "boot" and "is not online; threads cannot be moved there" in result.message
            if not (late and "late-harts" in self.options.avoid and attempt < 2):
                break
            result.stage, result.message = None, ""     # the avoided finding: boot it again
            result.boots = attempt + 2
        result.times["boot"] = time.monotonic() - t
        return self.finish(result, result)

    def finish(self, result, _):
        if result.passed and not self.keep:
            shutil.rmtree(result.folder, ignore_errors=True)
        return result

    def boot(self, system, sys_out, folder, result):
        """Boots the image and watches the console; system has name, instances (name, priority, hart, threads)."""
        v = make_vars(os.path.join(sys_out, "generated.mk"))
        cmd = [self.qemu, "-machine", "virt", "-smp", v["SYS_HARTS"], "-m", v["SYS_MEMORY"], "-nographic",
               "-bios", FIRMWARE, "-global", "virtio-mmio.force-legacy=false",
               "-kernel", os.path.join(sys_out, "image.bin")]
        names = {i.name: i for i in system.instances}
        passed, problems = set(), []
        running = listed = None
        seen_components = {}
        start = time.monotonic()
        all_passed_at = None
        log = open(os.path.join(folder, "console.log"), "w")
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        ACTIVE.add(proc.pid)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        buf = b""
        kernel_seen = False
        timed_out = False
        try:
            while True:
                now = time.monotonic()
                if all_passed_at is not None and now - all_passed_at > 1.5:
                    break
                if now - start > self.timeout:
                    timed_out = True
                    break
                if not sel.select(timeout=0.25):
                    continue
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for raw in lines:
                    line = raw.decode("utf-8", "replace").rstrip("\r")
                    log.write(line + "\n")
                    if not kernel_seen:
                        kernel_seen = line.startswith("kernel:")
                        if not kernel_seen:
                            continue       # OpenSBI's banner
                    stage = "boot" if running is None else "checks"
                    m = PASS_LINE.match(line)
                    if m and m.group(1) in names:
                        if m.group(1) in passed:
                            problems.append((stage, f"{m.group(1)} passed twice"))
                        passed.add(m.group(1))
                        if len(passed) == len(names) and all_passed_at is None:
                            all_passed_at = time.monotonic()
                        continue
                    if any(p.match(line) for p in INFO):
                        continue
                    m = SYSTEM_LINE.match(line)
                    if m:
                        listed = int(m.group(2))
                        if m.group(1) != system.name or listed != len(names):
                            problems.append(("boot", f"the loader says: {line}"))
                        continue
                    m = COMPONENT_LINE.match(line)
                    if m and m.group(1) in names:
                        inst = names[m.group(1)]
                        got = (int(m.group(2)), int(m.group(3)), int(m.group(4)))
                        want = (inst.priority, inst.hart, inst.threads)
                        seen_components[inst.name] = True
                        if got != want:
                            problems.append(("boot", f"the loader lists {inst.name} with priority, hart, threads "
                                                     f"{got}, expected {want}"))
                        continue
                    m = RUNNING_LINE.match(line)
                    if m:
                        running = time.monotonic()
                        if int(m.group(1)) != len(names):
                            problems.append(("boot", line))
                        continue
                    problems.append((stage, f"unexpected line: {line[:300]}"))
                if problems and all_passed_at is None:
                    # Give the console a moment to say more, then stop.
                    all_passed_at = time.monotonic()
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            ACTIVE.discard(proc.pid)
            log.write(buf.decode("utf-8", "replace"))
            log.close()
        if problems:
            stage = "boot" if any(s == "boot" for s, _ in problems) else "checks"
            first = [m for s, m in problems if s == stage]
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            return result.fail(stage, first[0] + more)
        if running is None:
            return result.fail("boot", "the loader never said all components run"
                               + (f" (timed out after {self.timeout:.0f} s)" if timed_out else " (QEMU stopped)"))
        missing = sorted(set(names) - passed)
        if missing:
            return result.fail("checks", f"no PASS line from {len(missing)} of {len(names)} components within "
                                         f"{self.timeout:.0f} s: {', '.join(missing[:6])}"
                               + (" ..." if len(missing) > 6 else ""))
        unlisted = sorted(set(names) - set(seen_components))
        if unlisted:
            return result.fail("boot", f"the loader did not list {', '.join(unlisted[:6])}")
        return result

    def describe(self, r):
        t = " ".join(f"{k} {v:.1f}s" for k, v in r.times.items()) + (f" ({r.boots} boots)" if r.boots > 1 else "")
        if r.passed:
            return f"PASS seed {r.seed}: {r.summary} [{t}]" + (f"\n     {r.note[:300]}" if r.note else "")
        return (f"FAIL seed {r.seed}: {r.stage}: {r.message}\n     {r.summary} [{t}]; "
                f"kept {os.path.relpath(r.folder, ROOT)}")

    def many(self, seeds, results_file=None):
        results = []
        pending = list(seeds)
        it_lock = threading.Lock()

        def worker():
            while True:
                with it_lock:
                    if not pending:
                        return
                    seed = pending.pop(0)
                try:
                    r = self.one(seed)
                except Exception as e:  # a generator bug: report it as this seed's failure
                    r = Result(seed, "?")
                    r.folder = os.path.join(self.out, str(seed))
                    r.fail("generate", f"{type(e).__name__}: {e}")
                    import traceback
                    traceback.print_exc()
                with self.lock:
                    results.append(r)
                self.say(self.describe(r))

        threads = [threading.Thread(target=worker) for _ in range(max(1, self.jobs))]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        results.sort(key=lambda r: r.seed)
        if results_file:
            with open(results_file, "w") as f:
                for r in results:
                    if r.passed:
                        f.write(f"PASS random.seed{r.seed}\n")
                    else:
                        f.write(f"FAIL random.seed{r.seed}: {r.stage}: {r.message[:300]} "
                                f"(replay: tools/randsys/run --seed {r.seed} --count 1"
                                + (f" --avoid {','.join(sorted(self.options.avoid))}" if self.options.avoid else "")
                                + (f" --scale {self.options.scale}" if self.options.scale != "normal" else "")
                                + (" --hostile" if self.options.hostile else "") + ")\n")
        return results
