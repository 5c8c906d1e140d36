# Perl fork with Perl code in the child, from a threaded process: must behave
# as natively (never emulated).
use strict;
use warnings;
use threads;

my $thread = threads->create(sub { while (1) { select(undef, undef, undef, 0.01) } });
$thread->detach;
my %data = map { $_ => $_ * 2 } 1 .. 1000;
for my $round (1 .. 3) {
    pipe(my $reader, my $writer) or die;
    my $pid = fork();
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        close $reader;
        $data{$_} = -1 for keys %data;   # the child changes its copy
        my $sum = 0;
        $sum += $_ for values %data;
        print $writer "$sum\n";
        close $writer;
        exit($round);
    }
    close $writer;
    my $line = <$reader>;
    waitpid($pid, 0);
    my $sum = 0;
    $sum += $_ for values %data;
    print "round $round child said $line", "child exit ", $? >> 8, " parent sum $sum\n";
}
