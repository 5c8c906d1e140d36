# Failing execs at each of Perl's built-in sites: what each call returns, the
# warning the child prints (through a __WARN__ handler: Perl code run in the
# child), and the parent's state afterwards. From a threaded process.
# Usage: perl perl_exec_fails.pl [fatal]
use strict;
use warnings;
use threads;

threads->create(sub { while (1) { select(undef, undef, undef, 0.01) } })->detach;
$| = 1;
open(STDERR, '>&', \*STDOUT) or die;
STDERR->autoflush(1);
my $parent = $$;
my $warned = 0;
$SIG{__WARN__} = sub { $warned++; print STDERR "warning: $_[0]" };
our $scoped = 'outer';

sub status { return "?=$? errno=" . ($! + 0) }

if (@ARGV && $ARGV[0] eq 'fatal') {
    # FATAL warnings: the child dies inside eval and runs the rest of the
    # program natively (in its copy); the parent sees a 0 status.
    use warnings FATAL => 'exec';
    my $rc = eval { system('/nonexistent/fatal', 'arg') };
    print "after eval in ", ($$ == $parent ? 'parent' : 'child'), ": rc=", $rc // 'undef',
        " died=", ($@ ? 1 : 0), "\n";
    exit(0) if $$ != $parent;
    print "parent: warned=$warned\n";
    exit(0);
}

sub with_local {
    local $scoped = 'inner';
    return shift->();
}

print "system list: rc=", with_local(sub { system('/nonexistent/program', 'arg') }), " ", status(), "\n";
print "system string: rc=", with_local(sub { system('/nonexistent/program') }), " ", status(), "\n";
print "system shell: rc=", system('/nonexistent/program 2>/dev/null; exit 3'), " ", status(), "\n";
my $out = `/nonexistent/backtick`;
print "backtick: defined=", (defined $out ? 1 : 0), " ", status(), "\n";
my $ok = open(my $list, '-|', '/nonexistent/list', 'arg');
print "open list: ok=", ($ok ? 1 : 0), " errno=", ($! + 0), "\n";
$ok = open(my $string, '/nonexistent/string |');
print "open string: ok=", ($ok ? 1 : 0), " errno=", ($! + 0), "\n";
$ok = open(my $writer, '|-', '/nonexistent/writer');
print "open write: ok=", ($ok ? 1 : 0), " errno=", ($! + 0), "\n";
print "parent: warned=$warned scoped=$scoped pid_same=", ($$ == $parent ? 1 : 0), "\n";
print "after: ", `echo parent still spawns`;
