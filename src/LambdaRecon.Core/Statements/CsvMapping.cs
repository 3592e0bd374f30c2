using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Which CSV column holds what, and how its values are written. Each column is a list of header names
/// (compared ignoring case and surrounding blanks); the first one the header has is used, so one
/// mapping reads the variants a provider's exports come in. An empty list means "not in this format".
/// </summary>
/// <remarks>
/// Required: <see cref="BookingDate"/>; either <see cref="Amount"/> (signed) or both <see cref="Debit"/>
/// and <see cref="Credit"/>; and <see cref="Currency"/> unless <see cref="DefaultCurrency"/> is set.
/// Every other column is optional: when the header lacks it, the field is empty on every line.
/// </remarks>
public sealed record CsvMapping
{
    public required string Name { get; init; }

    public char Delimiter { get; init; } = ',';

    /// <summary>'.' or ','; amounts are otherwise digits with an optional leading '-' or '+'.</summary>
    public char DecimalSeparator { get; init; } = '.';

    /// <summary>A thousands separator to drop before parsing ("1.234,56"), or null when amounts have none.</summary>
    public char? GroupSeparator { get; init; }

    /// <summary>Exact formats (invariant culture) of date cells; a time part is dropped, the date kept as written.</summary>
    public IReadOnlyList<string> DateFormats { get; init; } = ["yyyy-MM-dd"];

    public IReadOnlyList<string> LineId { get; init; } = [];

    public required IReadOnlyList<string> BookingDate { get; init; }

    public IReadOnlyList<string> ValueDate { get; init; } = [];

    /// <summary>One signed amount: credits positive, debits negative.</summary>
    public IReadOnlyList<string> Amount { get; init; } = [];

    /// <summary>With <see cref="Credit"/>, instead of <see cref="Amount"/>: the debit's magnitude, whatever its sign.</summary>
    public IReadOnlyList<string> Debit { get; init; } = [];

    public IReadOnlyList<string> Credit { get; init; } = [];

    /// <summary>An ISO 4217 code per line, in any letter case ("usd" as Stripe writes it).</summary>
    public IReadOnlyList<string> Currency { get; init; } = [];

    /// <summary>The currency of lines whose currency column is missing or empty.</summary>
    public Currency? DefaultCurrency { get; init; }

    public IReadOnlyList<string> Reference { get; init; } = [];

    public IReadOnlyList<string> EndToEndId { get; init; } = [];

    public IReadOnlyList<string> Counterparty { get; init; } = [];

    public IReadOnlyList<string> Description { get; init; } = [];

    /// <summary>The provider's fee, positive when charged; with <see cref="Net"/>, net must equal amount − fee.</summary>
    public IReadOnlyList<string> Fee { get; init; } = [];

    public IReadOnlyList<string> Net { get; init; } = [];

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
    /// A Stripe balance-transactions export, as the Dashboard writes it (<c>id, Type, Source, Amount,
    /// Fee, Net, Currency, Created (UTC), Available On (UTC), Description, Reporting Category</c>) or
    /// as the itemized balance report does (<c>balance_transaction_id, gross, fee, net, currency,
    /// created_utc, available_on_utc, source_id, description…</c>). Amounts are major units ("100.00"),
    /// currencies lowercase; the gross is the line's amount, the net what reaches the bank.
    /// </summary>
    public static CsvMapping Stripe { get; } = new()
    {
        Name = "stripe",
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
    };

    /// <summary>The shipped mapping of that name ("generic", "stripe"), or null.</summary>
    public static CsvMapping? Named(string name) => name.ToUpperInvariant() switch
    {
        "GENERIC" => Generic,
        "STRIPE" => Stripe,
        _ => null,
    };
}
