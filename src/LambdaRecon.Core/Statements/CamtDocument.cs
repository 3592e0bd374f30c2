using System.Xml;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// The XML side of <see cref="CamtStatement"/>: one streaming pass over the file's documents that keeps
/// the hostile-file limits, builds a small tree per element and hands each entry and statement over as
/// soon as it ends.
/// </summary>
public static partial class CamtStatement
{
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
        // Depths of envelope elements around a Document (SWIFT's BizMsgEnvlp, a bank's own wrapper): read through, not kept.
        var envelopes = new Stack<int>();
        (string Name, int Line)? firstEnvelope = null;
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
                        if (Unread.Contains(name) || (open.Count == 0 && name == "AppHdr"))
                        {
                            // A business application header beside the Document says who sent it, not what it holds.
                            unreadDepth = reader.IsEmptyElement ? -1 : reader.Depth;
                            break;
                        }

                        if (open.Count == 0 && name != "Document" && !reader.IsEmptyElement)
                        {
                            envelopes.Push(reader.Depth);
                            firstEnvelope ??= (name, Math.Max(lineInfo.LineNumber, 1));
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

                        if (open.Count == 0 && envelopes.TryPeek(out var envelope) && envelope == reader.Depth)
                        {
                            envelopes.Pop();
                            break;
                        }

                        if (!TryClose(open.Pop(), reading, out error))
                        {
                            return false;
                        }

                        break;

                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.SignificantWhitespace:
                        if (!open.TryPeek(out var holder) && envelopes.Count > 0)
                        {
                            break;
                        }

                        if (holder is null)
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

        if (reading.Documents == 0 && firstEnvelope is { } outer)
        {
            error = new StatementError(outer.Line, outer.Name,
                "not a camt message: expected Document/BkToCstmrStmt (camt.053), BkToCstmrAcctRpt (camt.052) or BkToCstmrDbtCdtNtfctn (camt.054)");
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
}
