using System.Collections;
using System.Runtime.CompilerServices;

namespace LambdaRecon.Core.Statements;

/// <summary>
/// Where a mapped value sits in a CSV record: header names, of which the first the header has is used
/// (compared ignoring case and surrounding blanks), or a 1-based position for files whose header is
/// missing or unusable. Written as a list of names (<c>["Amount", "gross"]</c>) or <see cref="At"/>.
/// </summary>
[CollectionBuilder(typeof(CsvColumn), nameof(Create))]
public sealed class CsvColumn : IEnumerable<string>
{
    private static readonly CsvColumn Unset = new([], 0);

    private CsvColumn(string[] names, int position)
    {
        Names = names;
        Position = position;
    }

    public IReadOnlyList<string> Names { get; }

    /// <summary>The 1-based position, or 0 when the column is found by name.</summary>
    public int Position { get; }

    /// <summary>False for "not in this format".</summary>
    public bool IsSet => Position > 0 || Names.Count > 0;

    public static CsvColumn Create(ReadOnlySpan<string> names) => names.IsEmpty ? Unset : new CsvColumn(names.ToArray(), 0);

    /// <exception cref="ArgumentOutOfRangeException">The position is below 1.</exception>
    public static CsvColumn At(int position)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(position, 1);
        return new CsvColumn([], position);
    }

    public IEnumerator<string> GetEnumerator() => Names.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Position > 0 ? $"column {Position}" : string.Join(" or ", Names.Select(n => $"'{n}'"));
}
