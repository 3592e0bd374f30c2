namespace LambdaRecon.Core.Statements;

/// <summary>Where each mapped column sits in one file (0-based); -1 when the file lacks it.</summary>
internal sealed record CsvColumns(
    int LineId,
    int BookingDate,
    int ValueDate,
    int Amount,
    int Debit,
    int Credit,
    int Direction,
    int Currency,
    int Reference,
    int EndToEndId,
    int Counterparty,
    int Description,
    int Fee,
    int Net,
    int PayoutId,
    int Category,
    int OnlyWhere)
{
    /// <summary>How errors name a column: "column 4 'Amount'", or "column 4" in a file without a header.</summary>
    public required string[] Labels { get; init; }

    /// <summary>
    /// Finds the mapping's columns in the header, or, for a file without one, checks that each position
    /// is within the first record.
    /// </summary>
    /// <param name="header">The header record, or the first line of a file without a header.</param>
    public static bool TryResolve(CsvRecordReader header, CsvMapping mapping, out CsvColumns columns, out string error)
    {
        columns = null!;
        var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var repeated = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var labels = new string[header.FieldCount];
        for (var i = 0; i < header.FieldCount; i++)
        {
            labels[i] = $"column {i + 1}";
            if (!mapping.HasHeader)
            {
                continue;
            }

            var name = header.Field(i).Trim().ToString();
            labels[i] += $" '{name}'";
            if (!positions.TryAdd(name, i))
            {
                repeated.Add(name);
            }
        }

        string? fault = null;
        int Find(CsvColumn column, string what, bool required)
        {
            if (column.Position > 0)
            {
                if (column.Position <= header.FieldCount)
                {
                    return column.Position - 1;
                }

                fault ??= $"the {what} is mapped to column {column.Position}, but the {(mapping.HasHeader ? "header" : "first line")} has {header.FieldCount} fields";
                return -1;
            }

            foreach (var name in column.Names)
            {
                if (repeated.Contains(name))
                {
                    fault ??= $"the header names column '{name}' more than once";
                    return -1;
                }

                if (positions.TryGetValue(name, out var index))
                {
                    return index;
                }
            }

            if (required)
            {
                fault ??= $"the header has no {what} column (mapping '{mapping.Name}' expects {column})";
            }

            return -1;
        }

        var sign = mapping.Sign;
        columns = new CsvColumns(
            Find(mapping.LineId, "id", required: false),
            Find(mapping.BookingDate, "booking date", required: true),
            Find(mapping.ValueDate, "value date", required: false),
            Find(mapping.Amount, "amount", required: sign is not CsvSign.DebitCredit),
            Find(mapping.Debit, "debit", required: sign is CsvSign.DebitCredit),
            Find(mapping.Credit, "credit", required: sign is CsvSign.DebitCredit),
            Find(mapping.Direction, "direction", required: sign is CsvSign.Direction),
            Find(mapping.Currency, "currency", required: mapping.DefaultCurrency is null),
            Find(mapping.Reference, "reference", required: false),
            Find(mapping.EndToEndId, "end-to-end id", required: false),
            Find(mapping.Counterparty, "counterparty", required: false),
            Find(mapping.Description, "description", required: false),
            Find(mapping.Fee, "fee", required: false),
            Find(mapping.Net, "net", required: false),
            Find(mapping.PayoutId, "payout id", required: false),
            Find(mapping.Category, "category", required: false),
            Find(mapping.OnlyWhere, "row filter", required: mapping.OnlyWhere.IsSet)) { Labels = labels };
        error = fault ?? "";
        return fault is null;
    }

    /// <summary>The label of a resolved column, for an error's reason; null for none.</summary>
    public string? Label(int index) => index < 0 ? null : Labels[index];
}
