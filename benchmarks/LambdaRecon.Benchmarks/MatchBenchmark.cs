using System.Diagnostics;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// Generates a ledger and a statement of <c>count</c> items each over a year, with a known answer, and
/// times the matcher on them. Of every 100 ledger items: 78 pair by end-to-end id or reference (the line
/// 0–2 days later), 1 names its line but differs in amount, 10 pair by amount and date only (±2 days),
/// 5 are card charges (5–500 EUR) that one daily payout per day settles two days later, net of
/// 1.5 % + 0.30 fees, and 6 are outgoing payments still in flight. Lines nobody booked (7 in 10 bank
/// fees of 1–50 EUR, 3 in 10 unknown deposits) fill the statement up to <c>count</c>. A fifth of the amounts are common prices,
/// so amounts collide; ids are issued in a shuffled order, as UUIDs would be.
/// </summary>
internal static class MatchBenchmark
{
    private static readonly Currency Eur = Currency.Of("EUR");
    private static readonly DateOnly Start = new(2025, 1, 1);
    private static readonly long[] CommonPrices = [499, 999, 1499, 1999, 2500, 4999, 9900, 10000, 19900, 50000];
    private static readonly string[] Names = ["Acme GmbH", "Globex Corporation", "Initech", "Umbrella plc", "Hooli Inc", "Stark Industries", "Wayne Enterprises", "Tyrell Corp"];

    /// <returns>The exit code: 1 when the result contradicts what the generator knows for certain.</returns>
    public static int Run(int count, int seed)
    {
        var generation = Stopwatch.StartNew();
        var (ledger, statement, expected) = Generate(count, seed);
        generation.Stop();
        var options = new MatchOptions { DateWindowDays = 3, FeeTolerance = new FeeTolerance(0, 250) };
        Console.WriteLine($"generated {ledger.Length:N0} ledger items and {statement.Length:N0} statement lines in {generation.Elapsed.TotalSeconds:N2} s (seed {seed})");

        var matching = Stopwatch.StartNew();
        var result = Matcher.Match(ledger, statement, options);
        matching.Stop();

        Console.WriteLine($"match wall time:      {matching.Elapsed.TotalSeconds:N2} s");
        Report.Memory();
        foreach (var rule in Enum.GetValues<MatchRule>())
        {
            var pairs = result.Pairs.Count(p => p.Rule == rule);
            var groups = result.Groups.Where(g => g.Rule == rule).ToList();
            if (pairs + groups.Count > 0)
            {
                var members = groups.Sum(g => g.Internal.Count + g.External.Count);
                Console.WriteLine(groups.Count == 0
                    ? $"{rule,-26} {pairs,9:N0} pairs"
                    : $"{rule,-26} {groups.Count,9:N0} groups of {members:N0} items");
            }
        }

        var rightPairs = result.Pairs.Count(p => p.Internal.Id[1..] == p.External.LineId[1..]);
        var rightGroups = result.Groups.Count(g => expected.TryGetValue(g.External[0].LineId, out var members) && members.SequenceEqual(g.Internal.Select(i => i.Id)));
        var ownGroups = result.Groups.Count(g => expected.TryGetValue(g.External[0].LineId, out var members) && !g.Internal.Select(i => i.Id).Except(members).Any());
        Console.WriteLine($"{"amount mismatches",-26} {result.Mismatches.Count,9:N0}");
        Console.WriteLine($"{"unmatched ledger items",-26} {result.UnmatchedInternal.Count,9:N0}");
        Console.WriteLine($"{"unmatched statement lines",-26} {result.UnmatchedExternal.Count,9:N0}");
        Console.WriteLine($"against the generated answer: {rightPairs:N0} of {result.Pairs.Count:N0} pairs right; of {expected.Count:N0} payouts, {rightGroups:N0} exactly right and {ownGroups:N0} made only of their own charges");
        return Check(ledger, statement, result, count);
    }

