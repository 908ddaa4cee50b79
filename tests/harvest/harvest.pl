#!/usr/bin/perl
# Harvests a whole OAI-PMH list the way an aggregator does, with HTTP::OAI (Debian's
# libhttp-oai-perl): Identify, then ListRecords or ListIdentifiers, following every
# resumptionToken until the list ends.
#
#   harvest.pl BASE_URL VERB PREFIX OUT [SET [FROM [UNTIL]]]
#
# Writes one line per record to OUT: identifier, "deleted" or "", datestamp, the first
# dc:title (oai_dc records; "" otherwise), tab-separated. Exits 1 with the reason on any
# OAI-PMH or HTTP error (noRecordsMatch included: the caller asks for lists that exist).
use strict;
use warnings;
use HTTP::OAI;
use HTTP::OAI::Metadata::OAI_DC;

my ($base, $verb, $prefix, $out, $set, $from, $until) = @ARGV;
die "usage: harvest.pl BASE_URL VERB PREFIX OUT [SET [FROM [UNTIL]]]\n" unless defined $out;
die "harvest.pl: VERB is ListRecords or ListIdentifiers\n"
    unless $verb eq 'ListRecords' || $verb eq 'ListIdentifiers';

my $harvester = HTTP::OAI::Harvester->new(baseURL => $base);
my $identify = $harvester->Identify;
die "Identify: " . $identify->code . " " . $identify->message . "\n" if $identify->is_error;

open(my $fh, '>', $out) or die "harvest.pl: $out: $!\n";
binmode($fh, ":encoding(UTF-8)");
my $count = 0;
my $write = sub {
    my ($item) = @_;
    my $header = $item->isa('HTTP::OAI::Record') ? $item->header : $item;
    my $title = '';
    if ($item->isa('HTTP::OAI::Record') && !$header->is_deleted && $item->metadata
        && $item->metadata->can('dc')) {
        my $titles = $item->metadata->dc->{'title'};
        $title = $titles->[0] if $titles && @$titles;
    }
    printf $fh "%s\t%s\t%s\t%s\n", $header->identifier, ($header->is_deleted ? 'deleted' : ''),
        $header->datestamp, $title;
    ++$count;
};

my %arguments = (metadataPrefix => $prefix, onRecord => $write);
$arguments{set} = $set if defined $set && $set ne '';
$arguments{from} = $from if defined $from && $from ne '';
$arguments{until} = $until if defined $until && $until ne '';
$arguments{handlers} = {metadata => 'HTTP::OAI::Metadata::OAI_DC'}
    if $verb eq 'ListRecords' && $prefix eq 'oai_dc';

my $response = $verb eq 'ListRecords' ? $harvester->ListRecords(%arguments)
                                      : $harvester->ListIdentifiers(%arguments);
die "$verb: " . $response->code . " " . $response->message . "\n" if $response->is_error;
for my $error ($response->errors) {
    die "$verb: OAI-PMH error " . $error->code . ": " . $error->message . "\n";
}
close($fh) or die "harvest.pl: $out: $!\n";
print "$count\n";
