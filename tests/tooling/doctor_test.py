#!/usr/bin/env python3
"""Tests of forkless-run --doctor on real files: a dynamic program, a static
one, setuid and file-capable copies, a Go-marked copy, a CET-marked object,
node and perl (their built-in fork sites), and a running preloaded process.
Each test that needs something this machine lacks is skipped, saying what.

Usage: doctor_test.py --source DIR --build DIR --work DIR
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

ARGS = {}


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FORKLESS")}
    env.update(extra)
    return env


def doctor(*args):
    launcher = os.path.join(ARGS["source"], "tools", "forkless-run")
    done = subprocess.run([launcher, "--doctor", "--json", *args], capture_output=True, text=True,
                          env=clean_env(), timeout=120)
    if done.returncode not in (0, 1):
        raise AssertionError(f"doctor {args}: status {done.returncode}: {done.stderr}")
    data = json.loads(done.stdout)
    data["status"] = done.returncode
    data["by_topic"] = {f["topic"]: f for f in data["findings"]}
    return data


def work_copy(name, source="/bin/true"):
    directory = os.path.join(ARGS["work"], "doctor")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    if os.path.exists(path):
        os.unlink(path)
    shutil.copy(source, path)
    return path


class Programs(unittest.TestCase):
    def test_dynamic(self):
        data = doctor("/bin/true")
        self.assertEqual(data["status"], 0)
        self.assertEqual(data["served"], "yes")
        self.assertEqual(data["by_topic"]["linking"]["verdict"], "ok")
        self.assertIn("glibc 2.", data["by_topic"]["libc"]["text"])
        self.assertEqual(data["by_topic"]["architecture"]["text"], "x86-64")

    def test_by_name_from_path(self):
        data = doctor("true")
        self.assertEqual(data["status"], 0)
        self.assertTrue(data["subject"].endswith("/true"))

    def test_static(self):
        if shutil.which("gcc") is None or not os.path.exists("/usr/lib/x86_64-linux-gnu/libc.a"):
            self.skipTest("no gcc or no static libc (libc6-dev's libc.a) to build a static program")
        source = os.path.join(ARGS["work"], "static_main.c")
        with open(source, "w") as handle:
            handle.write("int main(void) { return 0; }\n")
        program = os.path.join(ARGS["work"], "static_main")
        subprocess.run(["gcc", "-static", "-o", program, source], check=True)
        data = doctor(program)
        self.assertEqual(data["status"], 1)
        self.assertEqual(data["by_topic"]["linking"]["verdict"], "no")
        self.assertIn("static", data["by_topic"]["linking"]["text"])

    def test_setuid(self):
        program = work_copy("setuid_true")
        os.chmod(program, 0o4755)
        data = doctor(program)
        self.assertEqual(data["status"], 1)
        self.assertIn("setuid", data["by_topic"]["privileges"]["text"])
        if os.path.exists("/usr/bin/passwd"):  # Debian's own setuid program
            self.assertIn("setuid", doctor("/usr/bin/passwd")["by_topic"]["privileges"]["text"])

    def test_file_capabilities(self):
        if shutil.which("setcap") is None:
            self.skipTest("no setcap (libcap2-bin)")
        program = work_copy("cap_true")
        if subprocess.run(["setcap", "cap_net_bind_service+ep", program]).returncode != 0:
            self.skipTest("setcap failed here (no CAP_SETFCAP or no xattr support)")
        data = doctor(program)
        self.assertEqual(data["status"], 1)
        self.assertIn("file capabilities", data["by_topic"]["privileges"]["text"])

    def test_go_marked(self):
        """A copy of /bin/true given Go's build-info section is taken for a Go program."""
        if shutil.which("objcopy") is None:
            self.skipTest("no objcopy (binutils)")
        program = work_copy("go_true")
        marker = os.path.join(ARGS["work"], "go_buildinfo")
        with open(marker, "wb") as handle:
            handle.write(b"\xff Go buildinf:")
        subprocess.run(["objcopy", "--add-section", f".go.buildinfo={marker}", program], check=True)
        data = doctor(program)
        self.assertEqual(data["status"], 1)
        self.assertIn("Go", data["by_topic"]["runtime"]["text"])
        self.assertNotIn("runtime", doctor("/bin/true")["by_topic"])

    def test_cet_marking(self):
        """The GNU property note's IBT and SHSTK bits are read (from an object built with them)."""
        if shutil.which("gcc") is None:
            self.skipTest("no gcc")
        source = os.path.join(ARGS["work"], "cet.c")
        with open(source, "w") as handle:
            handle.write("void cet_marked(void) {}\n")
        shared = os.path.join(ARGS["work"], "cet.so")
        subprocess.run(["gcc", "-fcf-protection=full", "-shared", "-nostdlib", "-o", shared, source],
                       check=True)
        sys.path.insert(0, os.path.join(ARGS["source"], "tools", "doctor"))
        import elf_file
        self.assertEqual(elf_file.ElfFile(shared).cet, {"IBT", "SHSTK"})
        self.assertEqual(elf_file.ElfFile(source.replace(".c", ".so")).machine, "x86-64")
        self.assertIn("cet", doctor("/bin/true")["by_topic"])

    def test_node_fork_site(self):
        if shutil.which("node") is None:
            self.skipTest("node is not installed")
        data = doctor("node")
        self.assertEqual(data["by_topic"]["fork sites"]["verdict"], "ok")
        self.assertIn("uv_spawn", data["by_topic"]["fork sites"]["text"])

    def test_perl_has_no_built_in_site(self):
        # Perl's sites are not built in (docs/fork-sites.md): the doctor says
        # its forks stay native.
        if shutil.which("perl") is None:
            self.skipTest("perl is not installed")
        text = doctor("perl")["by_topic"]["fork sites"]["text"]
        self.assertIn("no built-in fork site", text)
        self.assertNotIn("Perl_pp_system", text)

    def test_script_follows_interpreter(self):
        script = os.path.join(ARGS["work"], "script.sh")
        with open(script, "w") as handle:
            handle.write("#!/bin/sh\ntrue\n")
        os.chmod(script, 0o755)
        data = doctor(script)
        self.assertIn("script", data["by_topic"])
        self.assertEqual(data["status"], 0)

    def test_missing(self):
        self.assertEqual(doctor("no-such-program-xyz")["status"], 1)


