using System.Globalization;
using System.Text;
using System.Xml;
using LambdaRecon.Core.Monetary;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Reads ISO 20022 bank-to-customer cash management messages: camt.052 account reports
/// (BkToCstmrAcctRpt/Rpt), camt.053 statements (BkToCstmrStmt/Stmt) and camt.054 debit/credit
/// notifications (BkToCstmrDbtCdtNtfctn/Ntfctn), any version from 001.02 to 001.13: elements are matched
/// by local name, so the namespace's version does not matter. The message is told by the document's root.
/// </summary>
/// <remarks>
/// <para>A file may hold several documents one after the other, each with its own XML declaration; all
/// must be the same message. Every Stmt/Rpt/Ntfctn is one <see cref="BankStatement"/>: Id, ElctrncSeqNb
/// (else LglSeqNb), the account (Acct/Id/IBAN; or Acct/Id/Othr/Id: BBAN when its SchmeNm/Cd says so, IBAN
/// when it passes the IBAN check digits, else OTHER),
/// its servicer's BIC, its currency (Acct/Ccy, else that of its balances or entries), the opening (OPBD,
/// else PRCD) and closing (CLBD) balances. When both are given, opening + booked lines must equal closing
/// per currency, else the file is refused naming the statement and the difference.</para>
/// <para>Entries (Ntry) whose status is not BOOK (pending, information) are left out: they have moved no
/// money. An entry is one line, signed by CdtDbtInd (CRDT +, DBIT −; RvslInd=true marks a reversal, still
/// signed as booked). An entry with several TxDtls that all give their amount (Amt, or AmtDtls/TxAmt/Amt,
/// in the entry's currency; signed by their own CdtDbtInd, else the entry's) becomes one line per TxDtls,
/// each with <see cref="StatementLine.EntryRef"/> set to the entry's reference (AcctSvcrRef, else NtryRef,
/// else Btch/PmtInfId); the details must sum to the entry (the signs the other way round are taken as
/// a reversal's details stating the original direction), else the file is refused naming the entry.
/// A batch whose details are missing or lack amounts stays one line of its total with
/// <see cref="StatementLine.BatchCount"/> (Btch/NbOfTxs, else the number of TxDtls) and its own
/// reference as EntryRef: a camt.054 whose lines carry that EntryRef details it. Every camt.054 line
/// carries its entry's reference as EntryRef.</para>
/// <para>Fields: booking and value dates from Dt, or the date part of DtTm as written; end-to-end id from
/// Refs/EndToEndId ("NOTPROVIDED" is no id); reference from RmtInf/Strd/CdtrRefInf/Ref, else the
/// RmtInf/Ustrd lines joined; counterparty is the debtor's name on a credit, the creditor's on a debit
/// (of the original movement for a reversal; Nm, or Pty/Nm from version 8); description from
/// AddtlNtryInf, else AddtlTxInf (the other way round on a payment of a batch). Charges (Chrgs: its
/// TtlChrgsAndTaxAmt, else the sum of its records, CRDT records counting against) become
/// <see cref="StatementLine.Fee"/>, positive, when in the line's currency; charges in another currency
/// cannot be set against the line and are left out.</para>
/// <para>Line ids: the entry's AcctSvcrRef; on a payment of a batch its own Refs/AcctSvcrRef when every
/// payment of the entry has a distinct one, else the entry's AcctSvcrRef, "/" and its 1-based position
/// (the bank keeps the order of a booked entry's details when it sends it again); else "h-" and a hash
/// of the normalised fields (dates, amount, currency, direction, reversal, references, counterparty and
/// description with whitespace collapsed), so the same entries in another version, with other line
/// endings or indentation, get the same ids.</para>
/// </remarks>
public static class CamtStatement
{
    /// <summary>How deep elements may nest. A camt statement is about 15 deep at most (…/TxDtls/RltdPties/Dbtr/Pty/Id/OrgId/Othr/SchmeNm/Cd).</summary>
    public const int MaxDepth = 64;

    /// <summary>How many elements a file may hold: about 20,000 entries of 50 elements, far more than the API's 4 MiB body carries.</summary>
    public const int MaxElements = 1_000_000;

    /// <summary>How many characters a file may hold (64 Mi): a bound on the memory the document takes, whatever its shape.</summary>
    public const long MaxCharacters = 64L * 1024 * 1024;

    /// <summary>The messages by their element under Document: format name, statement element, what errors call one.</summary>
    private static readonly Dictionary<string, (string Format, string Statement, string Kind)> Messages = new(StringComparer.Ordinal)
    {
        ["BkToCstmrAcctRpt"] = ("camt052", "Rpt", "report"),
        ["BkToCstmrStmt"] = ("camt053", "Stmt", "statement"),
        ["BkToCstmrDbtCdtNtfctn"] = ("camt054", "Ntfctn", "notification"),
    };

