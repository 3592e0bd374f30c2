using System.Diagnostics;
using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Reconciliation;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Benchmarks;

/// <summary>
/// Generates a ledger and a bank statement of <c>count</c> items each over a year, as real data looks,
/// with the answer a person would give, and measures the matcher against it: how many of the matches
/// it made automatically are right (precision), how many of the true pairs it found (recall), how many
/// it left as suggestions, and how many payouts it got exactly right. The generator knows nothing of the
/// rules' thresholds or scores: it only writes what banks and PSPs send.
/// </summary>
/// <remarks>
/// Of every 100 ledger items: 60 are payments the bank line names by end-to-end id or by reference (the
/// reference re-typed by the bank: upper case, spaces or dashes dropped; references are sequential, so
/// they are near-duplicates of each other), 2 are partial captures named by reference with a smaller
/// amount, 18 are transfers the bank line names by nothing but amount, date and the counterparty (as
/// the bank writes it: upper case, the legal form spelled otherwise), a quarter of them at a common
/// price, 12 are card charges paid out by a PSP in daily payouts net of 1.4 % + 0.25 fees (one payout
/// in five also nets a refund; nine in ten carry the payout id on the ledger items and on the bank line),
/// 2 are payments the bank later reversed (for half of them the ledger booked the refund, naming the
/// payment's reference), and 6 are
/// still in flight. Value dates are early or late: −1 to +3 days. The statement is filled up to
/// <c>count</c> with lines nobody booked: bank fees of a few common amounts and unknown deposits.
/// </remarks>
internal static class MatchBenchmark
{
    private static readonly Currency Eur = Currency.Of("EUR");
    private static readonly DateOnly Start = new(2025, 1, 1);
    private static readonly long[] CommonPrices = [499, 999, 1499, 1999, 2500, 4999, 9900, 10000, 19900, 50000];
    private static readonly string[] First = ["Nordic", "Alpine", "Blue", "Golden", "Rapid", "Silver", "Green", "United", "Bright", "Royal", "Atlas", "Delta",
        "Pioneer", "Summit", "Harbor", "Metro", "Crown", "Vertex", "Orbit", "Cedar"];
    private static readonly string[] Second = ["Logistics", "Bakery", "Consulting", "Software", "Dental", "Motors", "Textiles", "Foods", "Energy", "Design",
        "Media", "Pharma", "Robotics", "Travel", "Optics", "Studios", "Farms", "Labs", "Freight", "Gardens"];
    private static readonly (string Ledger, string Bank)[] Forms = [("GmbH", "GMBH"), ("B.V.", "BV"), ("Ltd", "LIMITED"), ("Inc.", "INC"), ("S.A.", "SA"), ("AG", "AG"), ("LLC", "L.L.C.")];

    private enum Kind { Keyed, Partial, Named, Payout, Reversed, InFlight }

    /// <returns>The exit code: 1 when auto-match precision is under 99.9 % or an item is lost or placed twice.</returns>
    public static int Run(int count, int seed)
    {
        var generation = Stopwatch.StartNew();
        var data = Generate(count, seed);
        generation.Stop();
        var options = new MatchOptions { DateWindowDays = 3, FeeTolerance = new FeeTolerance(0, 250) };
        Console.WriteLine($"generated {data.Ledger.Length:N0} ledger items and {data.Statement.Length:N0} statement lines in {generation.Elapsed.TotalSeconds:N2} s (seed {seed})");

        var matching = Stopwatch.StartNew();
        var result = Matcher.Match(data.Ledger, data.Statement, options);
        matching.Stop();

        Console.WriteLine($"match wall time:      {matching.Elapsed.TotalSeconds:N2} s");
        Report.Memory();
        return Score(data, result);
    }

