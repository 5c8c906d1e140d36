# A threaded Python program using os.fork() with Python code in the child:
# must behave as natively (never emulated).
import os
import threading
import time

stop = False
def spin():
    while not stop:
        time.sleep(0.001)
threads = [threading.Thread(target=spin) for _ in range(2)]
for t in threads:
    t.start()

values = []
for round_number in range(5):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        # Python code in the child: computes, changes its own memory, returns data.
        data = {i: i * i for i in range(1000)}
        values_in_child = sum(data.values()) + round_number
        os.write(write_end, str(values_in_child).encode())
        os._exit(round_number)
    os.close(write_end)
    got = os.read(read_end, 100).decode()
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    values.append((got, os.waitstatus_to_exitcode(status)))
stop = True
for t in threads:
    t.join()
for value in values:
    print(value)