    // No DTD, no resolver, no character from any entity: a statement has no business declaring entities,
    // and this shuts out XXE and entity expansion (billion laughs) whatever the file says. Fragment
    // conformance lets several documents follow each other; their later XML declarations are blanked first.
    private static readonly XmlReaderSettings Settings = new()
    {
        ConformanceLevel = ConformanceLevel.Fragment,
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersFromEntities = 0,
        MaxCharactersInDocument = MaxCharacters,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
    };

    /// <summary>
    /// Elements the reader never reads, whose subtrees it does not keep (they are still counted and
    /// their depth checked): bank transaction codes, agents, addresses, dates and prices of the
    /// underlying trade, and the like, which make up much of a real file.
    /// </summary>
    private static readonly HashSet<string> Unread = new(ReferenceEqualityComparer.Instance)
    {
        "BkTxCd", "RltdAgts", "PstlAdr", "CtctDtls", "RltdDts", "RltdPric", "RltdQties", "Purp", "Tax", "CardTx", "SplmtryData",
        "TxsSummry", "Intrst", "FrToDt", "Ownr", "DbtrAcct", "CdtrAcct", "UltmtDbtr", "UltmtCdtr", "InitgPty", "MsgRcpt", "MsgPgntn",
        "Avlbty", "CdtLine", "TechInptChanl", "RltdRmtInf",
    };

    /// <summary>
    /// The element names the reader looks for. Each parse's name table starts with these very strings,
    /// so the reader hands them back and every name comparison is decided by reference.
    /// </summary>
    private static readonly string[] Names =
    [
        "Document", "BkToCstmrAcctRpt", "BkToCstmrStmt", "BkToCstmrDbtCdtNtfctn", "GrpHdr", "Rpt", "Stmt", "Ntfctn", "Id", "ElctrncSeqNb",
        "LglSeqNb", "CreDtTm", "Acct", "IBAN", "Othr", "SchmeNm", "Cd", "Prtry", "Ccy", "Svcr", "FinInstnId", "BIC", "BICFI", "Bal", "Tp",
        "CdOrPrtry", "Amt", "CdtDbtInd", "Dt", "DtTm", "Ntry", "RvslInd", "Sts", "BookgDt", "ValDt", "AcctSvcrRef", "NtryRef", "Chrgs",
        "TtlChrgsAndTaxAmt", "Rcrd", "NtryDtls", "Btch", "PmtInfId", "NbOfTxs", "TxDtls", "Refs", "EndToEndId", "InstrId", "TxId",
        "MndtId", "AmtDtls", "TxAmt", "RltdPties", "Dbtr", "Cdtr", "Nm", "Pty", "RmtInf", "Ustrd", "Strd", "CdtrRefInf", "Ref",
        "AddtlTxInf", "AddtlNtryInf",
    ];

    /// <summary>
    /// One element as the reader needs it: its local name, the line it starts on, its text, its Ccy
    /// attribute and its children. Lighter than an XElement, and built in the one pass that checks the
    /// limits. Entries are read as soon as they end and then dropped: memory follows the largest entry,
    /// not the file.
    /// </summary>
    private sealed class Node
    {
        public string Name = "";
        public int Line;
        public Node? Parent;

        /// <summary>An entry's 1-based place in its statement (entries are counted, not kept); 0 for other elements.</summary>
        public int EntryIndex;
        public Node? FirstChild;
        public Node? LastChild;
        public Node? Next;
        public string Text = "";
        public string? Ccy;

        public Node Reset(string name, int line, Node? parent, int entryIndex)
        {
            (Name, Line, Parent, EntryIndex) = (name, line, parent, entryIndex);
            (FirstChild, LastChild, Next, Text, Ccy) = (null, null, null, "", null);
            return this;
        }

        public void Add(Node child)
        {
            if (LastChild is null)
            {
                FirstChild = child;
            }
            else
            {
                LastChild.Next = child;
            }

            LastChild = child;
        }

        /// <summary>1-based among the parent's children of the same name, and how many there are.</summary>
        public (int Index, int Count) Place()
        {
            if (EntryIndex > 0 || Parent is null)
            {
                return (Math.Max(EntryIndex, 1), 1);
            }

            var (index, count) = (0, 0);
            for (var sibling = Parent.FirstChild; sibling is not null; sibling = sibling.Next)
            {
                if (sibling.Name == Name)
                {
                    count++;
                    index = sibling == this ? count : index;
                }
            }

            return (index, count);
        }
    }

    /// <summary>Where the one pass stands: the message and statement being read, and what is done.</summary>
    private sealed class Reading(string? expected, CancellationToken cancellationToken)
    {
        public readonly string? Expected = expected;
        public readonly CancellationToken CancellationToken = cancellationToken;
        public readonly LineIds Ids = new();
        public readonly List<BankStatement> Statements = [];
        public string? Format;
        public int Documents;
        public Node? Message;
        public string StatementName = "";
        public string Kind = "";
        public Node? Statement;
        public int Entries;
        public DateOnly? MadeOn;
        public List<StatementLine> Lines = [];

