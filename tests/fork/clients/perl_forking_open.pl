# Perl's forking open without a command (perlipc's safe pipe open): the child
# runs Perl code. From a process holding 300 MiB (large: fork emulation's
# size rule) or with a thread running. Prints one line per operation,
# identical natively and under libforkless.so.
# Usage: perl perl_forking_open.pl [threads]
use strict;
use warnings;
BEGIN {
    if (@ARGV && $ARGV[0] eq 'threads') {
        require threads;
        threads->import;
        threads->create(sub { while (1) { select(undef, undef, undef, 0.01) } })->detach;
    }
}

$| = 1;
my $held = 'x' x (300 << 20);
my %data = map { $_ => $_ * 3 } 1 .. 2000;
sub sum { my $s = 0; $s += $_ for values %data; return $s }

for my $round (1 .. 3) {
    my $pid = open(my $from, '-|') // die "fork: $!";
    if ($pid == 0) {
        $data{$_} = -1 for keys %data;   # the child changes its own copy
        print "child round $round sum ", sum(), "\n";
        exit($round);
    }
    my @lines = <$from>;
    close($from);
    print "round $round: @lines", "  status ", $? >> 8, " parent sum ", sum(), "\n";
}

my $pid = open(my $to, '|-') // die "fork: $!";
if ($pid == 0) {
    my $line = <STDIN>;
    $data{1} = 'changed in child';
    print "child read: $line";
    exit(0);
}
print $to "to the child\n";
close($to);
print "write form: status $? data{1}=$data{1}\n";

$pid = open(my $three, '-|', '-') // die "fork: $!";
if ($pid == 0) {
    print "three-argument form child\n";
    exit(4);
}
my @lines = <$three>;
close($three);
print "three-argument: @lines", "  status ", $? >> 8, "\n";
print "held ", length($held), "\n";