    /// <summary>
    /// A match is right when it holds exactly the items the generator put together: a pair a ledger item and
    /// its own line, a group a payout line and exactly its charges. Recall and suggested count the true
    /// links (a ledger item and the line that settles it): found when the item sits in a right automatic
    /// match, suggested when its suggestion's proposal holds it.
    /// </summary>
    private static int Score(Data data, MatchResult result)
    {
        var errors = new List<string>();
        var placedInternal = result.Pairs.Count + result.Groups.Sum(g => g.Internal.Count) + result.Mismatches.Count + result.UnmatchedInternal.Count
            + result.Suggestions.Sum(s => s.Proposal.Internal.Count);
        var placedExternal = result.Pairs.Count + result.Groups.Sum(g => g.External.Count) + result.Mismatches.Count + result.UnmatchedExternal.Count
            + result.Suggestions.Sum(s => s.Proposal.External.Count);
        if (placedInternal != data.Ledger.Length || placedExternal != data.Statement.Length)
        {
            errors.Add($"{placedInternal} of {data.Ledger.Length} ledger items and {placedExternal} of {data.Statement.Length} lines placed");
        }

        var matches = result.Pairs.Select(p => (Rule: p.Rule, Internal: (IReadOnlyList<LedgerItem>)[p.Internal], External: (IReadOnlyList<StatementLine>)[p.External]))
            .Concat(result.Groups.Select(g => (g.Rule, g.Internal, g.External)))
            .ToList();
        var found = new HashSet<string>(StringComparer.Ordinal);
        Console.WriteLine($"{"rule",-26} {"made",9} {"right",9} {"precision",10}");
        foreach (var rule in Enum.GetValues<MatchRule>())
        {
            var made = matches.Where(m => m.Rule == rule).ToList();
            if (made.Count == 0)
            {
                continue;
            }

            var right = made.Where(m => IsRight(data, m.Internal, m.External)).ToList();
            right.ForEach(m => found.UnionWith(m.Internal.Select(i => i.Id)));
            Console.WriteLine($"{rule,-26} {made.Count,9:N0} {right.Count,9:N0} {Percent(right.Count, made.Count),9} %");
        }

        var madeAll = matches.Count;
        var rightAll = matches.Count(m => IsRight(data, m.Internal, m.External));
        var precision = madeAll == 0 ? 100.0 : 100.0 * rightAll / madeAll;
        var links = data.Truth.Count;
        var suggested = result.Suggestions.SelectMany(s => s.Proposal.Internal).Count(i => data.Truth.ContainsKey(i.Id));
        var suggestedRight = result.Suggestions.Count(s => IsRight(data, s.Proposal.Internal, s.Proposal.External));
        Console.WriteLine($"auto-match precision: {Percent(rightAll, madeAll)} % ({rightAll:N0} of {madeAll:N0} matches right)");
        Console.WriteLine($"recall: {Percent(found.Count, links)} % ({found.Count:N0} of {links:N0} true links matched automatically)");
        Console.WriteLine($"suggested: {Percent(suggested, links)} % ({suggested:N0} true links in {result.Suggestions.Count:N0} suggestions, {suggestedRight:N0} of whose proposals are right)");
        Console.WriteLine($"{"amount mismatches",-26} {result.Mismatches.Count,9:N0} ({data.Partial:N0} partial captures generated)");
        Console.WriteLine($"{"unmatched ledger items",-26} {result.UnmatchedInternal.Count,9:N0}");
        Console.WriteLine($"{"unmatched statement lines",-26} {result.UnmatchedExternal.Count,9:N0} ({result.UnmatchedExternal.Count(e => e.IsReversal):N0} reversals)");
        foreach (var withId in new[] { true, false })
        {
            var payouts = data.Payouts.Where(p => p.Value.WithId == withId).ToList();
            var exact = payouts.Count(p => result.Groups.Any(g => g.External.Count == 1 && g.External[0].LineId == p.Key
                && g.Internal.Select(i => i.Id).Order(StringComparer.Ordinal).SequenceEqual(p.Value.Members)));
            Console.WriteLine($"payouts {(withId ? "with" : "without")} a payout id exactly right: {Percent(exact, payouts.Count)} % ({exact:N0} of {payouts.Count:N0})");
        }

        if (precision < 99.9)
        {
            errors.Add($"auto-match precision {precision:N3} % is under 99.9 %");
        }

        foreach (var error in errors)
        {
            Console.Error.WriteLine("wrong answer: " + error);
        }

        return errors.Count == 0 ? 0 : 1;
    }

