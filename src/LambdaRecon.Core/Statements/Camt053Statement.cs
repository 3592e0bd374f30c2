using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Reads an ISO 20022 camt.053 bank-to-customer statement (any version, 001.02 to 001.13: elements are
/// matched by local name, so the namespace's version does not matter).
/// </summary>
/// <remarks>
/// <para>Each booked entry (Ntry) of every statement (Stmt) is one line. Entries whose status is not
/// BOOK (pending, information) are left out: they have moved no money. A batch entry with several
/// TxDtls stays one line of its total, and its per-transaction fields (end-to-end id, remittance,
/// parties) are left empty since no single value describes it; the group rule matches it.</para>
/// <para>Fields: amount from Amt and Amt/@Ccy signed by CdtDbtInd (CRDT +, DBIT −); booking and value
/// dates from Dt, or the date part of DtTm as written; line id from AcctSvcrRef; end-to-end id from
/// Refs/EndToEndId ("NOTPROVIDED" is no id); reference from RmtInf/Strd/CdtrRefInf/Ref, else the
/// RmtInf/Ustrd lines joined; counterparty is the debtor's name on a credit, the creditor's on a debit
/// (Nm, or Pty/Nm from version 8); description from AddtlNtryInf, else AddtlTxInf.</para>
/// </remarks>
public static class Camt053Statement
{
    /// <summary>How deep elements may nest. A camt.053 statement is about 15 deep at most (…/TxDtls/RltdPties/Dbtr/Pty/Id/OrgId/Othr/SchmeNm/Cd).</summary>
    public const int MaxDepth = 64;

    /// <summary>How many elements a file may hold: about 20,000 entries of 50 elements, far more than the API's 4 MiB body carries.</summary>
    public const int MaxElements = 1_000_000;

    /// <summary>How many characters a file may hold (64 Mi): a bound on the memory the document takes, whatever its shape.</summary>
    public const long MaxCharacters = 64L * 1024 * 1024;

    // No DTD, no resolver, no character from any entity: a statement has no business declaring entities,
    // and this shuts out XXE and entity expansion (billion laughs) whatever the file says. XmlReader has
    // no depth or element limit of its own: ScanLimits checks those before the document is built.
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        MaxCharactersInDocument = MaxCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    /// <summary>Parses the whole statement: every booked entry, or the first fault with its element and line.</summary>
    /// <param name="stream">A seekable stream: it is read twice, once to check the limits and once to build the document.</param>
    /// <exception cref="OperationCanceledException">The caller gave up.</exception>
    public static bool TryParse(Stream stream, out IReadOnlyList<StatementLine> lines, out StatementError? error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lines = [];
        XDocument document;
        try
        {
            var start = stream.Position;
            if ((error = ScanLimits(stream, cancellationToken)) is not null)
            {
                return false;
            }

            stream.Position = start;
            using var reader = XmlReader.Create(stream, Settings);
            document = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            // Some refusals (a prohibited DTD) carry no position: they name line 1.
            error = new StatementError(Math.Max(e.LineNumber, 1), null, $"not well-formed XML: {e.Message}");
            return false;
        }

        var root = document.Root!;
        var statements = root.Name.LocalName == "Document" ? Child(root, "BkToCstmrStmt") : null;
        if (statements is null)
        {
            error = Fault(root, "not a camt.053 statement: expected Document/BkToCstmrStmt");
            return false;
        }

        var ids = new LineIds();
        var result = new List<StatementLine>();
        foreach (var entry in Children(statements, "Stmt").SelectMany(statement => Children(statement, "Ntry")))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!TryReadEntry(entry, ids, out var line, out error))
            {
                return false;
            }

            if (line is not null)
            {
                result.Add(line);
            }
        }

        lines = result;
        error = null;
        return true;
    }

    /// <summary>
    /// One pass of the reader alone, before any element is kept: refuses nesting deeper than
    /// <see cref="MaxDepth"/> and more than <see cref="MaxElements"/> elements within milliseconds,
    /// where building the document of a hostile file would take minutes (100,000 nested elements took
    /// 53 s) and its memory.
    /// </summary>
    private static StatementError? ScanLimits(Stream stream, CancellationToken cancellationToken)
    {
        using var reader = XmlReader.Create(stream, Settings);
        var lineInfo = (IXmlLineInfo)reader;
        var elements = 0;
        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (++elements % 4096 == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            if (reader.Depth >= MaxDepth)
            {
                return new StatementError(Math.Max(lineInfo.LineNumber, 1), null,
                    $"element '{reader.LocalName}' is nested deeper than {MaxDepth} levels: a camt.053 statement is about 15 deep");
            }

            if (elements > MaxElements)
            {
                return new StatementError(Math.Max(lineInfo.LineNumber, 1), null,
                    $"the file holds more than {MaxElements:N0} elements: split it per statement or per day");
            }
        }

        return null;
    }

    private static bool TryReadEntry(XElement entry, LineIds ids, out StatementLine? line, out StatementError? error)
    {
        line = null;
        var status = Child(entry, "Sts");
        if (status is not null && (Child(status, "Cd") ?? status).Value.Trim() != "BOOK")
        {
            error = null;
            return true;
        }

        if (!TryAmount(entry, out var amount, out error)
            || !TryDate(entry, "BookgDt", required: true, out var booked, out error)
            || !TryDate(entry, "ValDt", required: false, out var valued, out error))
        {
            return false;
        }

        var transactions = Children(entry, "NtryDtls").SelectMany(details => Children(details, "TxDtls")).Take(2).ToList();
        var transaction = transactions.Count == 1 ? transactions[0] : null;
        var remittance = Descendant(transaction, "RmtInf");
        var structured = Text(Descendant(remittance, "Strd", "CdtrRefInf", "Ref"));
        var unstructured = remittance is null ? null : Text(string.Join(' ', Children(remittance, "Ustrd").Select(u => u.Value.Trim())));
        var endToEnd = Text(Descendant(transaction, "Refs", "EndToEndId"));
        var party = Descendant(transaction, "RltdPties", amount.IsPositive ? "Dbtr" : "Cdtr");
        var counterparty = Text(Child(party, "Nm") ?? Descendant(party, "Pty", "Nm"));
        var description = Text(Child(entry, "AddtlNtryInf")) ?? Text(Child(transaction, "AddtlTxInf"));

        var sourceLine = LineOf(entry);
        var provided = Text(Child(entry, "AcctSvcrRef"));
        if (StatementLine.TooLong(("AcctSvcrRef", provided), ("reference", structured ?? unstructured), ("EndToEndId", endToEnd)) is { } tooLong)
        {
            error = Fault(entry, tooLong);
            return false;
        }


        string id;
        int firstLine;
        var unique = provided is null
            ? ids.TryTakeHashed(entry.ToString(SaveOptions.DisableFormatting), sourceLine, out id, out firstLine)
            : ids.TryTake(id = provided, sourceLine, out firstLine);
        if (!unique)
        {
            error = Fault(entry, $"AcctSvcrRef '{id}' repeats the entry on line {firstLine}");
            return false;
        }

        line = new StatementLine(
            id,
            sourceLine,
            amount,
            booked!.Value,
            valued ?? booked.Value,
            structured ?? unstructured,
            endToEnd == "NOTPROVIDED" ? null : endToEnd,
            counterparty,
            description);
        return true;
    }

    private static bool TryAmount(XElement entry, out Money amount, out StatementError? error)
    {
        amount = default;
        var amt = Child(entry, "Amt");
        if (amt is null)
        {
            error = Fault(entry, "the entry has no Amt");
            return false;
        }

        var code = amt.Attribute("Ccy")?.Value.Trim();
        if (!Currency.TryGet(code, out var currency))
        {
            error = Fault(amt, code is null ? "Amt has no Ccy attribute" : $"Ccy '{code}' is not an ISO 4217 currency code");
            return false;
        }

        var text = amt.Value.Trim();
        if (!Money.TryParse(text, currency, out var magnitude, out var reason) || magnitude.Minor < 0)
        {
            error = Fault(amt, reason ?? $"'{text}' is negative: the direction belongs in CdtDbtInd");
            return false;
        }

        var indicator = Child(entry, "CdtDbtInd");
        switch (indicator?.Value.Trim())
        {
            case "CRDT":
                amount = magnitude;
                break;
            case "DBIT":
                amount = -magnitude;
                break;
            default:
                error = Fault(indicator ?? entry, indicator is null ? "the entry has no CdtDbtInd" : $"CdtDbtInd '{indicator.Value}' is neither CRDT nor DBIT");
                return false;
        }

        error = null;
        return true;
    }

    /// <summary>Reads Dt, or the date part of DtTm as written (the bank's local date, not converted to UTC).</summary>
    private static bool TryDate(XElement entry, string name, bool required, out DateOnly? date, out StatementError? error)
    {
        date = null;
        error = null;
        var holder = Child(entry, name);
        if (holder is null)
        {
            error = required ? Fault(entry, $"the entry has no {name}") : null;
            return !required;
        }

        var value = Child(holder, "Dt") ?? Child(holder, "DtTm");
        var text = value?.Value.Trim() ?? "";
        var isDateTime = value?.Name.LocalName == "DtTm";
        if (value is null
            || (isDateTime && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            || !DateOnly.TryParseExact(isDateTime && text.Length > 10 ? text[..10] : text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            error = Fault(value ?? holder, value is null ? $"{name} has neither Dt nor DtTm" : $"'{text}' is not an ISO 8601 date");
            return false;
        }

        date = day;
        return true;
    }

    private static StatementError Fault(XElement at, string reason) => new(LineOf(at), PathOf(at), reason);

    private static int LineOf(XElement element) => Math.Max(((IXmlLineInfo)element).LineNumber, 1);

    /// <summary>"Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt": 1-based indexes on statements, entries and repeated siblings.</summary>
    private static string PathOf(XElement element) =>
        string.Join('/', element.AncestorsAndSelf().Reverse().Select(e =>
        {
            var name = e.Name.LocalName;
            var siblings = e.Parent is null ? [e] : Children(e.Parent, name).ToList();
            return siblings.Count > 1 || name is "Stmt" or "Ntry" ? $"{name}[{siblings.IndexOf(e) + 1}]" : name;
        }));

    private static IEnumerable<XElement> Children(XElement parent, string localName) =>
        parent.Elements().Where(e => e.Name.LocalName == localName);

    private static XElement? Child(XElement? parent, string localName) =>
        parent?.Elements().FirstOrDefault(e => e.Name.LocalName == localName);

    private static XElement? Descendant(XElement? from, params string[] path) =>
        path.Aggregate(from, Child);

    private static string? Text(XElement? element) => element is null ? null : Text(element.Value);

    private static string? Text(string text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();
}
