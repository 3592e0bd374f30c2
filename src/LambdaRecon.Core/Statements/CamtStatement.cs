using System.Globalization;
using System.Text;
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
public static partial class CamtStatement
{
    /// <summary>How deep elements may nest. A camt statement is about 15 deep at most (…/TxDtls/RltdPties/Dbtr/Pty/Id/OrgId/Othr/SchmeNm/Cd).</summary>
    public const int MaxDepth = 64;

    /// <summary>How many elements a file may hold: about 20,000 entries of 50 elements, far more than the API's 4 MiB body carries.</summary>
    public const int MaxElements = 1_000_000;

    /// <summary>How many characters a file may hold (64 Mi): a bound on the memory the document takes, whatever its shape.</summary>
    public const long MaxCharacters = 64L * 1024 * 1024;

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
            case null when what == "balance":
                // Some banks (a Lithuanian one's camt.053.001.08) leave a credit balance without its indicator. Read
                // as a credit: a debit balance misread this way cannot pass the check opening + entries = closing.
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
