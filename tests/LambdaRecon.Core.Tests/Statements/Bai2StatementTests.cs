using LambdaRecon.Core.Monetary;
using LambdaRecon.Core.Statements;

namespace LambdaRecon.Core.Tests.Statements;

/// <summary>
/// The fixture bai2-two-accounts.bai is written from the BAI Version 2 specification: a USD account
/// with summaries continued by an 88, a wire (funds type S) whose text an 88 continues, a check, and
/// an ACH debit (funds type V) whose references an 88 carries; then a JPY account with a negative
/// opening ledger and a detail without a bank reference. Its trailers' totals and counts are right.
/// </summary>
public class Bai2StatementTests
{
    private static readonly Currency Usd = Currency.Of("USD");
    private static readonly Currency Jpy = Currency.Of("JPY");

    private static string Fixture() =>
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Statements", "Fixtures", "bai2-two-accounts.bai"));

    private static IReadOnlyList<BankStatement> Parse(string text)
    {
        Assert.True(Bai2Statement.TryParse(new StringReader(text), out var accounts, out var error), error?.ToString());
        return accounts;
    }

    private static StatementError Refused(string text)
    {
        Assert.False(Bai2Statement.TryParse(new StringReader(text), out var accounts, out var error));
        Assert.Empty(accounts);
        return error!;
    }

    /// <summary>The fixture with one line replaced (1-based), the rest as it is.</summary>
    private static string WithLine(int number, string replacement)
    {
        var lines = Fixture().Split('\n');
        lines[number - 1] = replacement;
        return string.Join('\n', lines);
    }

    [Fact]
    public void Each_account_of_the_file_is_a_statement_with_its_identity_and_ledger_balances()
    {
        var accounts = Parse(Fixture());

        Assert.Equal(["0975312468", "5550001111"], accounts.Select(a => a.Account!.Id));
        var (usd, jpy) = (accounts[0], accounts[1]);
        Assert.Equal((Usd, new DateOnly(2025, 3, 2), 3), (usd.Currency, usd.Closing!.Value.Date, usd.SourceLine));
        Assert.Equal((new Money(500000, Usd), new Money(423750, Usd)), (usd.Opening!.Value.Amount, usd.Closing!.Value.Amount));
        Assert.Equal((new Money(-25000, Jpy), new Money(75000, Jpy)), (jpy.Opening!.Value.Amount, jpy.Closing!.Value.Amount));
    }

    [Fact]
    public void Credits_are_positive_debits_negative_and_amounts_are_minor_units_of_the_account_currency()
    {
        var accounts = Parse(Fixture());

        Assert.Equal(["1000.00", "-1500.00", "-262.50"], accounts[0].Lines.Select(l => l.Amount.ToDecimalString()));
        Assert.All(accounts[0].Lines, l => Assert.Equal(Usd, l.Amount.Currency));
        var deposit = Assert.Single(accounts[1].Lines);
        Assert.Equal(new Money(100000, Jpy), deposit.Amount);
        Assert.Equal("100000", deposit.Amount.ToDecimalString());
    }

    [Fact]
    public void A_continuation_carries_on_the_text_of_a_detail_or_its_next_fields()
    {
        var lines = Parse(Fixture())[0].Lines;

        var wire = lines[0];
        Assert.Equal(("WIRE-0001", "INV-1001", "INCOMING WIRE FROM ACME GMBH, INVOICE 1001", 5), (wire.LineId, wire.Reference, wire.Description, wire.SourceLine));
        var ach = lines[2];
        Assert.Equal(("CUST-77", "ACH DEBIT PAYROLL", 8), (ach.Reference, ach.Description, ach.SourceLine));
        Assert.StartsWith("h-", ach.LineId, StringComparison.Ordinal);
        Assert.Equal(("CHK-0002", "000123", "CHECK PAID"), (lines[1].LineId, lines[1].Reference, lines[1].Description));
    }

    [Fact]
    public void Funds_type_V_gives_the_value_date_and_the_others_keep_the_as_of_date()
    {
        var lines = Parse(Fixture())[0].Lines;

        var asOf = new DateOnly(2025, 3, 2);
        Assert.Equal((asOf, asOf), (lines[0].BookingDate, lines[0].ValueDate)); // funds type S
        Assert.Equal((asOf, asOf), (lines[1].BookingDate, lines[1].ValueDate)); // defaulted
        Assert.Equal((asOf, new DateOnly(2025, 3, 3)), (lines[2].BookingDate, lines[2].ValueDate)); // funds type V
    }

