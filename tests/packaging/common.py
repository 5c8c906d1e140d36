"""What the packaging checks share: running commands, failing, skipping."""
import os
import subprocess


class Failure(Exception):
    pass


class Skip(Exception):
    """Skipped, with the reason printed where ctest shows it."""


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FORKLESS")}
    env.update(extra)
    return env


def run(argv, env=None, check_status=0, timeout=300, **kwargs):
    proc = subprocess.run(argv, env=env or clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout, **kwargs)
    if check_status is not None and proc.returncode != check_status:
        raise Failure(f"{' '.join(argv)}: status {proc.returncode}, expected {check_status}\n"
                      f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}")
    return proc


def read(path):
    with open(path, errors="replace") as handle:
        return handle.read()


def unit_environment(dropin_text, unit_name, logs_directory):
    """The Environment= assignments of a drop-in, with %N and the LogsDirectory expanded
    (the logs directory mapped to `logs_directory`)."""
    env, logs = {}, None
    for line in dropin_text.splitlines():
        line = line.strip()
        if line.startswith("LogsDirectory="):
            logs = "/var/log/" + line.split("=", 1)[1].strip()
    for line in dropin_text.splitlines():
        line = line.strip()
        if line.startswith("Environment="):
            key, value = line.split("=", 1)[1].split("=", 1)
            value = value.replace("%N", unit_name)
            if logs and value.startswith(logs + "/"):
                value = os.path.join(logs_directory, value[len(logs) + 1:])
            env[key] = value
    return env
