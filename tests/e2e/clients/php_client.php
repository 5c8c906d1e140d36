<?php
// Real client: the PHP calls of the HHVM light-process story, all of which go
// through libc popen(): shell_exec, exec (output array + result code),
// system, passthru, popen/pclose. Prints every result; the runner requires
// the same output natively and under forkless (FORKLESS_MODE=always), and a
// route=helper line for api=popen in the diagnostics.
// Usage: php php_client.php WORKDIR
chdir($argv[1]);
putenv("PHP_CLIENT_LATE=set after start");
umask(027);

function show($label, $value) {
    echo $label, ": ", var_export($value, true), "\n";
}

show("shell_exec", shell_exec("echo shell; echo \"late=\$PHP_CLIENT_LATE cwd=\$(pwd) umask=\$(umask)\""));
show("shell_exec no output", shell_exec("true"));

$out = [];
$last = exec("printf 'a\\nb\\n\\nc  \\n'; exit 4", $out, $code);
show("exec last", $last);
show("exec output", $out);
show("exec code", $code);
$out = [];
exec("nonexistent-command-for-forkless 2>&1", $out, $code);
show("exec missing output", $out);
show("exec missing code", $code);

$last = system("echo system one; echo system two; exit 5", $code);
show("system last", $last);
show("system code", $code);

passthru("printf 'passthru\\0binary\\n'; exit 6", $code);
show("passthru code", $code);

$p = popen("echo from popen; exit 7", "r");
show("popen-r read", stream_get_contents($p));
show("popen-r pclose", pclose($p));
$p = popen("cat > popen-w.txt; exit 8", "w");
fwrite($p, "written through popen\n");
show("popen-w pclose", pclose($p));
show("popen-w file", file_get_contents("popen-w.txt"));

for ($i = 0; $i < 20; $i++) {
    exec("exit $i", $ignored, $code);
    if ($code !== $i) {
        show("FAIL exec exit", [$i, $code]);
    }
}
show("20 exec exit codes", "checked");
