using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>How a CSV export signs its amounts.</summary>
public enum CsvSign
{
    /// <summary>One amount column: credits positive, debits negative.</summary>
    SignedAmount,

    /// <summary>One amount column signed the other way: debits positive (card and loan statements).</summary>
    InvertedAmount,

    /// <summary>A debit and a credit column, one of them filled per line, each holding a magnitude.</summary>
    DebitCredit,

    /// <summary>An amount column holding the magnitude and a direction column saying debit or credit ("D"/"C", "DBIT"/"CRDT").</summary>
    Direction,
}

/// <summary>The character encodings a CSV export may come in; each is decoded exactly or refused.</summary>
public enum CsvEncoding
{
    Utf8,
    Latin1,
    Windows1252,
}

/// <summary>
/// Which CSV column holds what, and how its values are written. A mapping is either built in
/// (<see cref="Named"/>) or defined by a tenant as JSON (<see cref="CsvMappingDefinition"/>).
/// </summary>
/// <remarks>
/// Required: <see cref="BookingDate"/>; the amount columns <see cref="Sign"/> asks for; and
/// <see cref="Currency"/> unless <see cref="DefaultCurrency"/> is set. Every other column is optional:
/// when the header lacks it, the field is empty on every line.
/// </remarks>
public sealed record CsvMapping
{
    public required string Name { get; init; }

    public char Delimiter { get; init; } = ',';

    public CsvEncoding Encoding { get; init; } = CsvEncoding.Utf8;

    /// <summary>Physical lines before the header (or the first record) to ignore: a bank's title, account and period lines.</summary>
    public int SkipRows { get; init; }

    /// <summary>False when the first record is already a line: every column must then be given by position.</summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// '.' or ','; null for "whichever the file writes", the same throughout the file and with no thousands
    /// separator (Stripe writes "-75,57" when exported with a European locale, "-75.57" otherwise).
    /// </summary>
    public char? DecimalSeparator { get; init; } = '.';

    /// <summary>A thousands separator ("1.234,56"), allowed only between groups of three digits; null when amounts have none.</summary>
    public char? GroupSeparator { get; init; }

    /// <summary>Exact formats (invariant culture) of date cells; a time part is dropped, the date kept as written.</summary>
    public IReadOnlyList<string> DateFormats { get; init; } = ["yyyy-MM-dd"];

    public CsvSign Sign { get; init; } = CsvSign.SignedAmount;

    public CsvColumn LineId { get; init; } = [];

    public required CsvColumn BookingDate { get; init; }

    public CsvColumn ValueDate { get; init; } = [];

    /// <summary>The amount: signed as <see cref="Sign"/> says, or a magnitude with <see cref="CsvSign.Direction"/>.</summary>
    public CsvColumn Amount { get; init; } = [];

    /// <summary>With <see cref="CsvSign.DebitCredit"/>: the debit's magnitude, whatever its sign.</summary>
    public CsvColumn Debit { get; init; } = [];

    public CsvColumn Credit { get; init; } = [];

    /// <summary>With <see cref="CsvSign.Direction"/>: the column holding one of <see cref="DebitValues"/> or <see cref="CreditValues"/>.</summary>
    public CsvColumn Direction { get; init; } = [];

    /// <summary>Values of <see cref="Direction"/> (ignoring case and surrounding blanks) that make a line a debit.</summary>
    public IReadOnlyList<string> DebitValues { get; init; } = [];

    public IReadOnlyList<string> CreditValues { get; init; } = [];

    /// <summary>An ISO 4217 code per line, in any letter case ("usd" as Stripe writes it).</summary>
    public CsvColumn Currency { get; init; } = [];

    /// <summary>The currency of lines whose currency column is missing or empty.</summary>
    public Currency? DefaultCurrency { get; init; }

    public CsvColumn Reference { get; init; } = [];

    public CsvColumn EndToEndId { get; init; } = [];

    public CsvColumn Counterparty { get; init; } = [];

    public CsvColumn Description { get; init; } = [];

    /// <summary>The provider's fee, positive when charged; with <see cref="Net"/>, net must equal amount − fee. Signed amounts only.</summary>
    public CsvColumn Fee { get; init; } = [];

    public CsvColumn Net { get; init; } = [];

    /// <summary>The provider's payout the line was paid out in (<see cref="StatementLine.PayoutId"/>).</summary>
    public CsvColumn PayoutId { get; init; } = [];

    /// <summary>The provider's kind of line (<see cref="StatementLine.Category"/>).</summary>
    public CsvColumn Category { get; init; } = [];

    /// <summary>
    /// With <see cref="OnlyValues"/>: only records whose value here is one of them are lines; the others
    /// (Revolut's PENDING, DECLINED and REVERTED transactions) are skipped. Not set: every record is a line.
    /// </summary>
    public CsvColumn OnlyWhere { get; init; } = [];