        /// <summary>
        /// The nodes of the entry being read, used again for the next entry once it is read: most of a
        /// file is entries, and allocating their nodes afresh cost a third of the parse in allocation and
        /// collection.
        /// </summary>
        public readonly List<Node> Pool = [];
        public int Pooled;
        public bool InEntry;

        public Node NewNode(bool pooled)
        {
            if (!pooled)
            {
                return new Node();
            }

            if (Pooled == Pool.Count)
            {
                Pool.Add(new Node());
            }

            return Pool[Pooled++];
        }
    }

    /// <summary>Parses the whole file: every statement with its booked lines, or the first fault with its element and line.</summary>
    /// <param name="expected">The format the caller named ("camt052", "camt053", "camt054"), or null to take the file's.</param>
    /// <param name="format">The message the file holds, as a format name.</param>
    /// <exception cref="OperationCanceledException">The caller gave up.</exception>
    public static bool TryParse(
        byte[] content, string? expected, out IReadOnlyList<BankStatement> statements, out string? format, out StatementError? error,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        statements = [];
        format = null;
        var reading = new Reading(expected, cancellationToken);
        if (!TryRead(BlankLaterDeclarations(content), reading, out error))
        {
            return false;
        }

        statements = reading.Statements;
        format = reading.Format;
        return true;
    }

    private static string Dotted(string format) => $"camt.{format[4..]}";

    /// <summary>Version 1 suffixed the message's element with its version ("BkToCstmrAcctRptV01"); later versions do not.</summary>
    private static string MessageName(Node message) =>
        message.Name.Length > 3 && message.Name[^3] == 'V' && char.IsAsciiDigit(message.Name[^2]) && char.IsAsciiDigit(message.Name[^1]) ? message.Name[..^3] : message.Name;

    /// <summary>
    /// Blanks every XML declaration after the first character of the file, keeping its line breaks (and so
    /// every line number): the reader takes several documents in a row but only one declaration, at the start.
    /// </summary>
    private static byte[] BlankLaterDeclarations(byte[] content)
    {
        var copy = content;
        var from = 1;
        int at;
        while (from < content.Length && (at = content.AsSpan(from).IndexOf("<?xml"u8)) >= 0)
        {
            at += from;
            var end = content.AsSpan(at).IndexOf("?>"u8);
            if (end < 0 || at + 5 >= content.Length || content[at + 5] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                from = at + 5;
                continue;
            }

            if (ReferenceEquals(copy, content))
            {
                copy = (byte[])content.Clone();
            }

            for (var i = at; i < at + end + 2; i++)
            {
                if (copy[i] is not ((byte)'\r' or (byte)'\n'))
                {
                    copy[i] = (byte)' ';
                }
            }

            from = at + end + 2;
        }

        return copy;
    }

