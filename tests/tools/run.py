#!/usr/bin/env python3
"""Tests of the tools a user touches: make run, image, debug, graph and
test-component, the README's performance tables that make bench writes, and
the runners that boot systems and component tests.  Each case prints and
records "PASS tools.<case>" or "FAIL tools.<case>: why".

usage: tests/tools/run.py BUILD RESULTS_FILE [WORD...]   (WORDs: only the cases whose names hold one)
Run from the project root, after the other suites (make test does): the
systems it boots are built by then, so it mostly only boots them.  What it
must not leave in BUILD/results (fake component runs) goes to BUILD/tools-tests.
"""
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import traceback

ROOT = os.getcwd()
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SCRATCH = os.path.join(BUILD, "tools-tests")
FAKE_QEMU = "tests/tools/fake-qemu"
FIXTURES = "tests/tools/fixtures"
# A system whose file name is the default system's, and whose machine (1 hart, 128 MiB) is not the default.
MACHINE_SYSTEM = "tests/system/machine/system.yaml"

CASES = []


def case(fn):
    CASES.append(fn)
    return fn


class Failed(Exception):
    pass


def check(condition, why):
    if not condition:
        raise Failed(why)


def clean_env(**extra):
    # Without the calling make's MAKEFLAGS: its jobserver is not ours, and make would say so.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env.update(extra)
    return env


def run(command, timeout=300, env=None):
    """Runs a command; returns (status, its stdout and stderr together)."""
    try:
        proc = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=timeout, env=env or clean_env())
    except subprocess.TimeoutExpired as e:
        raise Failed(f"{' '.join(command)} did not finish within {timeout} s; it printed: "
                     f"{(e.stdout or b'')[-500:]!r}")
    return proc.returncode, proc.stdout


def make(*args, timeout=300, **env):
    return run(["make", "--no-print-directory", f"BUILD={BUILD}", *args], timeout=timeout, env=clean_env(**env))


def make_ok(*args, **kwargs):
    status, out = make(*args, **kwargs)
    check(status == 0, f"make {' '.join(args)} failed (status {status}): {out[-800:]}")
    return out


def sys_out(system):
    return make_ok("-s", "sys-out", f"SYSTEM={system}").strip()


