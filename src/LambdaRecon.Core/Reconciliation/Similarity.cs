namespace LambdaRecon.Core.Reconciliation;

/// <summary>
/// How alike two counterparty-and-description texts are, as an integer percentage: the Jaccard index
/// of their distinct words (runs of two or more letters or digits, case folded), rounded down.
/// "ACME GMBH invoice 1001" against "Acme GmbH" is 2 shared of 4 distinct words: 50.
/// </summary>
internal static class Similarity
{
    public static string[] Words(string? counterparty, string? description)
    {
        var words = new SortedSet<string>(StringComparer.Ordinal);
        Add(counterparty, words);
        Add(description, words);
        return [.. words];
    }

    /// <summary>0 when either side has no words: no evidence either way.</summary>
    public static int Percent(string[] left, string[] right)
    {
        if (left.Length == 0 || right.Length == 0)
        {
            return 0;
        }

        // Both sorted: one merge pass counts the shared words.
        int i = 0, j = 0, shared = 0;
        while (i < left.Length && j < right.Length)
        {
            var order = string.CompareOrdinal(left[i], right[j]);
            shared += order == 0 ? 1 : 0;
            i += order <= 0 ? 1 : 0;
            j += order >= 0 ? 1 : 0;
        }

        return shared * 100 / (left.Length + right.Length - shared);
    }

    private static void Add(string? text, SortedSet<string> words)
    {
        if (text is null)
        {
            return;
        }

        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                start = start < 0 ? i : start;
                continue;
            }

            if (start >= 0 && i - start >= 2)
            {
                words.Add(text[start..i].ToUpperInvariant());
            }

            start = -1;
        }
    }
}
