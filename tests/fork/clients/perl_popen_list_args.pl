# open(FH, '-|', LIST): Perl_my_popen_list stringifies the arguments after
# the command in the child (do_aexec5's SvPV), with get-magic: an overloaded
# or tied argument runs Perl code there, and a number gets a string cache.
# Natively that happens in the child's copy; the parent never sees it.
use strict;
use warnings;
use threads;
use B;

threads->create(sub { while (1) { select(undef, undef, undef, 0.01) } })->detach;
$| = 1;

package Stringified {
    use overload '""' => sub { $main::stringified++; 'overloaded' };
    sub new { return bless {}, shift }
}
package Fetched {
    sub TIESCALAR { my $v = 'tied'; return bless \$v, shift }
    sub FETCH { $main::fetched++; return ${ $_[0] } }
}

our $stringified = 0;
our $fetched = 0;
my $object = Stringified->new;
tie my $tied, 'Fetched';
my $number = 42;

open(my $from, '-|', '/bin/echo', 'args:', $object, $tied, $number) or die "open: $!";
my $line = <$from>;
close($from);
print "child printed: $line";
print "parent: overload ran $stringified times, FETCH ran $fetched times\n";
print "parent: \$number is a ", ((B::svref_2object(\$number)->FLAGS & B::SVp_POK) ? 'string' : 'number'), "\n";