    [Fact]
    public void A_detail_without_bank_reference_keeps_its_id_however_the_bank_splits_or_pads_it()
    {
        var split = Parse(Fixture())[0].Lines[2].LineId;
        var oneLine = Parse(WithLine(8, "16,455,26250,V,250303,1200,,CUST-77,ACH DEBIT PAYROLL/").Replace("88,,CUST-77,ACH DEBIT   PAYROLL/\n", "", StringComparison.Ordinal)
            .Replace("49,1476250,8/", "49,1476250,7/", StringComparison.Ordinal).Replace("98,1626250,2,13/", "98,1626250,2,12/", StringComparison.Ordinal)
            .Replace("99,1626250,1,15/", "99,1626250,1,14/", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal))[0].Lines[2].LineId;

        Assert.Equal(split, oneLine);
    }

    [Fact]
    public void Identical_details_without_bank_reference_are_both_kept()
    {
        var twice = WithLine(12, "16,301,50000,0,,,DEPOSIT/\n16,301,50000,0,,,DEPOSIT/")
            .Replace("49,150000,3/", "49,150000,4/", StringComparison.Ordinal)
            .Replace("98,1626250,2,13/", "98,1626250,2,14/", StringComparison.Ordinal)
            .Replace("99,1626250,1,15/", "99,1626250,1,16/", StringComparison.Ordinal);

        var lines = Parse(twice)[1].Lines;

        Assert.Equal(2, lines.Count);
        Assert.Equal(lines[0].LineId + "#2", lines[1].LineId);
    }

