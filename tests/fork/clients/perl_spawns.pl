# Perl's exec-bound spawns from a threaded process holding memory: prints one
# line per operation, identical natively and under libforkless.so.
use strict;
use warnings;
use threads;

my $held = 'x' x (256 << 20);
my $running = 1;
my $thread = threads->create(sub { while (1) { select(undef, undef, undef, 0.01) } });
$thread->detach;

my @out;
push @out, "system-list: " . system('/bin/sh', '-c', 'exit 3') . " status=" . ($? >> 8);
push @out, "system-shell: status=" . (system('echo from-system >/dev/null; exit 2') , $? >> 8)[1];
my $back = `echo backtick; echo to-stderr 1>&2`;
push @out, "backtick: $back" . "status=" . ($? >> 8);
my $qx = qx{sh -c 'exit 6'};
push @out, "qx-status: " . ($? >> 8);
open(my $from, '-|', 'echo', 'list', 'form') or die;
my $line = <$from>;
close($from);
push @out, "open-from-list: $line" . "status=$?";
open(my $from_shell, "echo shell form |") or die;
$line = <$from_shell>;
close($from_shell);
push @out, "open-from-shell: $line";
open(my $to, '|-', 'tr', 'a-z', 'A-Z') or die;
print $to "to child\n";
close($to);
push @out, "open-to: status=$?";
my $rc = system('/nonexistent/program');
push @out, "failed-exec: rc=$rc errno=" . ($! + 0) . " ($!)";
$rc = system('/nonexistent/program', 'with', 'args');
push @out, "failed-exec-list: rc=$rc errno=" . ($! + 0);
push @out, "held: " . length($held);
$| = 1;
print "$_\n" for @out;