    private static bool IsRight(Data data, IReadOnlyList<LedgerItem> internals, IReadOnlyList<StatementLine> externals)
    {
        if (externals.Count == 1 && data.Payouts.TryGetValue(externals[0].LineId, out var payout))
        {
            return internals.Select(i => i.Id).Order(StringComparer.Ordinal).SequenceEqual(payout.Members);
        }

        return internals.Count == 1 && externals.Count == 1 && data.Truth.TryGetValue(internals[0].Id, out var line) && line == externals[0].LineId;
    }

    private static string Percent(int part, int whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("N2", System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="Truth">Each ledger item that a line settles, and that line's id.</param>
    /// <param name="Payouts">Each payout line, its charges' ids in ordinal order, and whether the ids name it.</param>
    private sealed record Data(
        LedgerItem[] Ledger, StatementLine[] Statement, Dictionary<string, string> Truth, Dictionary<string, (string[] Members, bool WithId)> Payouts, int Partial);

    private static Data Generate(int count, int seed)
    {
        var random = new Random(seed);
        var ledger = new List<LedgerItem>(count);
        var statement = new List<StatementLine>(count);
        var truth = new Dictionary<string, string>(count, StringComparer.Ordinal);
        var payouts = new Dictionary<string, (string[], bool)>(StringComparer.Ordinal);
        var charges = new SortedDictionary<int, List<LedgerItem>>();
        var partial = 0;
        var lineNo = 0;
        string NextLine() => $"L{lineNo++:D8}";

        for (var i = 0; i < count; i++)
        {
            var id = $"T{i:D8}";
            var day = random.Next(365);
            var valueDay = day + Shift(random);
            var (name, bankName) = Name(random);
            var kind = (i % 100) switch
            {
                < 60 => Kind.Keyed,
                < 62 => Kind.Partial,
                < 80 => Kind.Named,
                < 92 => Kind.Payout,
                < 94 => Kind.Reversed,
                _ => Kind.InFlight,
            };
            var amount = kind == Kind.Named && random.Next(4) == 0 ? CommonPrices[random.Next(CommonPrices.Length)] : random.Next(100, 10_000_000);
            var reference = $"INV-{i:D7}";
            switch (kind)
            {
                case Kind.Keyed or Kind.Reversed:
                {
                    var byEndToEnd = random.Next(2) == 0;
                    var sign = random.Next(3) == 0 ? -1 : 1;
                    ledger.Add(Item(id, sign * amount, day, reference, byEndToEnd ? $"E2E{i:D9}" : null, name));
                    var line = NextLine();
                    statement.Add(Line(line, sign * amount, valueDay, byEndToEnd ? null : Retyped(reference, random), byEndToEnd ? $"E2E{i:D9}" : null, bankName));
                    truth[id] = line;
                    if (kind == Kind.Reversed)
                    {
                        // The bank takes the money back a few days later; half the time the ledger booked the refund.
                        var reversal = NextLine();
                        var reversalDay = valueDay + random.Next(1, 10);
                        statement.Add(Line(reversal, -sign * amount, reversalDay, Retyped(reference, random), null, bankName) with { IsReversal = true });
                        if (random.Next(2) == 0)
                        {
                            var refund = "R" + id[1..];
                            ledger.Add(Item(refund, -sign * amount, reversalDay - Shift(random), reference, null, name) with { Reverses = true });
                            truth[refund] = reversal;
                        }
                    }

                    break;
                }

                case Kind.Partial:
                    // Authorised in full, captured in part: the line names the payment but takes less. A break, not a pair.
                    ledger.Add(Item(id, amount, day, reference, null, name));
                    statement.Add(Line(NextLine(), amount * random.Next(20, 95) / 100, valueDay, Retyped(reference, random), null, bankName));
                    partial++;
                    break;
                case Kind.Named:
                {
                    var sign = random.Next(3) == 0 ? -1 : 1;
                    ledger.Add(Item(id, sign * amount, day, null, null, name));
                    var line = NextLine();
                    statement.Add(Line(line, sign * amount, valueDay, null, null, bankName));
                    truth[id] = line;
                    break;
                }

                case Kind.Payout:
                {
                    var charge = Item(id, random.Next(500, 50_001), day, "ch_" + i, null, name);
                    ledger.Add(charge);
                    (charges.TryGetValue(day, out var ofDay) ? ofDay : charges[day] = []).Add(charge);
                    break;
                }

                default:
                    ledger.Add(Item(id, -amount, day, null, null, name));
                    break;
            }
        }

        // One payout a day: the day's charges (in shops of about 40 charges each), net of fees, two days later.
        var at = new Dictionary<string, int>(ledger.Count, StringComparer.Ordinal);
        for (var n = 0; n < ledger.Count; n++)
        {
            at[ledger[n].Id] = n;
        }

        foreach (var (day, ofDay) in charges)
        {
            for (var start = 0; start < ofDay.Count; start += 40)
            {
                var members = ofDay.Skip(start).Take(40).ToList();
                var withId = random.Next(10) != 0;
                var payoutId = $"po_{day:D3}{start:D5}";
                if (random.Next(5) == 0)
                {
                    // A refund netted against the charges.
                    var refund = Item($"F{day:D3}{start:D5}", -random.Next(500, 5_000), day, null, null, "Customer");
                    members.Add(refund);
                    at[refund.Id] = ledger.Count;
                    ledger.Add(refund);
                }

                if (withId)
                {
                    for (var m = 0; m < members.Count; m++)
                    {
                        members[m] = members[m] with { PayoutId = payoutId };
                        ledger[at[members[m].Id]] = members[m];
                    }
                }

                var gross = members.Sum(c => c.Amount.Minor);
                var fees = members.Where(c => c.Amount.Minor > 0).Sum(c => (c.Amount.Minor * 140 / 10_000) + 25);
                var line = NextLine();
                statement.Add(Line(line, gross - fees, day + 2, withId ? payoutId : "STRIPE PAYOUT", null, "STRIPE PAYMENTS EUROPE LTD"));
                payouts.Add(line, ([.. members.Select(c => c.Id).Order(StringComparer.Ordinal)], withId));
                members.ForEach(c => truth[c.Id] = line);
            }
        }

        // Lines nobody booked: bank fees of a few common amounts, and unknown deposits.
        while (statement.Count < count)
        {
            var fee = random.Next(10) < 7;
            statement.Add(Line(NextLine(), fee ? -CommonPrices[random.Next(3)] / 10 : random.Next(100, 10_000_000), random.Next(365), null, null, fee ? "BANK" : "UNKNOWN"));
        }

        // The matcher must not depend on the order it is given: hand it both sides shuffled.
        var ledgerArray = ledger.ToArray();
        var statementArray = statement.ToArray();
        random.Shuffle(ledgerArray);
        random.Shuffle(statementArray);
        return new Data(ledgerArray, statementArray, truth, payouts, partial);
    }

    /// <summary>Value dates: mostly the same or next day, sometimes a day early, sometimes up to three late.</summary>
    private static int Shift(Random random) => random.Next(20) switch
    {
        < 8 => 0,
        < 14 => 1,
        < 16 => 2,
        < 17 => 3,
        _ => -1,
    };

    /// <summary>How a bank re-types a reference: as it was, upper-cased, or without its dash.</summary>
    private static string Retyped(string reference, Random random) => random.Next(3) switch
    {
        0 => reference,
        1 => reference.ToLowerInvariant(),
        _ => reference.Replace("-", " ", StringComparison.Ordinal),
    };

    /// <summary>A counterparty as the ledger has it and as the bank writes it.</summary>
    private static (string Ledger, string Bank) Name(Random random)
    {
        var (form, bankForm) = Forms[random.Next(Forms.Length)];
        var name = $"{First[random.Next(First.Length)]} {Second[random.Next(Second.Length)]} {random.Next(1000)}";
        return ($"{name} {form}", $"{name.ToUpperInvariant()} {bankForm}");
    }

    private static LedgerItem Item(string id, long minor, int day, string? reference, string? endToEnd, string name) =>
        new(id, new Money(minor, Eur), Start.AddDays(day), reference, endToEnd, name);

    private static StatementLine Line(string id, long minor, int day, string? reference, string? endToEnd, string name)
    {
        var date = Start.AddDays(day);
        return new StatementLine(id, 0, new Money(minor, Eur), date, date, reference, endToEnd, name, null);
    }
}