    [Theory]
    [InlineData(10, "49,1476251,8/", "control total 1476251 is not the sum of its 03 and 16 amounts, 1476250")]
    [InlineData(10, "49,1476250,7/", "account record count '7' is not the 8 records")]
    [InlineData(14, "98,1626250,1,13/", "number of accounts '1' is not the 2")]
    [InlineData(14, "98,1626250,2,12/", "group record count '12' is not the 13 records")]
    [InlineData(15, "99,1626249,1,15/", "file control total 1626249 is not the sum of its group control totals, 1626250")]
    [InlineData(15, "99,1626250,1,16/", "file record count '16' is not the 15 records")]
    public void A_trailer_that_disagrees_with_the_file_refuses_it_naming_the_trailer(int line, string trailer, string reason)
    {
        var error = Refused(WithLine(line, trailer));

        Assert.Equal(line, error.Line);
        Assert.Equal("record " + trailer[..2], error.Element);
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Opening_plus_lines_other_than_closing_is_refused_naming_the_difference()
    {
        // The closing ledger one cent higher, and the control totals with it, so only the balance is wrong.
        var text = Fixture().Replace("015,423750", "015,423751", StringComparison.Ordinal)
            .Replace("49,1476250,8/", "49,1476251,8/", StringComparison.Ordinal)
            .Replace("1626250", "1626251", StringComparison.Ordinal);

        var error = Refused(text);

        Assert.Equal((10, "record 49"), (error.Line, error.Element));
        Assert.Contains("account 0975312468 (line 3): opening ledger 5000.00 + lines -762.50 = 4237.50, but the closing ledger is 4237.51 (difference 0.01)", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7, "16,475,1500.00,,CHK-0002,000123,CHECK PAID/", "record 16", "the amount '1500.00' is not an unsigned count of minor units")]
    [InlineData(7, "16,475,-150000,,CHK-0002,000123,CHECK PAID/", "record 16", "the amount '-150000' is not an unsigned")]
    [InlineData(7, "16,47,150000,,CHK-0002,000123,CHECK PAID/", "record 16", "type code '47' is not three digits")]
    [InlineData(7, "16,715,150000,,CHK-0002,000123,CHECK PAID/", "record 16", "type code 715 is not a credit (100–399) or a debit (400–699)")]
    [InlineData(7, "16,475,150000,X,CHK-0002,000123,CHECK PAID/", "record 16", "funds type 'X' is none of 0, 1, 2, S, V, D, Z")]
    [InlineData(7, "16,475,150000,V,250230,,CHK-0002,000123,CHECK PAID/", "record 16", "value date (funds type V) '250230' is not a YYMMDD date")]
    [InlineData(7, "16,475,150000,V,250303,2500,CHK-0002,000123,CHECK PAID/", "record 16", "value time '2500' is not HHMM")]
    [InlineData(7, "16,475,150000,S,1,,x,CHK-0002,000123,CHECK PAID/", "record 16", "the two-or-more-day availability (funds type S) 'x' is not")]
    [InlineData(7, "16,475,150000,D,2,0,100,1,CHK-0002,000123,CHECK PAID/", "record 16", "the amount of distribution 2 (funds type D) 'CHK-0002' is not")]
    [InlineData(7, "16,475,150000,,WIRE-0001,000123,CHECK PAID/", "record 16", "bank reference 'WIRE-0001' repeats the detail on line 5")]
    [InlineData(7, "17,475,150000,,CHK-0002,000123,CHECK PAID/", "record 17", "'17' is not a BAI2 record code")]
    [InlineData(7, "03,1,USD/", "record 03", "out of place: expected a 16 detail or the 49 account trailer")]
    [InlineData(3, "03,,USD,010,500000,,,015,423750,,/", "record 03", "the account number is empty")]
    [InlineData(3, "03,0975312468,USX,010,500000,,,015,423750,,/", "record 03", "'USX' is not an ISO 4217 currency code")]
    [InlineData(3, "03,0975312468,USD,010,5000.00,,,015,423750,,/", "record 03", "the amount of type 010 '5000.00' is not an optionally signed count")]
    [InlineData(2, "02,ACMECORP,BANKUS33,3,250302,2400,USD,2/", "record 02", "group status '3' is not 1")]
    [InlineData(2, "02,ACMECORP,BANKUS33,1,20250302,2400,USD,2/", "record 02", "as-of date '20250302' is not a YYMMDD date")]
    [InlineData(1, "01,BANKUS33,ACMECORP,250303,0800,1,80,,1/", "record 01", "version '1' is not 2")]
    public void A_malformed_record_refuses_the_file_naming_its_line_and_record(int line, string record, string element, string reason)
    {
        var error = Refused(WithLine(line, record));

        Assert.Equal((line, element), (error.Line, error.Element));
        Assert.Contains(reason, error.Reason, StringComparison.Ordinal);
        Assert.StartsWith($"line {line}, {element}: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_fault_in_a_continuation_names_the_line_of_the_record_it_continues()
    {
        var error = Refused(WithLine(4, "88,100,100000,1,Q/"));

        Assert.Equal((3, "record 03"), (error.Line, error.Element));
        Assert.Contains("funds type 'Q' is none of", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Funds_type_D_distributions_are_skipped_to_reach_the_references()
    {
        var check = Parse(WithLine(7, "16,475,150000,D,2,0,100000,1,50000,CHK-0002,000123,CHECK PAID/"))[0].Lines[1];

        Assert.Equal(("CHK-0002", "000123", "CHECK PAID", -150000L), (check.LineId, check.Reference, check.Description, check.Amount.Minor));
    }

    [Fact]
    public void Amounts_whose_sum_overflows_are_refused_not_thrown()
    {
        var text = WithLine(12, "16,301,9000000000000000000,0,,,DEPOSIT/\n16,301,9000000000000000000,0,,,DEPOSIT/");

        var error = Refused(text);

        Assert.Equal((13, "record 16"), (error.Line, error.Element));
        Assert.Contains("beyond a 64-bit count of minor units", error.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2400")]
    [InlineData("9999")]
    [InlineData("")]
    public void A_value_time_may_be_end_of_day_or_defaulted(string time)
    {
        var line = Parse(WithLine(8, $"16,455,26250,V,250303,{time}/"))[0].Lines[2];

        Assert.Equal(new DateOnly(2025, 3, 3), line.ValueDate);
    }

    [Fact]
    public void A_file_cut_short_or_not_starting_with_a_header_is_refused()
    {
        var cut = string.Join('\n', Fixture().Split('\n')[..13]);
        Assert.Contains("the file ends where an 03 account or the 98 group trailer is expected", Refused(cut).Reason, StringComparison.Ordinal);
        Assert.Equal((1, "record 88"), (Refused("88,1/").Line, Refused("88,1/").Element));
        Assert.Contains("expected an 01 file header", Refused(string.Join('\n', Fixture().Split('\n')[1..])).Reason, StringComparison.Ordinal);
        Assert.Contains("an 01 file header is expected", Refused("").Reason, StringComparison.Ordinal);
        Assert.Contains("nothing after the 99 file trailer", Refused(Fixture() + "99,0,0,2/\n").Reason, StringComparison.Ordinal);
    }
}