    /// <summary>
    /// What the generator makes certain (amount-and-date pairs and payouts may fit by chance, so they are only
    /// reported): every item lands once; the 78 % named by a unique key pair with their own line by rule 1;
    /// the 1 % named by a key with another amount are exactly the mismatches.
    /// </summary>
    private static int Check(LedgerItem[] ledger, StatementLine[] statement, MatchResult result, int count)
    {
        var errors = new List<string>();
        var internals = result.Pairs.Count + result.Groups.Sum(g => g.Internal.Count) + result.Mismatches.Count + result.UnmatchedInternal.Count;
        var externals = result.Pairs.Count + result.Groups.Sum(g => g.External.Count) + result.Mismatches.Count + result.UnmatchedExternal.Count;
        if (internals != ledger.Length || externals != statement.Length)
        {
            errors.Add($"{internals} of {ledger.Length} ledger items and {externals} of {statement.Length} lines placed");
        }

        var keyed = result.Pairs.Where(p => p.Rule is MatchRule.EndToEndId or MatchRule.Reference).ToList();
        var expectedKeyed = (count / 100 * 78) + Math.Min(count % 100, 78);
        if (keyed.Count != expectedKeyed || keyed.Any(p => p.Internal.Id[1..] != p.External.LineId[1..]))
        {
            errors.Add($"{keyed.Count} pairs by key, {keyed.Count(p => p.Internal.Id[1..] != p.External.LineId[1..])} of them wrong; {expectedKeyed} expected, all right");
        }

        var expectedMismatches = (count / 100) + (count % 100 > 78 ? 1 : 0);
        if (result.Mismatches.Count != expectedMismatches || result.Mismatches.Any(m => m.Internal.Id[1..] != m.External.LineId[1..]))
        {
            errors.Add($"{result.Mismatches.Count} mismatches; {expectedMismatches} expected, each with its own line");
        }

        foreach (var error in errors)
        {
            Console.Error.WriteLine("wrong answer: " + error);
        }

        return errors.Count == 0 ? 0 : 1;
    }

    private static (LedgerItem[] Ledger, StatementLine[] Statement, Dictionary<string, string[]> Payouts) Generate(int count, int seed)
    {
        var random = new Random(seed);
        var ledger = new List<LedgerItem>(count);
        var statement = new List<StatementLine>(count);
        var payouts = new Dictionary<string, string[]>();
        var charges = new SortedDictionary<int, List<LedgerItem>>();

        for (var i = 0; i < count; i++)
        {
            var id = $"{i:D8}";
            var day = random.Next(365);
            var amount = Amount(random);
            var name = Names[random.Next(Names.Length)];
            switch (i % 100)
            {
                case < 78:
                    var byEndToEnd = i % 2 == 0;
                    ledger.Add(Item("T" + id, amount, day, "INV-" + id, byEndToEnd ? "E2E-" + id : null, name));
                    statement.Add(Line("S" + id, amount, day + random.Next(3), byEndToEnd ? null : "INV-" + id, byEndToEnd ? "E2E-" + id : null, name));
                    break;
                case 78:
                    ledger.Add(Item("T" + id, amount, day, "INV-" + id, null, name));
                    statement.Add(Line("S" + id, amount + random.Next(1, 100), day, "INV-" + id, null, name));
                    break;
                case < 89:
                    ledger.Add(Item("T" + id, amount, day, null, null, name));
                    statement.Add(Line("S" + id, amount, day + random.Next(-2, 3), null, null, name.ToUpperInvariant()));
                    break;
                case < 94:
                    var charge = Item("T" + id, random.Next(500, 50_001), day, "ch_" + id, null, name);
                    ledger.Add(charge);
                    (charges.TryGetValue(day, out var ofDay) ? ofDay : charges[day] = []).Add(charge);
                    break;
                default:
                    ledger.Add(Item("T" + id, -Math.Abs(amount), day, null, null, name));
                    break;
            }
        }

        foreach (var (day, ofDay) in charges)
        {
            var gross = ofDay.Sum(c => c.Amount.Minor);
            var fees = ofDay.Sum(c => (c.Amount.Minor * 150 / 10_000) + 30);
            var payoutId = $"P{day:D8}";
            statement.Add(Line(payoutId, gross - fees, day + 2, "STRIPE PAYOUT", null, "STRIPE"));
            payouts.Add(payoutId, [.. ofDay.Select(c => c.Id).Order(StringComparer.Ordinal)]);
        }

        // Lines nobody booked: mostly bank fees, some unknown deposits.
        for (var i = statement.Count; i < count; i++)
        {
            var fee = random.Next(10) < 7;
            statement.Add(Line($"U{i:D8}", fee ? -random.Next(100, 5_001) : Amount(random), random.Next(365), null, null, fee ? "BANK" : "UNKNOWN"));
        }

        // The matcher must not depend on the order it is given: hand it both sides shuffled.
        var ledgerArray = ledger.ToArray();
        var statementArray = statement.ToArray();
        random.Shuffle(ledgerArray);
        random.Shuffle(statementArray);
        return (ledgerArray, statementArray, payouts);
    }

    private static long Amount(Random random) =>
        random.Next(5) == 0 ? CommonPrices[random.Next(CommonPrices.Length)] : random.Next(100, 10_000_000);

    private static LedgerItem Item(string id, long minor, int day, string? reference, string? endToEnd, string name) =>
        new(id, new Money(minor, Eur), Start.AddDays(day), reference, endToEnd, name);

    private static StatementLine Line(string id, long minor, int day, string? reference, string? endToEnd, string name)
    {
        var date = Start.AddDays(day);
        return new StatementLine(id, 0, new Money(minor, Eur), date, date, reference, endToEnd, name, null);
    }
}
