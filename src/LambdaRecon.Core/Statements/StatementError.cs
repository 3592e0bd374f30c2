namespace LambdaRecon.Core.Statements;

/// <summary>
/// Why a statement file was refused. A file is refused whole: parsers return every line or this,
/// never a partial list, because reconciling half a statement reports the other half as missing money.
/// </summary>
/// <param name="Line">The 1-based line of the file at fault (CSV record start, or the XML element's line); 0 when the fault is the file's as a whole.</param>
/// <param name="Element">For XML, the element at fault, such as "Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt".</param>
public sealed record StatementError(int Line, string? Element, string Reason)
{
    public override string ToString() =>
        Line == 0 ? Reason : Element is null ? $"line {Line}: {Reason}" : $"line {Line}, {Element}: {Reason}";
}