    public IReadOnlyList<string> OnlyValues { get; init; } = [];

    /// <summary>
    /// A typical bank export. Headers: <c>Date</c> (booking date, yyyy-MM-dd), <c>Amount</c> (signed,
    /// '.' decimals) and <c>Currency</c> are required; <c>Value Date</c>, <c>Id</c>, <c>Reference</c>,
    /// <c>End To End Id</c> (or <c>EndToEndId</c>), <c>Counterparty</c> and <c>Description</c> are optional.
    /// </summary>
    public static CsvMapping Generic { get; } = new()
    {
        Name = "generic",
        LineId = ["Id"],
        BookingDate = ["Date", "Booking Date"],
        ValueDate = ["Value Date"],
        Amount = ["Amount"],
        Currency = ["Currency"],
        Reference = ["Reference"],
        EndToEndId = ["End To End Id", "EndToEndId"],
        Counterparty = ["Counterparty"],
        Description = ["Description"],
    };

    /// <summary>
    /// Stripe's Dashboard export of balance transactions ("All transactions", the balance history):
    /// <c>id, Type, Source, Amount, Fee, Net, Currency, Created (UTC), Available On (UTC), Description,
    /// Customer Facing Amount, …</c>. Amounts are major units, written "-75.57" or, from a Dashboard set to
    /// a European locale, "-75,57": the file decides, consistently. The line's category is its
    /// <c>Reporting Category</c> when the export has one, else its <c>Type</c>.
    /// </summary>
    public static CsvMapping StripeBalanceHistory { get; } = new()
    {
        Name = "stripe-balance-history",
        DecimalSeparator = null,
        DateFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"],
        LineId = ["id"],
        BookingDate = ["Created (UTC)", "Created"],
        ValueDate = ["Available On (UTC)", "Available On"],
        Amount = ["Amount"],
        Fee = ["Fee"],
        Net = ["Net"],
        Currency = ["Currency"],
        Reference = ["Source"],
        Description = ["Description"],
        Category = ["Reporting Category", "Type"],
    };

    /// <summary>
    /// Stripe's itemized balance change report (<c>balance_change_from_activity.itemized.1/2/3</c>, the
    /// Balance report's "Balance change from activity" CSV) and the payout reconciliation report
    /// (<c>payout_reconciliation.itemized.*</c>): <c>balance_transaction_id, created_utc, available_on_utc,
    /// currency</c> (lowercase), <c>gross, fee, net, reporting_category, source_id, description,
    /// automatic_payout_id, …</c>. The reporting category ("charge", "refund", "payout",
    /// "risk_reserved_funds"…) becomes the line's category, the automatic payout its payout id. A run with
    /// <c>decimal_separator=","</c> writes decimal commas: the file decides, consistently.
    /// </summary>
    public static CsvMapping StripeItemized { get; } = new()
    {
        Name = "stripe-itemized",
        DecimalSeparator = null,
        DateFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"],
        LineId = ["balance_transaction_id"],
        BookingDate = ["created_utc"],
        ValueDate = ["available_on_utc"],
        Amount = ["gross"],
        Fee = ["fee"],
        Net = ["net"],
        Currency = ["currency"],
        Reference = ["source_id"],
        Description = ["description"],
        Category = ["reporting_category"],
        PayoutId = ["automatic_payout_id"],
    };

    /// <summary>
    /// Either Stripe export, whichever the header is (the name imports used before the two were told
    /// apart): the balance history's columns first, then the itemized report's.
    /// </summary>
    public static CsvMapping Stripe { get; } = new()
    {
        Name = "stripe",
        DecimalSeparator = null,
        DateFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"],
        LineId = ["id", "balance_transaction_id"],
        BookingDate = ["Created (UTC)", "created_utc", "created"],
        ValueDate = ["Available On (UTC)", "available_on_utc", "available_on"],
        Amount = ["Amount", "gross"],
        Fee = ["Fee"],
        Net = ["Net"],
        Currency = ["Currency"],
        Reference = ["Source", "source_id"],
        Description = ["Description"],
        Category = ["Reporting Category", "reporting_category", "Type"],
        PayoutId = ["automatic_payout_id"],
    };

    /// <summary>The names of the shipped mappings; a stored mapping may not take one.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = ["generic", "stripe", "stripe-balance-history", "stripe-itemized"];

    /// <summary>The shipped mapping of that name (any letter case), or null.</summary>
    public static CsvMapping? Named(string name) => name.ToLowerInvariant() switch
    {
        "generic" => Generic,
        "stripe" => Stripe,
        "stripe-balance-history" => StripeBalanceHistory,
        "stripe-itemized" => StripeItemized,
        _ => null,
    };
}