    /// <summary>
    /// Reads the file in one pass, refusing nesting deeper than <see cref="MaxDepth"/> and more than
    /// <see cref="MaxElements"/> elements as soon as they are met, before a hostile file costs time or
    /// memory (100,000 nested elements took 53 s to build as an XDocument).
    /// </summary>
    private static bool TryRead(byte[] content, Reading reading, out StatementError? error)
    {
        error = null;
        var open = new Stack<Node>();
        var elements = 0;
        var unreadDepth = -1;
        try
        {
            var names = new NameTable();
            foreach (var name in Names.Concat(Unread))
            {
                names.Add(name);
            }

            var settings = Settings.Clone();
            settings.NameTable = names;
            using var reader = XmlReader.Create(new MemoryStream(content, writable: false), settings);
            var lineInfo = (IXmlLineInfo)reader;
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        if (++elements % 4096 == 0)
                        {
                            reading.CancellationToken.ThrowIfCancellationRequested();
                        }

                        if (reader.Depth >= MaxDepth)
                        {
                            error = new StatementError(Math.Max(lineInfo.LineNumber, 1), null,
                                $"element '{reader.LocalName}' is nested deeper than {MaxDepth} levels: a camt statement is about 15 deep");
                            return false;
                        }

                        if (elements > MaxElements)
                        {
                            error = new StatementError(Math.Max(lineInfo.LineNumber, 1), null,
                                $"the file holds more than {MaxElements:N0} elements: split it per statement or per day");
                            return false;
                        }

                        if (unreadDepth >= 0)
                        {
                            break;
                        }

                        var name = reader.LocalName;
                        if (Unread.Contains(name))
                        {
                            unreadDepth = reader.IsEmptyElement ? -1 : reader.Depth;
                            break;
                        }

                        open.TryPeek(out var parent);
                        var isEntry = parent is not null && parent == reading.Statement && name == "Ntry";
                        reading.InEntry |= isEntry;
                        var node = reading.NewNode(pooled: reading.InEntry).Reset(name, Math.Max(lineInfo.LineNumber, 1), parent, isEntry ? ++reading.Entries : 0);
                        node.Ccy = reader.HasAttributes ? reader.GetAttribute("Ccy") : null;
                        if (parent is not null && !isEntry)
                        {
                            parent.Add(node);
                        }

                        if (!TryOpen(node, reading, out error))
                        {
                            return false;
                        }

                        if (reader.IsEmptyElement)
                        {
                            if (!TryClose(node, reading, out error))
                            {
                                return false;
                            }
                        }
                        else
                        {
                            open.Push(node);
                        }

                        break;

                    case XmlNodeType.EndElement:
                        if (unreadDepth >= 0)
                        {
                            unreadDepth = reader.Depth == unreadDepth ? -1 : unreadDepth;
                            break;
                        }

                        if (!TryClose(open.Pop(), reading, out error))
                        {
                            return false;
                        }

                        break;

                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                        if (!open.TryPeek(out var holder))
                        {
                            error = new StatementError(Math.Max(lineInfo.LineNumber, 1), null, "text outside any element: not an XML document");
                            return false;
                        }

                        if (unreadDepth < 0)
                        {
                            holder.Text = holder.Text.Length == 0 ? reader.Value : holder.Text + reader.Value;
                        }

                        break;
                }
            }
        }
        catch (XmlException e)
        {
            // Some refusals (a prohibited DTD) carry no position: they name line 1.
            error = new StatementError(Math.Max(e.LineNumber, 1), null, $"not well-formed XML: {e.Message}");
            return false;
        }

        if (reading.Documents == 0)
        {
            error = new StatementError(1, null, "the file holds no XML element");
            return false;
        }

        return true;
    }

    /// <summary>An element starts: a document, its message (checked against the format named and the file's other documents), or a statement.</summary>
    private static bool TryOpen(Node node, Reading reading, out StatementError? error)
    {
        error = null;
        if (node.Parent is null)
        {
            reading.Documents++;
            reading.Message = null;
            return node.Name == "Document" || Fail(node, out error);
        }

        if (node.Parent.Parent is null)
        {
            if (reading.Message is not null)
            {
                return true;
            }

            if (!Messages.TryGetValue(MessageName(node), out var message))
            {
                return Fail(node.Parent, out error);
            }

            var (found, statementName, kind) = message;
            if (reading.Expected is not null && reading.Expected != found)
            {
                error = Fault(node, $"the format given is {reading.Expected}, but the file is a {Dotted(found)} {kind} ({node.Name})");
                return false;
            }

            if (reading.Format is not null && reading.Format != found)
            {
                error = Fault(node, $"document {reading.Documents} is a {Dotted(found)} {kind}, but the first is a {Dotted(reading.Format)}: send them as separate files");
                return false;
            }

            (reading.Format, reading.Message, reading.StatementName, reading.Kind) = (found, node, statementName, kind);
            return true;
        }

        if (node.Parent == reading.Message && node.Name == reading.StatementName)
        {
            (reading.Statement, reading.Entries, reading.MadeOn, reading.Lines) = (node, 0, null, []);
        }

        return true;
    }

    private static bool Fail(Node document, out StatementError? error)
    {
        error = Fault(document, "not a camt message: expected Document/BkToCstmrStmt (camt.053), BkToCstmrAcctRpt (camt.052) or BkToCstmrDbtCdtNtfctn (camt.054)");
        return false;
    }

    /// <summary>An element ends: an entry is read into its statement's lines, a statement is checked and kept.</summary>
    private static bool TryClose(Node node, Reading reading, out StatementError? error)
    {
        error = null;
        var statement = reading.Statement;
        if (node.Name == "Ntry" && node.Parent == statement)
        {
            reading.CancellationToken.ThrowIfCancellationRequested();
            if (reading.Entries == 1)
            {
                // An entry may carry no date at all (a notification's often does not): it is of the day the message was made.
                var created = Text(Child(statement, "CreDtTm")) ?? Text(Descendant(statement!.Parent, "GrpHdr", "CreDtTm"));
                reading.MadeOn = created is { Length: >= 10 } && TryIsoDate(created.AsSpan(0, 10), out var day) ? day : null;
            }

            var read = TryReadEntry(node, reading.Kind == "notification", reading.MadeOn, reading.Ids, reading.Lines, out error);
            (reading.InEntry, reading.Pooled) = (false, 0);
            return read;
        }

        if (node == statement)
        {
            reading.Statement = null;
            if (!TryReadStatement(node, reading.Kind, reading.Format != "camt053", reading.Lines, out var read, out error))
            {
                return false;
            }

            reading.Statements.Add(read!);
            return true;
        }

        return node.Parent is not null || reading.Message is not null || Fail(node, out error);
    }

    private static bool TryReadStatement(Node node, string kind, bool interim, List<StatementLine> lines, out BankStatement? statement, out StatementError? error)
    {
        statement = null;
        var reference = Text(Child(node, "Id"));
        var account = Child(node, "Acct");
        var identifier = Account(account);
        var name = $"{kind} '{reference ?? node.Place().Index.ToString(CultureInfo.InvariantCulture)}'" + (identifier is null ? "" : $" of account {identifier.Id}");

        Currency? currency = null;
        if (Child(account, "Ccy") is { } ccy)
        {
            if (!Currency.TryGet(ccy.Text.Trim(), out var code))
            {
                error = Fault(ccy, $"Ccy '{ccy.Text.Trim()}' is not an ISO 4217 currency code");
                return false;
            }

            currency = code;
        }

        // Opening and closing booked balances by currency: a multi-currency account reports one pair per currency.
        var openings = new Dictionary<Currency, (StatementBalance Balance, Node At)>();
        var closings = new Dictionary<Currency, (StatementBalance Balance, Node At)>();
        foreach (var balance in Children(node, "Bal"))
        {
            var type = Text(Descendant(balance, "Tp", "CdOrPrtry", "Cd")) ?? Text(Descendant(balance, "Tp", "CdOrPrtry", "Prtry"));
            if (type is not ("OPBD" or "PRCD" or "CLBD"))
            {
                continue;
            }

            if (!TrySignedAmount(balance, Child(balance, "CdtDbtInd"), "balance", out var amount, out error)
                || !TryDate(balance, "Dt", required: true, out var date, out error))
            {
                return false;
            }

            var value = (new StatementBalance(amount, date!.Value, IsFinal: true), balance);
            if (type == "CLBD")
            {
                closings.TryAdd(amount.Currency, value);
            }
            else if (type == "OPBD")
            {
                openings[amount.Currency] = value;
            }
            else
            {
                openings.TryAdd(amount.Currency, value);
            }
        }

        var checkedCurrencies = openings.Keys.Where(closings.ContainsKey).ToList();
        if (checkedCurrencies.Count > 0)
        {
            if (lines.FirstOrDefault(l => !checkedCurrencies.Contains(l.Amount.Currency)) is { } stray)
            {
                error = new StatementError(stray.SourceLine, null, $"{name} has an entry in {stray.Amount.Currency} but balances only in {string.Join(", ", checkedCurrencies)}");
                return false;
            }

            foreach (var code in checkedCurrencies)
            {
                var (open, (close, closeAt)) = (openings[code].Balance, closings[code]);
                var sum = lines.Where(l => l.Amount.Currency == code).Aggregate(Money.Zero(code), (total, l) => total + l.Amount);
                var expectedClose = open.Amount + sum;
                if (expectedClose != close.Amount)
                {
                    error = Fault(closeAt,
                        $"{name} does not balance: opening {open.Amount} + lines {sum} = {expectedClose}, but the closing balance is {close.Amount} (a difference of {(close.Amount - expectedClose).ToDecimalString()} {code})");
                    return false;
                }
            }
        }

        // Without Acct/Ccy: the one currency of its balances, else of its lines; none when they mix several.
        var balanceCurrencies = openings.Keys.Union(closings.Keys).ToList();
        var lineCurrencies = lines.Select(l => l.Amount.Currency).Distinct().Take(2).ToList();
        currency ??= balanceCurrencies.Count > 0
            ? balanceCurrencies.Count == 1 ? balanceCurrencies[0] : null
            : lineCurrencies.Count == 1 ? lineCurrencies[0] : null;
        StatementBalance? opening = currency is { } c && openings.TryGetValue(c, out var o) ? o.Balance : null;
        StatementBalance? closing = currency is { } k && closings.TryGetValue(k, out var l) ? l.Balance : null;
        var sequence = Text(Child(node, "ElctrncSeqNb")) ?? Text(Child(node, "LglSeqNb"));
        statement = new BankStatement(node.Line, reference, identifier, sequence, currency, opening, closing, interim, lines);
        error = null;
        return true;
    }

    /// <summary>Acct/Id/IBAN, else Acct/Id/Othr/Id (scheme BBAN when its SchmeNm/Cd says so), with the servicer's BIC.</summary>
    private static StatementAccount? Account(Node? account)
    {
        var id = Child(account, "Id");
        var bank = Text(Descendant(account, "Svcr", "FinInstnId", "BIC")) ?? Text(Descendant(account, "Svcr", "FinInstnId", "BICFI"));
        if (Text(Child(id, "IBAN")) is { } iban)
        {
            return new StatementAccount(iban, bank, iban.Replace(" ", "", StringComparison.Ordinal).ToUpperInvariant(), "IBAN");
        }

        var other = Child(id, "Othr");
        if (Text(Child(other, "Id")) is not { } otherId)
        {
            return null;
        }

        // Some banks put the IBAN under Othr: it is known by its check digits.
        var compact = otherId.Replace(" ", "", StringComparison.Ordinal);
        var scheme = Text(Descendant(other, "SchmeNm", "Cd")) == "BBAN" ? "BBAN" : Mt940Statement.IsIban(compact) ? "IBAN" : "OTHER";
        return new StatementAccount(otherId, bank, compact, scheme);
    }

    /// <summary>What one transaction (an entry, or one TxDtls of it) says beyond its amount.</summary>
    private sealed record Details(string? EndToEndId, string? Reference, string? Counterparty, string? Description, string? InstructionId, string? TransactionId, string? MandateId);

    private static bool TryReadEntry(Node entry, bool notification, DateOnly? madeOn, LineIds ids, List<StatementLine> lines, out StatementError? error)
    {
        var status = Child(entry, "Sts");
        if (status is not null && (Child(status, "Cd") ?? status).Text.Trim() != "BOOK")
        {
            error = null;
            return true;
        }

        if (!TrySignedAmount(entry, Child(entry, "CdtDbtInd"), "entry", out var amount, out error)
            || !TryDate(entry, "ValDt", required: false, out var valued, out error)
            || !TryDate(entry, "BookgDt", required: valued is null && madeOn is null, out var booked, out error))
        {
            return false;
        }

        booked ??= valued ?? madeOn;

        var isReversal = Text(Child(entry, "RvslInd")) is "true" or "1";
        var bankRef = Text(Child(entry, "AcctSvcrRef"));
        Node? batch = null;
        var transactions = new List<Node>();
        foreach (var details in Children(entry, "NtryDtls"))
        {
            batch ??= Child(details, "Btch");
            transactions.AddRange(Children(details, "TxDtls"));
        }

        var entryRef = bankRef ?? Text(Child(entry, "NtryRef")) ?? Text(Child(batch, "PmtInfId"));
        var declared = int.TryParse(Text(Child(batch, "NbOfTxs")), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (StatementLine.TooLong(("AcctSvcrRef", bankRef), ("entry reference", entryRef)) is { } tooLong)
        {
            error = Fault(entry, tooLong);
            return false;
        }

        if (!TryFee(Children(entry, "Chrgs"), amount.Currency, out var entryFee, out error))
        {
            return false;
        }

        var dates = (booked!.Value, valued ?? booked.Value);
        // Btch/NbOfTxs counting more payments than the details given: the entry is the batch's total.
        if (transactions.Count <= 1 || declared > transactions.Count)
        {
            var transaction = transactions.Count == 1 ? transactions[0] : null;
            Money? fee = entryFee;
            if (fee is null && transaction is not null && !TryFee(Children(transaction, "Chrgs"), amount.Currency, out fee, out error))
            {
                return false;
            }

            var isBatch = declared > Math.Max(1, transactions.Count) || transactions.Count > 1;
            var details = Read(transaction, entry, amount.IsPositive != isReversal, entryFirst: true);
            var id = bankRef ?? Text(Descendant(transaction, "Refs", "AcctSvcrRef"));
            return TryAdd(entry, id, details, amount, dates, fee, isReversal, notification || isBatch ? entryRef : null, isBatch ? Math.Max(declared, transactions.Count) : 0, ids, lines, out error);
        }

        // Several payments: each its own line when every one gives its amount in the entry's currency.
        var amounts = new List<Money>(transactions.Count);
        foreach (var transaction in transactions)
        {
            var given = Child(transaction, "Amt") ?? Descendant(transaction, "AmtDtls", "TxAmt", "Amt");
            if (given is null || given.Ccy?.Trim() != amount.Currency.Code)
            {
                break;
            }

            var indicator = Child(transaction, "CdtDbtInd");
            if (!TrySignedAmount(transaction, indicator, "transaction", out var signed, out error, given))
            {
                return false;
            }

            amounts.Add(indicator is null && amount.Minor < 0 ? -signed : signed);
        }

        if (amounts.Count < transactions.Count)
        {
            var details = Read(null, entry, amount.IsPositive != isReversal, entryFirst: true);
            return TryAdd(entry, bankRef, details, amount, dates, entryFee, isReversal, entryRef, Math.Max(declared, transactions.Count), ids, lines, out error);
        }

        var total = amounts.Aggregate(Money.Zero(amount.Currency), (sum, a) => sum + a);
        if (isReversal && total == -amount)
        {
            // A reversal's details may state the direction of the movement it undoes.
            amounts = amounts.Select(a => -a).ToList();
            total = amount;
        }

        if (total != amount)
        {
            error = Fault(entry, $"the {transactions.Count} TxDtls of entry '{entryRef ?? "without reference"}' sum to {total}, but the entry is {amount} (a difference of {(amount - total).ToDecimalString()} {amount.Currency})");
            return false;
        }

        var ownRefs = transactions.Select(t => Text(Descendant(t, "Refs", "AcctSvcrRef"))).ToList();
        var useOwn = ownRefs.All(r => r is not null && r != bankRef) && ownRefs.Distinct(StringComparer.Ordinal).Count() == ownRefs.Count;
        for (var i = 0; i < transactions.Count; i++)
        {
            if (!TryFee(Children(transactions[i], "Chrgs"), amount.Currency, out var fee, out error))
            {
                return false;
            }

            var id = useOwn ? ownRefs[i] : bankRef is null ? null : $"{bankRef}/{i + 1}";
            var details = Read(transactions[i], entry, amounts[i].IsPositive != isReversal, entryFirst: false);
            if (!TryAdd(transactions[i], id, details, amounts[i], dates, fee, isReversal, entryRef, 0, ids, lines, out error))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The fields of one transaction; <paramref name="credit"/> is the direction of the original movement, which names the counterparty.</summary>
    private static Details Read(Node? transaction, Node entry, bool credit, bool entryFirst)
    {
        var remittance = Child(transaction, "RmtInf");
        var structured = Children(remittance, "Strd").Select(s => Text(Descendant(s, "CdtrRefInf", "Ref"))).FirstOrDefault(r => r is not null);
        var unstructured = Children(remittance, "Ustrd").Skip(1).Any()
            ? Clean(string.Join(' ', Children(remittance, "Ustrd").Select(u => u.Text)))
            : Clean(Child(remittance, "Ustrd")?.Text);
        var endToEnd = Text(Descendant(transaction, "Refs", "EndToEndId"));
        var party = Descendant(transaction, "RltdPties", credit ? "Dbtr" : "Cdtr");
        var counterparty = Clean((Child(party, "Nm") ?? Descendant(party, "Pty", "Nm"))?.Text);
        var entryText = Clean(Child(entry, "AddtlNtryInf")?.Text);
        var transactionText = Clean(Child(transaction, "AddtlTxInf")?.Text);
        return new Details(
            endToEnd == "NOTPROVIDED" ? null : endToEnd,
            Clean(structured) ?? unstructured,
            counterparty,
            entryFirst ? entryText ?? transactionText : transactionText ?? entryText,
            Text(Descendant(transaction, "Refs", "InstrId")),
            Text(Descendant(transaction, "Refs", "TxId")),
            Text(Descendant(transaction, "Refs", "MndtId")));
    }

    private static bool TryAdd(
        Node at, string? id, Details details, Money amount, (DateOnly Booked, DateOnly Valued) dates, Money? fee, bool isReversal,
        string? entryRef, int batchCount, LineIds ids, List<StatementLine> lines, out StatementError? error)
    {
        if (StatementLine.TooLong(("AcctSvcrRef", id), ("reference", details.Reference), ("EndToEndId", details.EndToEndId)) is { } tooLong)
        {
            error = Fault(at, tooLong);
            return false;
        }

        int firstLine;
        var unique = id is null
            ? ids.TryTakeHashed(Canonical(details, amount, dates, isReversal, entryRef), at.Line, out id, out firstLine)
            : ids.TryTake(id, at.Line, out firstLine);
        if (!unique)
        {
            error = Fault(at, $"AcctSvcrRef '{id}' repeats the entry on line {firstLine}");
            return false;
        }

        lines.Add(new StatementLine(id, at.Line, amount, dates.Booked, dates.Valued, details.Reference, details.EndToEndId, details.Counterparty,
            details.Description, Fee: fee, IsReversal: isReversal, EntryRef: entryRef, BatchCount: batchCount));
        error = null;
        return true;
    }

    /// <summary>What a line without a bank reference is known by: normalised values only, never the XML as written.</summary>
    private static string Canonical(Details d, Money amount, (DateOnly Booked, DateOnly Valued) dates, bool isReversal, string? entryRef) =>
        string.Join('\u001f',
            "camt", dates.Booked.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), dates.Valued.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            amount.Minor.ToString(CultureInfo.InvariantCulture), amount.Currency.Code, isReversal ? "R" : "", entryRef, d.EndToEndId, d.InstructionId,
            d.TransactionId, d.MandateId, d.Reference, d.Counterparty, d.Description);

    /// <summary>Chrgs as one positive fee: TtlChrgsAndTaxAmt, else the sum of its records (version 2 holds Amt in each Chrgs).</summary>
    private static bool TryFee(IEnumerable<Node> charges, Currency currency, out Money? fee, out StatementError? error)
    {
        fee = null;
        error = null;
        var sum = 0L;
        foreach (var holder in charges)
        {
            var total = Child(holder, "TtlChrgsAndTaxAmt");
            var records = total is not null ? [holder] : Children(holder, "Rcrd").DefaultIfEmpty(holder);
            foreach (var record in records)
            {
                var amt = total ?? Child(record, "Amt");
                if (amt is null)
                {
                    continue;
                }

                if (!TryMagnitude(amt, out var charge, out error))
                {
                    return false;
                }

                if (charge.Currency != currency)
                {
                    return true;
                }

                sum += total is null && Text(Child(record, "CdtDbtInd")) == "CRDT" ? -charge.Minor : charge.Minor;
            }
        }

        fee = sum > 0 ? new Money(sum, currency) : null;
        return true;
    }

    /// <summary>The element's Amt (or <paramref name="amt"/>) signed by <paramref name="indicator"/>: CRDT +, DBIT −.</summary>
    private static bool TrySignedAmount(Node holder, Node? indicator, string what, out Money amount, out StatementError? error, Node? amt = null)
    {
        amount = default;
        amt ??= Child(holder, "Amt");
        if (amt is null)
        {
            error = Fault(holder, $"the {what} has no Amt");
            return false;
        }

        if (!TryMagnitude(amt, out var magnitude, out error))
        {
            return false;
        }

        switch (indicator?.Text.Trim())
        {
            case "CRDT":
                amount = magnitude;
                return true;
            case "DBIT":
                amount = -magnitude;
                return true;
            case null when what == "transaction":
                amount = magnitude;
                return true;
            default:
                error = Fault(indicator ?? holder, indicator is null ? $"the {what} has no CdtDbtInd" : $"CdtDbtInd '{indicator.Text}' is neither CRDT nor DBIT");
                return false;
        }
    }

    private static bool TryMagnitude(Node amt, out Money magnitude, out StatementError? error)
    {
        var code = amt.Ccy?.Trim();
        magnitude = default;
        if (!Currency.TryGet(code, out var currency))
        {
            error = Fault(amt, code is null ? "Amt has no Ccy attribute" : $"Ccy '{code}' is not an ISO 4217 currency code");
            return false;
        }

        var text = amt.Text.Trim();
        if (!Money.TryParse(text, currency, out magnitude, out var reason) || magnitude.Minor < 0)
        {
            error = Fault(amt, reason ?? $"'{text}' is negative: the direction belongs in CdtDbtInd");
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Reads Dt, or the date part of DtTm as written (the bank's local date, not converted to UTC).</summary>
    private static bool TryDate(Node holderParent, string name, bool required, out DateOnly? date, out StatementError? error)
    {
        date = null;
        error = null;
        var holder = Child(holderParent, name);
        if (holder is null)
        {
            error = required ? Fault(holderParent, $"the {(holderParent.Name == "Bal" ? "balance" : "entry")} has no {name}") : null;
            return !required;
        }

        // A balance's Dt holds Dt or DtTm; so do an entry's BookgDt and ValDt.
        var value = Child(holder, "Dt") ?? Child(holder, "DtTm");
        var text = value?.Text.Trim() ?? "";
        var isDateTime = value?.Name == "DtTm";
        if (value is null
            || (isDateTime && !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _))
            || !TryIsoDate(isDateTime && text.Length > 10 ? text.AsSpan(0, 10) : text, out var day))
        {
            error = Fault(value ?? holder, value is null ? $"{name} has neither Dt nor DtTm" : $"'{text}' is not an ISO 8601 date");
            return false;
        }

        date = day;
        return true;
    }

    private static StatementError Fault(Node at, string reason) => new(at.Line, PathOf(at), reason);

    /// <summary>"Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt": 1-based indexes on statements, entries, details and repeated siblings.</summary>
    private static string PathOf(Node node)
    {
        var parts = new List<string>();
        for (var e = node; e is not null; e = e.Parent)
        {
            var (index, count) = e.Place();
            parts.Add(count > 1 || e.Name is "Stmt" or "Rpt" or "Ntfctn" or "Ntry" or "TxDtls" ? $"{e.Name}[{index}]" : e.Name);
        }

        parts.Reverse();
        return string.Join('/', parts);
    }

    private static IEnumerable<Node> Children(Node? parent, string name)
    {
        for (var child = parent?.FirstChild; child is not null; child = child.Next)
        {
            if (child.Name == name)
            {
                yield return child;
            }
        }
    }

    private static Node? Child(Node? parent, string name)
    {
        for (var child = parent?.FirstChild; child is not null; child = child.Next)
        {
            if (child.Name == name)
            {
                return child;
            }
        }

        return null;
    }

    private static Node? Descendant(Node? from, params ReadOnlySpan<string> path)
    {
        foreach (var name in path)
        {
            from = Child(from, name);
        }

        return from;
    }

    private static string? Text(Node? node) => node is null || string.IsNullOrWhiteSpace(node.Text) ? null : node.Text.Trim();

    /// <summary>Whitespace runs as one space, trimmed; null when nothing is left: banks wrap free text where they like.</summary>
    private static string? Clean(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.AsSpan().Trim();
        var clean = true;
        for (var i = 0; i < trimmed.Length && clean; i++)
        {
            clean = trimmed[i] == ' ' ? trimmed[i + 1] != ' ' : !char.IsWhiteSpace(trimmed[i]);
        }

        if (clean)
        {
            return trimmed.Length == text.Length ? text : trimmed.ToString();
        }

        var result = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (!char.IsWhiteSpace(c))
            {
                result.Append(c);
            }
            else if (result[^1] != ' ')
            {
                result.Append(' ');
            }
        }

        return result.ToString();
    }

    /// <summary>"2025-03-03" exactly, as ISO 8601 calendar dates are written in camt.</summary>
    private static bool TryIsoDate(ReadOnlySpan<char> text, out DateOnly date)
    {
        date = default;
        if (text.Length != 10 || text[4] != '-' || text[7] != '-'
            || !int.TryParse(text[..4], NumberStyles.None, CultureInfo.InvariantCulture, out var year)
            || !int.TryParse(text[5..7], NumberStyles.None, CultureInfo.InvariantCulture, out var month)
            || !int.TryParse(text[8..], NumberStyles.None, CultureInfo.InvariantCulture, out var day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        date = new DateOnly(year, month, day);
        return true;
    }
}