class RunningProcess(unittest.TestCase):
    def test_preloaded_pid(self):
        library = os.path.join(ARGS["build"], "lib", "forkless", "libforkless.so")
        # sleep is the first process to load the library: with every spawn sent to a helper, it
        # starts its helper before main.
        sleeper = subprocess.Popen(["sleep", "30"], env=clean_env(LD_PRELOAD=library, FORKLESS_MODE="always"))
        try:
            deadline = time.time() + 10
            while True:
                data = doctor("--pid", str(sleeper.pid))
                if "helpers" in data["by_topic"] and data["by_topic"]["helpers"]["verdict"] == "ok":
                    break
                if time.time() > deadline:
                    self.fail(f"no helper seen: {data['findings']}")
                time.sleep(0.1)
            self.assertEqual(data["status"], 0)
            self.assertEqual(data["by_topic"]["library"]["verdict"], "ok")
            self.assertIn(library, data["by_topic"]["library"]["text"])
            self.assertIn("1 helper(s) running", data["by_topic"]["helpers"]["text"])
            self.assertRegex(data["by_topic"]["helpers"]["text"], r"\d+ KiB resident")
            self.assertEqual(data["by_topic"]["core"]["text"], "libforkless-core.so is loaded")
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_preloaded_pid_before_its_first_spawn(self):
        library = os.path.join(ARGS["build"], "lib", "forkless", "libforkless.so")
        # A descendant (lazy start) that has not spawned: the front only.
        sleeper = subprocess.Popen(["sleep", "30"], env=clean_env(LD_PRELOAD=library, FORKLESS_HELPER_START="lazy"))
        try:
            time.sleep(0.2)
            data = doctor("--pid", str(sleeper.pid))
            self.assertEqual(data["by_topic"]["library"]["verdict"], "ok")
            self.assertIn("not loaded yet", data["by_topic"]["core"]["text"])
        finally:
            sleeper.kill()
            sleeper.wait()

    def test_unpreloaded_pid(self):
        sleeper = subprocess.Popen(["sleep", "30"], env=clean_env())
        try:
            data = doctor("--pid", str(sleeper.pid))
            self.assertEqual(data["status"], 1)
            self.assertEqual(data["by_topic"]["library"]["verdict"], "no")
        finally:
            sleeper.kill()
            sleeper.wait()


if __name__ == "__main__":
    argv = sys.argv[1:]
    for name in ("--source", "--build", "--work"):
        at = argv.index(name)
        ARGS[name[2:]] = argv[at + 1]
        del argv[at:at + 2]
    os.makedirs(ARGS["work"], exist_ok=True)
    unittest.main(argv=[sys.argv[0], "-v"] + argv)