def processes_with(*words):
    """The pids of processes whose command line holds every one of words."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        if all(w in args for w in words):
            pids.append(int(pid))
    return pids


def load_tool(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---- the build folder of a system ----------------------------------------------------------

@case
def systems_with_one_file_name_build_in_folders_of_their_own():
    default, machine = sys_out("system.yaml"), sys_out(MACHINE_SYSTEM)
    check(default != machine, f"system.yaml and {MACHINE_SYSTEM} are both built in {default}")
    check(sys_out("./system.yaml") == default, "./system.yaml and system.yaml are built in different folders")
    check(machine.endswith(MACHINE_SYSTEM), f"the folder {machine} does not name the file {MACHINE_SYSTEM}")
    # What the bug did: building the other one first, then the default, booted the other one.
    make_ok("image", f"SYSTEM={MACHINE_SYSTEM}")
    make_ok("image")
    for folder, name in ((default, "demo"), (machine, "machine")):
        with open(os.path.join(folder, "generated.mk")) as f:
            check(f"SYS_NAME := {name}\n" in f.read(), f"{folder} does not hold system '{name}'")
    args = make_ok("-s", "qemu-args").split()
    check(args[-2:] == ["-kernel", f"{default}/image.bin"], f"make qemu-args boots {args[-1]}, not {default}/image.bin")


# ---- the machine a system describes --------------------------------------------------------

DEVICES_SYSTEM = "tests/system/devices/system.yaml"


@case
def qemu_args_give_the_machine_its_harts_disk_and_network():
    # What make run, make debug and the system tests boot with: codegen's qemu-args after the fixed flags.
    args = make_ok("-s", "qemu-args", f"SYSTEM={DEVICES_SYSTEM}").split()
    folder = sys_out(DEVICES_SYSTEM)
    want = ["-smp", "1", "-m", "256M", "-drive", f"file={folder}/disk.img,format=raw,if=none,id=disk0",
            "-device", "virtio-blk-device,drive=disk0", "-netdev", "user,id=net0,hostfwd=tcp:127.0.0.1:0-:80",
            "-device", "virtio-net-device,netdev=net0"]
    at = args.index("-smp") if "-smp" in args else -1
    check(args[at:at + len(want)] == want, f"make qemu-args gave {args}")
    check(os.path.getsize(os.path.join(folder, "disk.img")) == 66 << 20, "the disk image was not made (66M)")
    args = make_ok("-s", "qemu-args", f"SYSTEM={DEVICES_SYSTEM}", "SMP=2").split()
    check(args[args.index("-kernel") - 2:args.index("-kernel")] == ["-smp", "2"],
          f"SMP=2 on make's command line does not come last: {args}")

@case
def make_run_boots_on_the_machine_the_system_describes():
    results = os.path.join(SCRATCH, "run-machine.txt")
    os.makedirs(SCRATCH, exist_ok=True)
    status, out = run([sys.executable, "tools/qemu-test.py", "--name", "run-machine", "--timeout", "120",
                       "--log", os.path.join(SCRATCH, "run-machine.log"), "--results", results,
                       "--expect", "tests/system/machine.expect", "--",
                       "make", "--no-print-directory", f"BUILD={BUILD}", "run", f"SYSTEM={MACHINE_SYSTEM}"])
    with open(results) as f:
        failed = [line for line in f if line.startswith("FAIL ")]
    check(not failed, f"make run SYSTEM={MACHINE_SYSTEM}: {''.join(failed).strip()}")


# ---- make debug ----------------------------------------------------------------------------

def debug(*args, timeout=60):
    return make("debug", f"SYSTEM={MACHINE_SYSTEM}", f"GDB_COMMANDS={FIXTURES}/loader-main.gdb", *args,
                timeout=timeout)


def debug_qemus():
    return processes_with("-gdb", f"{sys_out(MACHINE_SYSTEM)}/image.bin")


def end_leftover(pids):
    for pid in pids:
        try:
            os.kill(pid, 9)
        except OSError:
            pass


@case
def debug_runs_a_gdb_command_file_on_the_systems_machine_and_ends_qemu_with_gdb():
    end_leftover(debug_qemus())
    status, out = debug()
    leftover = debug_qemus()
    end_leftover(leftover)
    check(status == 0, f"make debug failed (status {status}): {out[-800:]}")
    check(re.search(r"^Breakpoint 1, main \(\) at loader/main\.c:\d+", out, re.M),
          f"gdb did not stop at the loader's main: {out[-800:]}")
    check(re.search(r"^main in section \.text of .*loader\.elf$", out, re.M), f"gdb is not in the loader: {out[-800:]}")
    threads = re.findall(r"^\*?\s+\d+\s+Thread ", out, re.M)
    check(len(threads) == 1, f"QEMU has {len(threads)} harts, but {MACHINE_SYSTEM} describes 1")
    with open(os.path.join(BUILD, "logs", "debug-console.log")) as f:
        console = f.read()
    check("kernel: booting on hart 0; 1 harts: 0" in console and "(128 MiB)" in console,
          f"the kernel did not boot on 1 hart with 128 MiB: {console[-600:]}")
    check(not leftover, f"QEMU (pid {leftover}) still runs after gdb left")


@case
def debug_with_its_port_taken_says_so_and_attaches_to_nothing():
    # An earlier session's QEMU (or anything else) listening on the port: gdb must not attach to it.
    end_leftover(debug_qemus())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    try:
        status, out = debug(f"GDB_PORT={port}", timeout=60)
        try:
            listener.accept()
            attached = True
        except BlockingIOError:
            attached = False
    finally:
        listener.close()
    leftover = debug_qemus()
    end_leftover(leftover)
    check(status != 0, f"make debug GDB_PORT={port} succeeded with the port taken: {out[-600:]}")
    check(f"port {port} is in use" in out, f"make debug did not say the port is taken: {out[-600:]}")
    check(not attached, "gdb connected to whatever held the port")
    check(not leftover, f"QEMU (pid {leftover}) still runs")


# ---- one clear line for a system or component that does not exist -------------------------

@case
def a_missing_system_or_component_gets_one_clear_line():
    for args in (["run", "SYSTEM=nosuch.yaml"], ["image", "SYSTEM=nosuch.yaml"], ["debug", "SYSTEM=nosuch.yaml"],
                 ["graph", "SYSTEM=nosuch.yaml"], ["test-component", "NAME=nosuch"]):
        status, out = make(*args, timeout=60)
        lines = [line for line in out.splitlines() if line.strip()]
        check(status != 0, f"make {' '.join(args)} exited 0")
        check(len(lines) == 1 and "nosuch" in lines[0],
              f"make {' '.join(args)} printed {len(lines)} lines, not one naming nosuch: {lines}")
    status, out = make("test-component", timeout=60)
    lines = [line for line in out.splitlines() if line.strip()]
    check(status != 0 and len(lines) == 1 and "NAME=" in lines[0],
          f"make test-component without NAME: status {status}, {lines}")


# ---- tools/run-component-test.sh and make test-component -----------------------------------

def component_run(name, output, status=0, hooks=f"{FIXTURES}/components"):
    """Runs the component runner on a fake QEMU printing output; returns (exit status, results lines, output)."""
    code, out = run(["tools/run-component-test.sh", name, SCRATCH, FAKE_QEMU],
                    env=clean_env(COMPONENT_TESTS=hooks, FAKE_QEMU_OUTPUT=output, FAKE_QEMU_STATUS=str(status)))
    with open(os.path.join(SCRATCH, "results", f"component-{name}.txt")) as f:
        return code, f.read().splitlines(), out


PASSING = "component tests: 2 cases\nPASS one\nPASS two\ncomponent tests: 2 passed, 0 failed\nALL TESTS DONE"
FAILING = "component tests: 2 cases\nPASS one\nFAIL two: test_x.c:9: 1 == 2 failed\nALL TESTS DONE"


@case
def component_runner_passes_a_run_whose_cases_and_check_pass():
    code, results, out = component_run("unchecked", PASSING)
    check(code == 0, f"exit status {code} for a passing run: {out[-500:]}")
    check(results == ["PASS component-unchecked.one", "PASS component-unchecked.two"], f"results {results}")
    code, results, out = component_run("checked", PASSING)
    check(code == 0, f"exit status {code} for a passing run and a passing check: {out[-500:]}")
    check("PASS component-checked.host.image_is_intact" in results, f"the check's case is not recorded: {results}")


@case
def component_runner_fails_when_a_case_fails():
    # The image exits 0 (as QEMU may whatever the image says): the FAIL line alone must fail the run.
    code, results, out = component_run("unchecked", FAILING, status=0)
    check(code != 0, f"exit status 0 although a case failed: {out[-500:]}")
    check("FAIL component-unchecked.two: test_x.c:9: 1 == 2 failed" in results,
          f"the failed case is not recorded: {results}")


@case
def component_runner_fails_when_a_host_check_fails():
    code, results, out = component_run("check_fails", PASSING)
    check(code != 0, f"exit status 0 although the host check failed: {out[-500:]}")
    check("FAIL component-check_fails.host.image_is_intact: block 7 reads back zeros" in results,
          f"the failed host check is not recorded: {results}")
    code, results, out = component_run("check_crashes", PASSING)
    check(code != 0, f"exit status 0 although the host check exited 3: {out[-500:]}")
    check(any(r.startswith("FAIL component-check_crashes.host: ") and "status 3" in r for r in results),
          f"the broken host check is not recorded: {results}")


@case
def make_test_component_fails_when_a_case_fails():
    # The greeter's harness image is built by then (make test-components); QEMU is the fake one.
    results = os.path.join(BUILD, "results", "component-greeter.txt")
    saved = open(results).read() if os.path.exists(results) else None
    try:
        code, out = make("test-component", "NAME=greeter", f"QEMU={ROOT}/{FAKE_QEMU}", FAKE_QEMU_OUTPUT=FAILING)
    finally:
        if saved is None:
            if os.path.exists(results):
                os.remove(results)
        else:
            with open(results, "w") as f:
                f.write(saved)
    check("FAIL two" in out, f"the fake QEMU did not run: {out[-500:]}")
    check(code != 0, f"make test-component exited 0 although a case failed: {out[-500:]}")


# ---- booted systems: faults after the last expected line -----------------------------------

def expect_run(command_env, expect=f"{FIXTURES}/two-lines.expect", settle=None, command=None):
    results = os.path.join(SCRATCH, "expect.txt")
    os.makedirs(SCRATCH, exist_ok=True)
    if os.path.exists(results):
        os.remove(results)
    args = [sys.executable, "tools/qemu-test.py", "--name", "sys", "--timeout", "60", "--log",
            os.path.join(SCRATCH, "expect.log"), "--results", results, "--expect", expect]
    if settle is not None:
        args += ["--settle", str(settle)]
    start = time.monotonic()
    run(args + ["--"] + (command or [FAKE_QEMU]), env=clean_env(**command_env))
    with open(results) as f:
        return f.read().splitlines(), time.monotonic() - start


@case
def booted_system_that_runs_on_cleanly_passes():
    results, elapsed = expect_run({"FAKE_QEMU_OUTPUT": "hello\nworld\nloader: all 1 components running",
                                   "FAKE_QEMU_RUN_ON": "1"}, settle=0.5)
    check(results == ["PASS sys.first", "PASS sys.second", "PASS sys.no_faults"], f"results {results}")
    check(elapsed < 50, f"watching did not stop after the settle time ({elapsed:.0f} s)")


@case
def booted_system_that_faults_right_after_its_last_expected_line_fails():
    fault = "loader: component 'chaos' (thread chaos) faulted: page fault writing at pc 0x10000038, address 0"
    results, _ = expect_run({"FAKE_QEMU_OUTPUT": f"hello\nworld\n{fault}", "FAKE_QEMU_RUN_ON": "1"}, settle=0.5)
    check(f"FAIL sys.no_faults: {fault}" in results, f"results {results}")


@case
def booted_system_that_faults_a_moment_after_its_last_expected_line_fails():
    bug = "kernel: BUG: trap in the kernel on hart 0: scause 0xd sepc 0xffffffc080201234 stval 0x0"
    results, _ = expect_run({"FAKE_QEMU_OUTPUT": "hello\nworld", "FAKE_QEMU_LATER": bug, "FAKE_QEMU_DELAY": "1.2",
                             "FAKE_QEMU_RUN_ON": "1"}, settle=2.5)
    check(f"FAIL sys.no_faults: {bug}" in results, f"results {results}")


@case
def booted_system_that_powers_off_after_its_last_expected_line_fails():
    results, _ = expect_run({"FAKE_QEMU_OUTPUT": "hello\nworld"}, settle=2)
    check(any(r.startswith("FAIL sys.run: QEMU exited after everything expected") for r in results),
          f"results {results}")


@case
def an_expected_fault_line_is_no_failure():
    expect = os.path.join(SCRATCH, "expected-fault.expect")
    os.makedirs(SCRATCH, exist_ok=True)
    with open(expect, "w") as f:
        f.write("first: ^hello$\nreported: ^loader: component 'x' \\(thread x\\) faulted: \n")
    results, _ = expect_run({"FAKE_QEMU_OUTPUT": "hello\nloader: component 'x' (thread x) faulted: page fault",
                             "FAKE_QEMU_RUN_ON": "1"}, expect=expect, settle=0.5)
    check(results == ["PASS sys.first", "PASS sys.reported", "PASS sys.no_faults"], f"results {results}")


@case
def fault_lines_are_what_the_kernel_loader_and_glue_print_on_trouble():
    qemu_test = load_tool("qemu_test", "tools/qemu-test.py")
    faults = [
        "kernel: BUG: trap in the kernel on hart 1: scause 0xf sepc 0xffffffc080201234 stval 0x8",
        "kernel: thread 'x' (0xffffffc0802a0000): page fault at pc 0x1000, address 0x0; it has no fault handler "
        "and is suspended",
        "kernel: hart 1 did not start (SBI error -3)",
        "kernel: hart 1 is not online; threads cannot be moved there",
        "kernel: cannot boot: no memory in the device tree",
        "kernel: thread 'client' halted the machine with status 0",
        "loader: cannot start system 'demo': out of memory for component 'server'",
        "loader: component 'chaos' (thread chaos) faulted: illegal instruction at pc 0x10000040",
        "loader: a fault arrived with unknown badge 9",
        "client: exited with status 1",
        "server: ring port 'jobs' (with client): the consumer is broken: the consumer moved tail backwards; the port "
        "moves no more data",
        "server: rejected a request for echo_reverse: the buffer is longer than the dataport",
        "task 'worker': joined twice",
        "something: panic: out of slots",
    ]
    fine = [
        "kernel: booting on hart 0; 2 harts: 0 1",
        "kernel: memory: 0x80000000-0x90000000 (256 MiB)",
        "kernel: timebase 10000000 Hz, PLIC at 0xc000000 with 96 sources, UART ns16550a at 0x10000000 irq 10",
        "kernel: reserved 0x80000000-0x80080000",
        "kernel: root task 'loader' (352 KiB image at 0x10000), 32 untyped caps with 256580 KiB of RAM",
        "loader: all 6 components running (121 ms after power-on, 50 slots used)",
        "loader: component 'chaos' is stopped; the rest of the system runs on",
        "[log] client: 0 checks failed",
        "client: every connection kind works",
    ]
    check(not [line for line in faults if not qemu_test.is_fault(line)],
          f"not taken for faults: {[line for line in faults if not qemu_test.is_fault(line)]}")
    check(not [line for line in fine if qemu_test.is_fault(line)],
          f"taken for faults: {[line for line in fine if qemu_test.is_fault(line)]}")


@case
def booted_fault_example_expecting_only_what_precedes_the_fault_fails():
    make_ok("image", "SYSTEM=examples/fault.yaml")
    args = make_ok("-s", "qemu-args", "SYSTEM=examples/fault.yaml").split()
    results, _ = expect_run({}, expect=f"{FIXTURES}/fault-unexpected.expect", command=["qemu-system-riscv64"] + args)
    check("PASS sys.divided" in results and "PASS sys.asked" in results, f"results {results}")
    check(any(r.startswith("FAIL sys.no_faults: loader: component 'chaos' (thread chaos) faulted: ") for r in results),
          f"the chaos component's fault did not fail the run: {results}")


# ---- the failure recording of the two in-QEMU test drivers ---------------------------------

@case
def kernel_tests_and_component_harness_share_one_failure_recording():
    for path in ("tests/kernel/main.c", "tests/components/harness.c"):
        with open(path) as f:
            text = f.read()
        for word in ("vsnprintf(", "longjmp(", "__asm__(\"mv %0, tp\""):
            check(word not in text, f"{path} still records failures itself ({word})")
    harness = os.path.join(BUILD, "tests", "components", "greeter", "components", "driver.elf")
    make_ok(f"{BUILD}/kerneltest.elf")
    if not os.path.exists(harness):
        make_ok("-f", "tools/mk/system.mk", "CODEGEN_ARGS=--test-component greeter",
                f"SYS_OUT={BUILD}/tests/components/greeter", "image")
    for elf in (os.path.join(BUILD, "kerneltest.elf"), harness):
        status, out = run(["riscv64-unknown-elf-nm", "-l", elf])
        check(status == 0, f"nm {elf}: {out[-300:]}")
        check(re.search(r" T test_failure_note\s+.*tests/common/failure\.c", out),
              f"{elf} does not have test_failure_note from tests/common/failure.c")


# ---- the README ----------------------------------------------------------------------------

def readme():
    with open("README.md", encoding="utf-8") as f:
        return f.read()


def section(text, bench_table):
    return text.split(bench_table.BEGIN)[1].split(bench_table.END)[0]


def all_figures(bench_table, start=1000):
    """A bench.json with a distinct figure for every key the tables show."""
    keys = []
    for _, rows in bench_table.TABLES:
        for row in rows:
            keys += row[0] if isinstance(row[0], tuple) else [row[0]]
    return {k: start + i for i, k in enumerate(keys)}


@case
def bench_table_shows_every_figure_of_bench_json():
    bench_table = load_tool("bench_table", "tools/bench_table.py")
    text = readme()
    metrics = all_figures(bench_table)
    metrics.update({"ipc_call_10_words_instructions": 703, "ring_kernel_entries_per_1000_msgs": 0.335,
                    "build_seconds_clean": 5.94, "boot_to_ready_seconds": 0.183, "not_in_any_table": 5})
    new = bench_table.rewrite(text, metrics)
    table = section(new, bench_table)
    check(new.split(bench_table.BEGIN)[0] == text.split(bench_table.BEGIN)[0] and
          new.split(bench_table.END)[1] == text.split(bench_table.END)[1], "text outside the markers changed")
    check(re.search(r"^\| Call one way, 10 words \(6 through the IPC buffer: slow path\) +\| +703 \| +1062 \|$",
                    table, re.M), f"the 10-word Call row does not show 703 beside seL4's 1062:\n{table}")
    check(re.search(r"^\| ring: kernel entries per 1000 messages +\| +0\.335 \|$", table, re.M), table)
    check(re.search(r"^\| clean build of the default system .* \| +5\.9 \|$", table, re.M), table)
    check(re.search(r"^\| QEMU start to all components running \(wall clock\) +\| +0\.18 \|$", table, re.M), table)
    push, pop = metrics["ring_push_publish_instructions"], metrics["ring_pop_release_instructions"]
    check(re.search(rf"^\| ring push \+ publish .* \| +{push} / {pop} \| +– \|$", table, re.M),
          f"the ring row does not show {push} / {pop}:\n{table}")
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| operation")]
    check(len(rows) == sum(len(r) for _, r in bench_table.TABLES) + 2, f"{len(rows)} rows:\n{table}")
    check(bench_table.rewrite(new, metrics) == new, "writing the same figures twice changes the README")


@case
def bench_table_leaves_out_rows_whose_figures_are_missing():
    bench_table = load_tool("bench_table", "tools/bench_table.py")
    metrics = all_figures(bench_table)
    for key in ("token_running_instructions", "ring_pop_batched_instructions", "build_seconds_clean",
                "boot_to_ready_seconds"):
        del metrics[key]
    table = section(bench_table.rewrite(readme(), metrics), bench_table)
    check("receiver running on the other hart" not in table, f"a row without its figure is shown:\n{table}")
    check("batches of 16" not in table, f"a row with one of its two figures is shown:\n{table}")
    check("| system " not in table, f"a table without figures is shown:\n{table}")
    check("receiver blocked in Wait" in table, f"a row with its figure is left out:\n{table}")


@case
def readme_tables_are_written_by_make_bench():
    bench_table = load_tool("bench_table", "tools/bench_table.py")
    text = readme()
    check(text.count(bench_table.BEGIN) == 1 and text.count(bench_table.END) == 1,
          "README.md lacks the marker lines between which make bench writes its tables")
    # The README's figures read back and written again give the same README: it is the generator's table,
    # every row of TABLES with a figure, nothing written by hand.
    figures = {}
    for line in section(text, bench_table).splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        for _, rows in bench_table.TABLES:
            for row in rows:
                if len(cells) > 1 and cells[0] == row[1]:
                    keys = row[0] if isinstance(row[0], tuple) else (row[0],)
                    for key, value in zip(keys, cells[1].split(" / ")):
                        figures[key] = float(value) if "." in value else int(value)
    check(bench_table.rewrite(text, figures) == text,
          "the README's tables are not what tools/bench_table.py writes from their own figures")
    status, out = make("-n", "bench")
    check(f"tools/bench_table.py {BUILD}/bench.json README.md" in out, "make bench does not write the README's tables")


@case
def readme_names_the_picture_make_graph_writes():
    m = re.search(r"^make graph .*?(build/\S+\.svg)", readme(), re.M)
    check(m, "the README's make graph line names no .svg file")
    path = m.group(1)
    if BUILD != "build":
        path = BUILD + path[len("build"):]
    start = time.time()
    out = make_ok("graph")
    check(f"codegen: wrote {path}" in out, f"make graph does not write {path}: {out[-500:]}")
    check(os.path.exists(path) and os.path.getmtime(path) >= start - 1, f"{path} was not written")


def main():
    results_path = sys.argv[2]
    os.makedirs(os.path.dirname(results_path) or ".", exist_ok=True)
    shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH)
    start = time.monotonic()
    lines = []
    only = sys.argv[3:]
    for fn in CASES:
        if only and not any(word in fn.__name__ for word in only):
            continue
        t = time.monotonic()
        try:
            fn()
            line = f"PASS tools.{fn.__name__}"
        except Failed as e:
            line = f"FAIL tools.{fn.__name__}: {' '.join(str(e).split())[:600]}"
        except Exception:
            traceback.print_exc()
            line = f"FAIL tools.{fn.__name__}: {traceback.format_exc().strip().splitlines()[-1]}"
        print(f"{line} ({time.monotonic() - t:.1f} s)", flush=True)
        lines.append(line)
        with open(results_path, "w") as f:
            f.write("\n".join(lines) + "\n")
    passed = sum(1 for line in lines if line.startswith("PASS "))
    print(f"tools: {passed} of {len(lines)} cases passed in {time.monotonic() - start:.1f} s")
    return 0 if passed == len(lines) else 1


if __name__ == "__main__":
    sys.exit(main())
