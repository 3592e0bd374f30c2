namespace LambdaRecon.Core.Statements;

/// <summary>Where each mapped column sits in one file's header; -1 when the file lacks it.</summary>
internal sealed record CsvColumns(
    int LineId,
    int BookingDate,
    int ValueDate,
    int Amount,
    int Debit,
    int Credit,
    int Currency,
    int Reference,
    int EndToEndId,
    int Counterparty,
    int Description,
    int Fee,
    int Net)
{
    public static bool TryResolve(CsvRecordReader header, CsvMapping mapping, out CsvColumns columns, out string error)
    {
        columns = null!;
        var positions = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var repeated = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < header.FieldCount; i++)
        {
            // Excel writes a byte order mark that a TextReader built without detection leaves in place.
            var name = header.Field(i).TrimStart('\uFEFF').Trim().ToString();
            if (!positions.TryAdd(name, i))
            {
                repeated.Add(name);
            }
        }

        string? fault = null;
        int Find(IReadOnlyList<string> names, string what, bool required)
        {
            foreach (var name in names)
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
                fault ??= $"the header has no {what} column (mapping '{mapping.Name}' expects {string.Join(" or ", names.Select(n => $"'{n}'"))})";
            }

            return -1;
        }

        var signed = mapping.Amount.Count > 0;
        columns = new CsvColumns(
            Find(mapping.LineId, "id", required: false),
            Find(mapping.BookingDate, "booking date", required: true),
            Find(mapping.ValueDate, "value date", required: false),
            Find(mapping.Amount, "amount", required: signed),
            Find(mapping.Debit, "debit", required: !signed),
            Find(mapping.Credit, "credit", required: !signed),
            Find(mapping.Currency, "currency", required: mapping.DefaultCurrency is null),
            Find(mapping.Reference, "reference", required: false),
            Find(mapping.EndToEndId, "end-to-end id", required: false),
            Find(mapping.Counterparty, "counterparty", required: false),
            Find(mapping.Description, "description", required: false),
            Find(mapping.Fee, "fee", required: false),
            Find(mapping.Net, "net", required: false));
        error = fault ?? "";
        return fault is null;
    }
}
