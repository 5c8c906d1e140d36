# Real client: CPython's os.system (libc system()) and os.popen from a
# program with running threads. Prints every result; the runner requires the
# same output natively and under forkless (FORKLESS_MODE=always), and a
# route=helper line for api=system in the diagnostics.
# Usage: python3 py_client.py WORKDIR
import os
import sys
import threading

stop = threading.Event()


def spin():
    # Wakes often but leaves the GIL free: the threads exist and run.
    while not stop.wait(0.001):
        pass


def show(label, value):
    print(f"{label}: {value!r}", flush=True)


def system(command):
    sys.stdout.flush()
    status = os.system(command)
    show(f"os.system({command!r})", (status, os.waitstatus_to_exitcode(status)))


def main():
    os.chdir(sys.argv[1])
    threads = [threading.Thread(target=spin) for _ in range(2)]
    for t in threads:
        t.start()
    show("threads", threading.active_count())

    os.environ["PY_CLIENT_LATE"] = "set after start"
    os.umask(0o027)
    system("exit 3")
    system("echo hello from os.system; echo to stderr >&2")
    system('echo "late=$PY_CLIENT_LATE cwd=$(pwd) umask=$(umask)"')
    system("kill -TERM $$")
    system("nonexistent-command-for-forkless 2>/dev/null")

    with os.popen("echo one; echo two; exit 5") as stream:
        show("popen-r output", stream.read())
    stream = os.popen("printf 'no newline'; exit 4")
    show("popen-r output", stream.read())
    show("popen-r close", stream.close())
    stream = os.popen("cat > popen-w.txt; exit 6", "w")
    stream.write("written through os.popen\n")
    show("popen-w close", stream.close())
    with open("popen-w.txt") as f:
        show("popen-w file", f.read())

    for i in range(20):
        status = os.system(f"exit {i}")
        if os.waitstatus_to_exitcode(status) != i:
            show("FAIL os.system exit", (i, status))
    show("20 os.system exit codes", "checked")

    stop.set()
    for t in threads:
        t.join()


main()
